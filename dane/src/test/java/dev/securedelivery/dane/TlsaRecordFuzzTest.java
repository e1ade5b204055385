package dev.securedelivery.dane;

import static org.assertj.core.api.Assertions.assertThatCode;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Coverage-guided fuzzing of TLSA records from outside with the checks of {@link
 * TlsaRecordPropertyTest}: an input whose first byte is even is rdata, one whose first byte is odd
 * is presentation text. Without {@code -Pfuzz} only the seeds in {@code TlsaRecordFuzzTestInputs} run.
 */
class TlsaRecordFuzzTest {

    @FuzzTest
    void record(byte[] input) {
        if (input.length == 0) {
            return;
        }
        byte[] rest = Arrays.copyOfRange(input, 1, input.length);
        // The property test's checks fail with an AssertionError on any outcome the parser does not document.
        if ((input[0] & 1) == 0) {
            assertThatCode(() -> TlsaRecordPropertyTest.checkRdata(rest)).doesNotThrowAnyException();
        } else {
            assertThatCode(() -> TlsaRecordPropertyTest.checkPresentation(new String(rest, StandardCharsets.UTF_8)))
                    .doesNotThrowAnyException();
        }
    }
}
