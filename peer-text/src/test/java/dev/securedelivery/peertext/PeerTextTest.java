package dev.securedelivery.peertext;

import static org.assertj.core.api.Assertions.assertThat;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

class PeerTextTest {
    @Test
    void lineBreaksAndControlCharactersBecomeOneSpace() {
        assertThat(PeerText.clean("550 no\r\nX-Forged: yes\u0000\u001b[31m red"))
                .isEqualTo("550 no X-Forged: yes [31m red");
    }

    @Test
    void unicodeLineAndFormatCharactersAreControlsToo() {
        assertThat(PeerText.clean("a\u2028b\u2029c\u200ed\u202ee")).isEqualTo("a b c d e");
    }

    @Test
    void longTextIsCutWithAnEllipsis() {
        String cleaned = PeerText.clean("x".repeat(10_000), 20);

        assertThat(cleaned).hasSize(20).endsWith("\u2026");
    }

    @Test
    void nothingIsTheEmptyString() {
        assertThat(PeerText.clean(null)).isEmpty();
        assertThat(PeerText.clean(" \r\n\t ")).isEmpty();
    }

    @Property(tries = 2_000)
    void anyTextBecomesOneLineOfPrintableCharactersWithinTheCap(
            @ForAll String text, @ForAll @IntRange(min = 2, max = 600) int max) {
        String cleaned = PeerText.clean(text, max);

        assertThat(cleaned.length()).isLessThanOrEqualTo(max);
        assertThat(cleaned.chars())
                .noneMatch(c -> Character.isISOControl(c)
                        || c == '\u2028'
                        || c == '\u2029'
                        || Character.getType(c) == Character.FORMAT);
        assertThat(cleaned).doesNotStartWith(" ").doesNotEndWith(" ").doesNotContain("  ");
    }
}
