package dev.securedelivery.mtasts;

import static org.assertj.core.api.Assertions.assertThatCode;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;

/**
 * Coverage-guided fuzzing of the MTA-STS policy parser with the checks of {@link
 * MtaStsPolicyPropertyTest#check}; an input that parses is then asked to match the host name its
 * first line names. Without {@code -Pfuzz} only the seeds in {@code MtaStsPolicyFuzzTestInputs} run.
 */
class MtaStsPolicyFuzzTest {

    @FuzzTest
    void policy(byte[] input) {
        String body = new String(input, StandardCharsets.UTF_8);
        assertThatCode(() -> MtaStsPolicyPropertyTest.check(body)).doesNotThrowAnyException();
        // A policy that parses answers any host name without failing.
        assertThatCode(() -> {
                    try {
                        MtaStsPolicy policy = MtaStsPolicy.parse(body);
                        int end = body.indexOf('\n');
                        policy.matches(end < 0 ? body : body.substring(0, end));
                    } catch (MtaStsSyntaxException e) {
                        // Checked above.
                    }
                })
                .doesNotThrowAnyException();
    }
}
