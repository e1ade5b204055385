package dev.securedelivery.configuration;

import static org.assertj.core.api.Assertions.assertThat;

import dev.securedelivery.dns.DnssecValidation;
import dev.securedelivery.testing.HostileText;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * The configuration file under hostile input: random key=value files, most of their keys known
 * and their values edited, and random bytes, each end in a configuration or a {@link
 * ConfigurationException}, nothing else.
 */
class ConfigurationFilePropertyTest {
    private static Path directory;

    @BeforeContainer
    static void files() throws IOException {
        directory = Files.createTempDirectory("configuration-fuzz");
        Files.write(directory.resolve("anchors.txt"), DnssecValidation.rootTrustAnchors());
        Files.write(directory.resolve("garbage.txt"), new byte[] {'.', ' ', 'I', 'N', ' ', 'D', 'S', ' ', 0, -1});
        Files.writeString(directory.resolve("empty.pem"), "");
    }

    @AfterContainer
    static void removeFiles() throws IOException {
        try (Stream<Path> files = Files.walk(directory)) {
            files.sorted(Comparator.reverseOrder())
                    .forEach(path -> path.toFile().delete());
        }
    }

    @Property
    void everyKeyValueFileIsAConfigurationOrAConfigurationException(@ForAll("keyValueFiles") String text) {
        check(text.getBytes(StandardCharsets.UTF_8));
    }

    @Property
    void everyFileIsAConfigurationOrAConfigurationException(@ForAll("anyFiles") byte[] content) {
        check(content);
    }

    /**
     * Loads {@code content} as a configuration file: a configuration, or a ConfigurationException whose
     * message is the one line the package promises; nothing else (a malformed escape and bytes that are
     * not UTF-8 included, found here once and fixed by the strict reader).
     */
    static void check(byte[] content) {
        Path file = directory.resolve("secure-delivery.properties");
        try {
            Files.write(file, content);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        try {
            PolicyEngineConfiguration configuration = PolicyEngineConfiguration.load(file, directory);
            assertThat(configuration.dnsServers()).isNotNull();
        } catch (ConfigurationException e) {
            assertThat(e.getMessage()).startsWith("bad configuration in ").doesNotContain("\n", "\r");
        }
    }

    @Provide
    Arbitrary<String> keyValueFiles() {
        return Combinators.combine(line().list().ofMaxSize(8), Arbitraries.of("\n", "\r\n", "\r"))
                .as((lines, end) -> String.join(end, lines));
    }

    @Provide
    Arbitrary<byte[]> anyFiles() {
        Arbitrary<byte[]> random = Arbitraries.bytes().array(byte[].class).ofMaxSize(200);
        Arbitrary<byte[]> edited = Combinators.combine(
                        keyValueFiles(), Arbitraries.integers().between(0, 1 << 20), Arbitraries.bytes())
                .as((text, where, octet) -> {
                    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
                    if (bytes.length > 0) {
                        bytes[where % bytes.length] = octet;
                    }
                    return bytes;
                });
        return Arbitraries.frequencyOf(Tuple.of(1, random), Tuple.of(3, edited));
    }

    private static Arbitrary<String> line() {
        Arbitrary<String> separator = Arbitraries.of("=", " = ", ":", " ", "\t=\t");
        return Arbitraries.frequencyOf(
                Tuple.of(
                        8,
                        Combinators.combine(setting(), separator).as((pair, sep) -> pair.get1() + sep + pair.get2())),
                Tuple.of(
                        1,
                        Arbitraries.of(
                                "# comment", "! comment", "", "   ", "key\\", "\\u00e9=\\u0", "dns.timeout=5s\\")),
                Tuple.of(1, HostileText.randomText()));
    }

    private static Arbitrary<Tuple.Tuple2<String, String>> setting() {
        Arbitrary<String> duration = Arbitraries.of(
                "30s",
                "500ms",
                "5m",
                "12h",
                "7d",
                "PT1M",
                "0s",
                "-1s",
                "1d",
                "99999999999999999999d",
                "P1000000000D",
                "10 m");
        Arbitrary<String> number = Arbitraries.of("1", "0", "-1", "8", "65535", "65536", "2147483648", "1e3");
        Arbitrary<String> bool = Arbitraries.of("true", "false", "TRUE", "yes");
        Arbitrary<String> path = Arbitraries.of("anchors.txt", "garbage.txt", "empty.pem", "missing", "cache", ".");
        Arbitrary<String> servers = Arbitraries.of(
                "127.0.0.1",
                "127.0.0.1:5353",
                "[::1]:53",
                "::1",
                "192.0.2.53",
                "127.0.0.1, [::1]",
                "256.1.1.1",
                "[::1",
                "1.2.3.4:0");
        Arbitrary<String> override =
                Arbitraries.of("dane-only", "mta-sts-enforce", "require-tls", "opportunistic", "none", "NONE");
        Arbitrary<String> domain = Arbitraries.of(
                "example.com", "bücher.example", "EXAMPLE.net.", "192.0.2.1", "", "a..b", "xn--bcher-kva.example");
        Arbitrary<String> address =
                Arbitraries.of("tlsrpt@example.com", "a@b", "@example.com", "x y@example.com", "tlsrpt@bücher.example");
        Arbitrary<String> text = Arbitraries.of("Example Inc.", "mailto:postmaster@example.com", "");
        return Arbitraries.oneOf(
                pair(
                        Arbitraries.of(
                                PolicyEngineConfiguration.DNS_TIMEOUT,
                                PolicyEngineConfiguration.CACHE_IDLE_EVICTION,
                                PolicyEngineConfiguration.REFRESH_INTERVAL,
                                PolicyEngineConfiguration.LOOKUP_TIMEOUT,
                                PolicyEngineConfiguration.CONNECT_TIMEOUT,
                                PolicyEngineConfiguration.READ_TIMEOUT,
                                PolicyEngineConfiguration.FETCH_TIMEOUT,
                                TlsReportingConfiguration.PERIOD),
                        duration),
                pair(
                        Arbitraries.of(
                                PolicyEngineConfiguration.DNS_CACHE_MAX_ENTRIES,
                                PolicyEngineConfiguration.CACHE_MAX_ENTRIES,
                                PolicyEngineConfiguration.UPDATE_THREADS,
                                PolicyEngineConfiguration.FETCH_PORT),
                        number),
                pair(Arbitraries.of(TlsReportingConfiguration.ENABLED), bool),
                pair(
                        Arbitraries.of(
                                PolicyEngineConfiguration.DNS_TRUST_ANCHOR,
                                PolicyEngineConfiguration.CACHE_DIRECTORY,
                                PolicyEngineConfiguration.TRUSTED_CERTIFICATES,
                                TlsReportingConfiguration.DIRECTORY),
                        path),
                pair(Arbitraries.of(PolicyEngineConfiguration.DNS_SERVERS), servers),
                pair(
                        Arbitraries.of(PolicyEngineConfiguration.DNS_DNSSEC),
                        Arbitraries.of("validate", "trust-loopback-ad", "off")),
                pair(domain.map(d -> PolicyEngineConfiguration.TLS_POLICY_PREFIX + d), override),
                pair(Arbitraries.of(TlsReportingConfiguration.SENDER), address),
                pair(
                        Arbitraries.of(
                                TlsReportingConfiguration.ORGANIZATION_NAME, TlsReportingConfiguration.CONTACT_INFO),
                        text),
                pair(Arbitraries.of("dns.unknown", "mta-sts.typo", "tls-reports.x", "other", "tls.x"), text));
    }

    private static Arbitrary<Tuple.Tuple2<String, String>> pair(Arbitrary<String> keys, Arbitrary<String> values) {
        return Combinators.combine(
                        HostileText.hostile(keys, ".", "=", "\\", "\\u0041", " "),
                        HostileText.hostile(values, ",", ":", "[", "]", "\\", "\\u0041", "\\n"))
                .as(Tuple::of);
    }
}
