package dev.securedelivery.dane;

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
        if ((input[0] & 1) == 0) {
            TlsaRecordPropertyTest.checkRdata(rest);
        } else {
            TlsaRecordPropertyTest.checkPresentation(new String(rest, StandardCharsets.UTF_8));
        }
    }
}
