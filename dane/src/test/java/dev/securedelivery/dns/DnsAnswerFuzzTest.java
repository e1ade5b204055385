package dev.securedelivery.dns;

import static org.assertj.core.api.Assertions.assertThatCode;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.util.Arrays;
import java.util.List;

/**
 * Coverage-guided fuzzing of the resolver's classification of wire responses with the checks of
 * {@link DnsAnswerPropertyTest#check}: the first byte of an input picks the type asked for and
 * whether the AD flag is trusted, the rest is the response to every query. Without {@code -Pfuzz}
 * only the seeds in {@code DnsAnswerFuzzTestInputs} run.
 */
class DnsAnswerFuzzTest {

    @FuzzTest
    void answer(byte[] input) {
        if (input.length == 0) {
            return;
        }
        int type = DnsAnswerPropertyTest.TYPES[(input[0] & 0x7f) % DnsAnswerPropertyTest.TYPES.length];
        boolean adTrusted = (input[0] & 0x80) != 0;
        // The property test's check fails with an AssertionError on any classification it does not allow.
        assertThatCode(() -> DnsAnswerPropertyTest.check(
                        List.of(Arrays.copyOfRange(input, 1, input.length)), type, adTrusted))
                .doesNotThrowAnyException();
    }
}
