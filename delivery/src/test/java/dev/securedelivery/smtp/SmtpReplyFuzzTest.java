package dev.securedelivery.smtp;

import static org.assertj.core.api.Assertions.assertThatCode;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

/**
 * Coverage-guided fuzzing of reply values with the checks of {@link SmtpReplyPropertyTest}: the
 * first two bytes of an input are the code, the rest its lines (split at LF), the first line
 * also the text an enhanced status is read from and the keyword asked for. Without {@code -Pfuzz}
 * only the seeds in {@code SmtpReplyFuzzTestInputs} run.
 */
class SmtpReplyFuzzTest {

    @FuzzTest
    void reply(byte[] input) {
        if (input.length < 2) {
            return;
        }
        int code = ((input[0] & 0xff) << 8 | (input[1] & 0xff)) % 1000;
        String text = new String(Arrays.copyOfRange(input, 2, input.length), StandardCharsets.UTF_8);
        List<String> lines = Arrays.asList(text.split("\n", -1));
        // The property test's checks fail with an AssertionError on any outcome they do not allow.
        assertThatCode(() -> SmtpReplyPropertyTest.checkStatus(lines.get(0))).doesNotThrowAnyException();
        assertThatCode(() -> SmtpReplyPropertyTest.check(code, lines, lines.get(0)))
                .doesNotThrowAnyException();
    }
}
