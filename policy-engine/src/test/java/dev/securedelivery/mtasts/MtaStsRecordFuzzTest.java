package dev.securedelivery.mtasts;

import static org.assertj.core.api.Assertions.assertThatCode;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;

/**
 * Coverage-guided fuzzing of the {@code _mta-sts} record parser with the checks of {@link
 * MtaStsRecordPropertyTest#check}. Without {@code -Pfuzz} only the seeds in
 * {@code MtaStsRecordFuzzTestInputs} run.
 */
class MtaStsRecordFuzzTest {

    @FuzzTest
    void record(byte[] input) {
        String text = new String(input, StandardCharsets.UTF_8);
        assertThatCode(() -> MtaStsRecordPropertyTest.check(text)).doesNotThrowAnyException();
    }
}
