package dev.securedelivery.tlsrpt;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.StringReader;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class BoundedLineReaderTest {
    @Test
    void aLineOverTheLimitIsSkippedAndCounted() throws IOException {
        try (BoundedLineReader lines = new BoundedLineReader(new StringReader("ab\nabcdef\ncd"), 4)) {
            assertThat(all(lines)).containsExactly("ab", "cd");
            assertThat(lines.overlongLines()).isEqualTo(1);
            assertThat(lines.truncated()).isFalse();
        }
    }

    @Test
    void textBeyondTheTotalEndsTheLinesWithoutItsCutLine() throws IOException {
        // Six characters: "a\nbb\nc" of "a\nbb\ncccc\n"; the cut line "c" would be a wrong line, not a short one.
        try (BoundedLineReader lines = new BoundedLineReader(new StringReader("a\nbb\ncccc\n"), 100, 6)) {
            assertThat(all(lines)).containsExactly("a", "bb");
            assertThat(lines.truncated()).isTrue();
        }
    }

    @Test
    void aTextOfExactlyTheTotalIsWhole() throws IOException {
        try (BoundedLineReader lines = new BoundedLineReader(new StringReader("a\nbb\n"), 100, 5)) {
            assertThat(all(lines)).containsExactly("a", "bb");
            assertThat(lines.truncated()).isFalse();
        }
    }

    private static List<String> all(BoundedLineReader lines) throws IOException {
        List<String> all = new ArrayList<>();
        for (String line = lines.next(); line != null; line = lines.next()) {
            all.add(line);
        }
        return all;
    }
}
