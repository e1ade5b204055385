package dev.securedelivery.tlsrpt;

import static org.assertj.core.api.Assertions.assertThatCode;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;

/**
 * Coverage-guided fuzzing of the {@code _smtp._tls} record parser with the checks of {@link
 * TlsRptRecordPropertyTest#check}. Without {@code -Pfuzz} only the seeds in
 * {@code TlsRptRecordFuzzTestInputs} run.
 */
class TlsRptRecordFuzzTest {

    @FuzzTest
    void record(byte[] input) {
        String text = new String(input, StandardCharsets.UTF_8);
        assertThatCode(() -> TlsRptRecordPropertyTest.check(text)).doesNotThrowAnyException();
    }
}
