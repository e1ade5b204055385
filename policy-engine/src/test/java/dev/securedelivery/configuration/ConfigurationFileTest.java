package dev.securedelivery.configuration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;

import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ConfigurationFileTest {
    @TempDir
    Path directory;

    @ParameterizedTest
    @ValueSource(
            strings = {
                "# comment\n! also a comment\n\n  dns.servers = 127.0.0.1\n",
                "a=1\nb:2\nc 3\nd\t=\t4\ne  :  5\nf==6\ng::7\nh = = 8\n",
                "a = one \\\n    two \\\n\tthree\n",
                "a = one\\\\\nb = two\\\\\\\n  continued\n",
                "ke\\\n  y = value\nkey\\ with\\ spaces = v\nkey\\=eq = v\nkey\\:colon = v\n",
                "a = \\t\\n\\r\\f\\z\\u0041\\u00e9\\u20AC\\\\\n",
                "a = 1\r\nb = 2\rc = 3\r\n",
                "# a comment ending in a backslash \\\nnext = line\n",
                "a = last line without a line break",
                "a = ends in a backslash at the end of the file\\",
                "a \\\n  = after a continuation\n",
                "a =\n",
                "  \t\f\n",
                "a = first # not a comment\n  # but this is\nb = \\# escaped\n",
                "a = \\\n# not a comment: a continued line\n",
                "   \\\n  a = b\n",
                "a:b=c\nd\\\\e = f\n\\u0041 = x\n",
            })
    void readsWhatPropertiesReads(String text) throws Exception {
        Path file = write(text.getBytes(StandardCharsets.UTF_8));
        Properties expected = new Properties();
        expected.load(new StringReader(text));

        assertThat(ConfigurationFile.read(file)).isEqualTo(expected);
    }

    @Test
    void aByteOrderMarkIsNoPartOfTheFirstKey() throws Exception {
        Path file = write("\uFEFFdns.timeout = 5s\n".getBytes(StandardCharsets.UTF_8));

        assertThat(ConfigurationFile.read(file).stringPropertyNames()).containsExactly("dns.timeout");
    }

    @Test
    void aFileThatIsNotUtf8NamesTheLineAndTheByte() throws Exception {
        // "é" in ISO-8859-1, where Properties says "Input length = 1".
        byte[] latin1 = "# ok\ndns.timeout = 5s\ntls-reports.organization-name = Soci\u00e9t\u00e9\n"
                .getBytes(StandardCharsets.ISO_8859_1);
        Path file = write(latin1);

        assertThatThrownBy(() -> ConfigurationFile.read(file))
                .isInstanceOfSatisfying(ConfigurationException.class, e -> {
                    assertThat(e.file()).contains(file);
                    assertThat(e.line()).hasValue(3);
                    assertThat(e.key()).isEmpty();
                })
                .hasMessage("bad configuration in " + file + ": line 3: not UTF-8: byte 37 of the line (0xE9) begins"
                        + " no valid UTF-8 character; save the file as UTF-8");
    }

    @Test
    void aSequenceCutShortAtTheEndIsNotUtf8() throws Exception {
        Path file = write(new byte[] {'a', '=', (byte) 0xC3});

        assertThatThrownBy(() -> ConfigurationFile.read(file))
                .hasMessage("bad configuration in " + file + ": line 1: not UTF-8: byte 3 of the line (0xC3) begins"
                        + " no valid UTF-8 character; save the file as UTF-8");
    }

    @ParameterizedTest
    @ValueSource(strings = {"\\u00G9", "\\u12", "\\u", "\\uzzzz"})
    void aMalformedUnicodeEscapeNamesItsLine(String escape) throws Exception {
        // Properties.load throws IllegalArgumentException("Malformed \\uxxxx encoding.") without a line.
        Path file = write(("dns.timeout = 5s\n\ntls-reports.contact-info = a" + escape + "\nb = c\n")
                .getBytes(StandardCharsets.UTF_8));

        assertThatThrownBy(() -> ConfigurationFile.read(file))
                .isInstanceOfSatisfying(
                        ConfigurationException.class, e -> assertThat(e.line()).hasValue(3))
                .hasMessage("bad configuration in " + file + ": line 3: malformed escape \"" + escape
                        + "\": \\u must be followed by four hexadecimal digits");
    }

    @Test
    void aMalformedEscapeOnAContinuedLineNamesThatLine() throws Exception {
        Path file = write("a = one \\\n  two \\uXYZW\n".getBytes(StandardCharsets.UTF_8));

        assertThatThrownBy(() -> ConfigurationFile.read(file))
                .hasMessage("bad configuration in " + file + ": line 2: malformed escape \"\\uXYZW\": \\u must be"
                        + " followed by four hexadecimal digits");
    }

    @Test
    void aKeySetTwiceIsAnError() throws Exception {
        // Properties keeps the last value without a word: which one did the operator mean?
        Path file = write(
                "dns.timeout = 5s\nmta-sts.update-threads = 4\n  dns.timeout = 10s\n".getBytes(StandardCharsets.UTF_8));

        assertThatThrownBy(() -> ConfigurationFile.read(file))
                .isInstanceOfSatisfying(
                        ConfigurationException.class, e -> assertThat(e.key()).contains("dns.timeout"))
                .hasMessage("bad configuration in " + file + ": dns.timeout: set twice, on line 1 and on line 3;"
                        + " keep one");
    }

    @Test
    void aValueWithoutAKeyIsAnError() throws Exception {
        Path file = write("dns.timeout = 5s\n = 10s\n".getBytes(StandardCharsets.UTF_8));

        assertThatThrownBy(() -> ConfigurationFile.read(file))
                .hasMessage("bad configuration in " + file + ": line 2: a value without a key: \"10s\"");
    }

    @Test
    void aMissingFileIsNamed() {
        Path missing = directory.resolve("missing.properties");

        assertThatThrownBy(() -> ConfigurationFile.read(missing))
                .isInstanceOfSatisfying(ConfigurationException.class, e -> {
                    assertThat(e.key()).isEmpty();
                    assertThat(e.line()).isEmpty();
                })
                .hasMessage("bad configuration in " + missing + ": cannot be read: no such file or directory");
    }

    @Test
    void aDirectoryIsNoFile() {
        assertThatThrownBy(() -> ConfigurationFile.read(directory))
                .hasMessage("bad configuration in " + directory + ": is a directory, not a file");
    }

    @Test
    void anUnreadableFileIsNamed() throws Exception {
        Path file = write("dns.timeout = 5s\n".getBytes(StandardCharsets.UTF_8));
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("---------"));
        assumeThat(Files.isReadable(file))
                .as("root reads any file, so permissions cannot be tested as root")
                .isFalse();

        assertThatThrownBy(() -> ConfigurationFile.read(file))
                .hasMessage("bad configuration in " + file + ": cannot be read: permission denied");
    }

    @Test
    void aFileLargerThanAnyConfigurationIsRefused() throws Exception {
        Path file = write(new byte[ConfigurationFile.MAX_BYTES + 1]);

        assertThatThrownBy(() -> ConfigurationFile.read(file))
                .hasMessage("bad configuration in " + file + ": is larger than 1048576 bytes");
    }

    @Test
    void controlCharactersInAKeyAreShownAsEscapes() throws Exception {
        Path file = write("dns.time\\u001b[2Jout = 5s\n".getBytes(StandardCharsets.UTF_8));

        assertThatThrownBy(() -> PolicyEngineConfiguration.load(file))
                .hasMessageStartingWith("bad configuration in " + file + ": dns.time\\u001B[2Jout: unknown key;");
    }

    @Test
    void theSampleFileIsAcceptedAsShippedAndWithItsExamplesSwitchedOn() throws Exception {
        Path sample = Path.of("..", "james-conf", "src", "main", "conf", "secure-delivery.properties")
                .toAbsolutePath();
        PolicyEngineConfiguration.load(sample, directory);

        // Every "#key = value" example, but those naming files this test does not have.
        StringBuilder examples = new StringBuilder();
        for (String line : Files.readAllLines(sample, StandardCharsets.UTF_8)) {
            if (line.matches("#[a-z-]+\\.[^ ]+ = .*") && !line.contains("conf/")) {
                examples.append(line.substring(1)).append('\n');
            } else if (!line.startsWith("#")) {
                examples.append(line).append('\n');
            }
        }
        assertThat(examples.toString())
                .contains("dns.dnssec = validate", "tls-policy.legacy.example = none", "tls-reports.period = 1d");
        Path file = write(examples.toString().getBytes(StandardCharsets.UTF_8));
        assertThat(PolicyEngineConfiguration.load(file, directory).overrides()).hasSize(2);
    }

    private Path write(byte[] bytes) throws IOException {
        Path file = directory.resolve("secure-delivery.properties");
        Files.write(file, bytes);
        return file;
    }
}
