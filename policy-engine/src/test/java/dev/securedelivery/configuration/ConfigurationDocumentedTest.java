package dev.securedelivery.configuration;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * One source for the configuration: every key the code reads is in the documentation's table and in
 * the sample file, and neither names a key the code does not read.
 */
class ConfigurationDocumentedTest {
    private static final Path DOCUMENTATION = Path.of("..", "docs", "operations.md");
    private static final String SECTION = "## Configuration";
    private static final Path SAMPLE = Path.of("..", "james-conf", "src", "main", "conf", "secure-delivery.properties");
    private static final String PER_DOMAIN = PolicyEngineConfiguration.TLS_POLICY_PREFIX + "<domain>";

    private static final Pattern TABLE_ROW = Pattern.compile("^\\| `([^`]+)` \\|", Pattern.MULTILINE);
    private static final Pattern SAMPLE_LINE =
            Pattern.compile("^#?([a-z][a-z0-9-]*(?:\\.[a-z0-9-]+)+) *=", Pattern.MULTILINE);

    @Test
    void theDocumentationTableNamesExactlyTheKeysTheCodeReads() throws IOException {
        String documentation = Files.readString(DOCUMENTATION, StandardCharsets.UTF_8);
        int start = documentation.indexOf("\n" + SECTION + "\n");
        assertThat(start).as(SECTION + " in " + DOCUMENTATION).isNotNegative();
        int end = documentation.indexOf("\n## ", start + SECTION.length() + 2);
        String section = documentation.substring(start, end < 0 ? documentation.length() : end);

        Set<String> documented = new TreeSet<>();
        Matcher row = TABLE_ROW.matcher(section);
        while (row.find()) {
            documented.add(row.group(1));
        }

        assertThat(documented).containsExactlyInAnyOrderElementsOf(codeKeys());
    }

    @Test
    void theSampleFileShowsExactlyTheKeysTheCodeReads() throws IOException {
        Set<String> shown = new TreeSet<>();
        Matcher line = SAMPLE_LINE.matcher(Files.readString(SAMPLE, StandardCharsets.UTF_8));
        while (line.find()) {
            String key = line.group(1);
            shown.add(key.startsWith(PolicyEngineConfiguration.TLS_POLICY_PREFIX) ? PER_DOMAIN : key);
        }

        assertThat(shown).containsExactlyInAnyOrderElementsOf(codeKeys());
    }

    private static Set<String> codeKeys() {
        Set<String> keys = new TreeSet<>(PolicyEngineConfiguration.keys());
        keys.add(PER_DOMAIN);
        return keys;
    }
}
