package dev.securedelivery.configuration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.securedelivery.dns.DnsResolver;
import dev.securedelivery.mtasts.MtaStsEngine;
import dev.securedelivery.mtasts.MtaStsLookup;
import dev.securedelivery.policy.DomainOverride;
import dev.securedelivery.testing.InMemoryDns;
import dev.securedelivery.testing.SignedZone;
import dev.securedelivery.testing.TestCertificateAuthority;
import dev.securedelivery.testing.TestHttpsServer;
import dev.securedelivery.tlsrpt.IpNetwork;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class PolicyEngineConfigurationTest {
    @TempDir
    Path directory;

    @Test
    void anEmptyFileGivesTheDocumentedDefaults() throws Exception {
        PolicyEngineConfiguration configuration = PolicyEngineConfiguration.from(new Properties());

        assertThat(configuration.dnsServers()).isEmpty();
        assertThat(configuration.cacheDirectory()).isEmpty();
        assertThat(configuration.dnssecMode()).isEqualTo(PolicyEngineConfiguration.DnssecMode.VALIDATE);
        DnsResolver dns = configuration.dnsResolver(Clock.systemUTC());
        assertThat(dns.timeout()).isEqualTo(Duration.ofSeconds(15));
        try (MtaStsEngine engine = configuration.mtaStsEngine(dns, configuration.mtaStsFetcher(dns).build()).build()) {
            assertThat(engine.cached()).isEmpty();
        }
    }

    @Test
    void dnsServersAreIpAddressesWithOptionalPorts() throws Exception {
        PolicyEngineConfiguration configuration = PolicyEngineConfiguration.from(properties(
                "dns.servers", "192.0.2.53, 192.0.2.54:5353,[2001:db8::53]:53, 2001:db8::54"));

        assertThat(configuration.dnsServers()).containsExactly(
                new InetSocketAddress(InetAddress.getByName("192.0.2.53"), 53),
                new InetSocketAddress(InetAddress.getByName("192.0.2.54"), 5353),
                new InetSocketAddress(InetAddress.getByName("2001:db8::53"), 53),
                new InetSocketAddress(InetAddress.getByName("2001:db8::54"), 53));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "dns.servers | resolver.example | dns.servers: \"resolver.example\" is not an IP address",
        "dns.servers | 192.0.2.300 | dns.servers: \"192.0.2.300\" is not an IP address",
        "dns.servers | 192.0.2.53:99999 | dns.servers: bad port in \"192.0.2.53:99999\"",
        "dns.servers | 192.0.2.53,,192.0.2.54 | dns.servers: empty entry",
        "dns.servers | [2001:db8::53 | dns.servers: missing ] in \"[2001:db8::53\"",
        "dns.timeout | soon | dns.timeout: expected a duration such as 500ms, 30s, 5m, 12h, 7d or PT1M, got \"soon\"",
        "mta-sts.fetch.timeout | 0s | mta-sts.fetch.timeout: must be positive, got 0s",
        "mta-sts.cache.max-entries | many | mta-sts.cache.max-entries: expected a whole number, got \"many\"",
        "mta-sts.update-threads | 0 | mta-sts.update-threads: must be at least 1, got 0",
        "mta-sts.fetch.conect-timeout | 5s | mta-sts.fetch.conect-timeout: unknown key; the keys under mta-sts. are",
        "dns.server | 192.0.2.53 | dns.server: unknown key; the keys under dns. are [dns.cache.max-entries,",
        "dns.dnssec | maybe | dns.dnssec: expected validate or trust-loopback-ad, got \"maybe\"",
        "dsn.servers | 192.0.2.53 | dsn.servers: unknown key; see the configuration keys in README",
        "tls-polciy.example.com | none | tls-polciy.example.com: unknown key",
        "tls-reports.enabled | yes | tls-reports.enabled: expected true or false, got \"yes\"",
        "tls-reports.period | 7h | tls-reports.period: must be a whole number of seconds that divides a day evenly",
        "tls-reports.period | 1500ms | tls-reports.period: must be a whole number of seconds that divides a day",
        "tls-reports.sender | TLS reports <tlsrpt@example.com> | tls-reports.sender: expected a mail address",
        "tls-reports.sender | tlsrpt@ | tls-reports.sender: expected a mail address",
        "tls-reports.organisation-name | Example | tls-reports.organisation-name: unknown key; the keys under",
        "tls-reports.upload-allowed-networks | localhost | tls-reports.upload-allowed-networks: expected networks such"
            + " as 127.0.0.0/8, 10.1.0.0/16, fd00::/8: \"localhost\" is not an IPv4 or IPv6 address",
        "tls-reports.upload-allowed-networks | 10.1.2.0/16 | tls-reports.upload-allowed-networks: expected networks",
        "tls-reports.upload-allowed-networks | 127.0.0.0/8,,10.0.0.0/8 | tls-reports.upload-allowed-networks: empty",
    })
    void aBadValueIsReportedWithItsKey(String key, String value, String message) {
        assertThatThrownBy(() -> PolicyEngineConfiguration.from(properties(key, value)))
                .isInstanceOfSatisfying(ConfigurationException.class, e -> assertThat(e.key()).isEqualTo(key))
                .hasMessageStartingWith(message);
    }

    @ParameterizedTest
    @CsvSource({"500ms, PT0.5S", "30s, PT30S", "5m, PT5M", "12h, PT12H", "7d, PT168H", "PT1M, PT1M", "2 H, PT2H"})
    void durationsTakeAUnitOrIso8601(String text, String expected) throws Exception {
        assertThat(new Settings(properties("x", text)).duration("x", Duration.ZERO)).isEqualTo(Duration.parse(expected));
    }

    @Test
    void trustedCertificatesReplaceTheJdkTrustStoreForPolicyFetches() throws Exception {
        TestCertificateAuthority ca = TestCertificateAuthority.root("Configured Root");
        Path pem = directory.resolve("ca.pem");
        Files.writeString(pem, ca.rootPem());
        InMemoryDns dns = new InMemoryDns().addTxt("_mta-sts.example.test.", 300, "v=STSv1; id=1")
                .addA("mta-sts.example.test.", "127.0.0.1");
        try (TestHttpsServer server = TestHttpsServer.start(InetAddress.getLoopbackAddress(),
                ca.issue("mta-sts.example.test").serverContext())) {
            server.respondWith(TestHttpsServer.ok("text/plain",
                    "version: STSv1\nmode: enforce\nmx: mx.example.test\nmax_age: 86400\n"));
            PolicyEngineConfiguration configuration = PolicyEngineConfiguration.from(properties(
                    "tls.trusted-certificates", pem.toString(),
                    "mta-sts.cache.directory", directory.resolve("cache").toString()));

            DnsResolver resolver = new DnsResolver(dns, false, Duration.ofSeconds(2));
            try (MtaStsEngine engine = configuration.mtaStsEngine(resolver,
                    configuration.mtaStsFetcher(resolver).port(server.port()).build()).build()) {
                assertThat(engine.lookup("example.test").outcome()).isEqualTo(MtaStsLookup.Outcome.POLICY);
            }
            assertThat(directory.resolve("cache").resolve("example.test")).exists();
        }
    }

    @Test
    void relativePathsAreRelativeToTheBaseDirectoryGiven() throws Exception {
        Path james = Files.createDirectories(directory.resolve("james"));
        Properties relative = properties("mta-sts.cache.directory", "var/mta-sts");

        assertThat(PolicyEngineConfiguration.from(relative, james).cacheDirectory())
                .contains(james.resolve("var/mta-sts"));
        assertThat(PolicyEngineConfiguration.from(relative).cacheDirectory()).contains(Path.of("var/mta-sts"));
        Path absolute = directory.resolve("elsewhere");
        assertThat(PolicyEngineConfiguration.from(properties("mta-sts.cache.directory", absolute.toString()), james)
                .cacheDirectory()).contains(absolute);
    }

    @Test
    void aMissingOrEmptyCertificateFileIsReported() throws Exception {
        Path empty = directory.resolve("empty.pem");
        Files.writeString(empty, "");

        assertThatThrownBy(() -> PolicyEngineConfiguration.from(properties(
                "tls.trusted-certificates", directory.resolve("missing.pem").toString())))
                .hasMessageStartingWith("tls.trusted-certificates: cannot read ");
        assertThatThrownBy(() -> PolicyEngineConfiguration.from(properties(
                "tls.trusted-certificates", empty.toString())))
                .hasMessageStartingWith("tls.trusted-certificates: ")
                .hasMessageContaining("holds no certificate");
    }

    @Test
    void theAdFlagIsTrustedOnlyFromLoopbackResolvers() {
        assertThatThrownBy(() -> PolicyEngineConfiguration.from(properties("dns.dnssec", "trust-loopback-ad")))
                .hasMessage("dns.servers: trust-loopback-ad needs the loopback resolvers listed here");
        assertThatThrownBy(() -> PolicyEngineConfiguration.from(properties(
                "dns.dnssec", "trust-loopback-ad", "dns.servers", "127.0.0.1:5353, 192.0.2.53")))
                .isInstanceOfSatisfying(ConfigurationException.class, e -> assertThat(e.key()).isEqualTo("dns.servers"))
                .hasMessage("dns.servers: with dns.dnssec = trust-loopback-ad every server must be on a loopback"
                        + " address, and 192.0.2.53 is not");
    }

    @Test
    void aTrustAnchorFileIsCheckedAtStart() throws Exception {
        Path good = directory.resolve("anchor.ds");
        Files.writeString(good, SignedZone.signed("test.").ds() + "\n");
        Path bad = directory.resolve("bad.ds");
        Files.writeString(bad, "test. IN DS not a record\n");

        assertThat(PolicyEngineConfiguration.from(properties("dns.trust-anchor", good.toString()))
                .dnsResolver(Clock.systemUTC())).isNotNull();
        assertThatThrownBy(() -> PolicyEngineConfiguration.from(properties("dns.trust-anchor", bad.toString())))
                .isInstanceOfSatisfying(ConfigurationException.class,
                        e -> assertThat(e.key()).isEqualTo("dns.trust-anchor"))
                .hasMessageStartingWith("dns.trust-anchor: cannot use " + bad);
        assertThatThrownBy(() -> PolicyEngineConfiguration.from(properties("dns.trust-anchor",
                directory.resolve("missing.ds").toString())))
                .hasMessageStartingWith("dns.trust-anchor: cannot use ");
    }

    @Test
    void tlsPoliciesOverrideDomainsByTheirALabelName() throws Exception {
        PolicyEngineConfiguration configuration = PolicyEngineConfiguration.from(properties(
                "tls-policy.Example.COM", "dane-only",
                "tls-policy.bücher.example", "require-tls",
                "tls-policy.broken.example.", " None "));

        assertThat(configuration.overrides()).containsExactly(
                Map.entry("broken.example", DomainOverride.NONE),
                Map.entry("example.com", DomainOverride.DANE_ONLY),
                Map.entry("xn--bcher-kva.example", DomainOverride.REQUIRE_TLS));
    }

    @Test
    void aBadTlsPolicyNamesItsKey() {
        assertThatThrownBy(() -> PolicyEngineConfiguration.from(properties("tls-policy.example.com", "strict")))
                .hasMessage("tls-policy.example.com: expected dane-only, mta-sts-enforce, require-tls, opportunistic"
                        + " or none, got \"strict\"");
        assertThatThrownBy(() -> PolicyEngineConfiguration.from(properties("tls-policy.bad..name", "none")))
                .hasMessage("tls-policy.bad..name: \"bad..name\" is not a domain name");
    }

    @Test
    void tlsReportsAreOffUntilSwitchedOnWithWhoSendsThem() throws Exception {
        TlsReportingConfiguration off = PolicyEngineConfiguration.from(new Properties()).tlsReports();
        assertThat(off.enabled()).isFalse();
        assertThat(off.period()).isEqualTo(Duration.ofDays(1));

        Path base = Path.of("/srv/james");
        TlsReportingConfiguration on = PolicyEngineConfiguration.from(properties("tls-reports.enabled", "true",
                "tls-reports.organization-name", "Example Inc.", "tls-reports.contact-info", "tlsrpt-admin@example.com",
                "tls-reports.sender", "TLSRPT@Mail.Example.COM", "tls-reports.period", "1h"), base).tlsReports();
        assertThat(on.enabled()).isTrue();
        assertThat(on.submitter()).as("the sender's domain, RFC 8460 5.3").isEqualTo("mail.example.com");
        assertThat(on.period()).isEqualTo(Duration.ofHours(1));
        assertThat(on.directory()).isEqualTo(base.resolve("var/secure-delivery/tls-reports"));
        assertThat(on.uploadAllowedNetworks()).as("uploads go to global unicast addresses only").isEmpty();
        assertThat(PolicyEngineConfiguration.from(properties("tls-reports.upload-allowed-networks",
                " 127.0.0.0/8, 10.1.0.0/16 ,fd00::/8")).tlsReports().uploadAllowedNetworks())
                .containsExactly(IpNetwork.parse("127.0.0.0/8"), IpNetwork.parse("10.1.0.0/16"),
                        IpNetwork.parse("fd00::/8"));
        assertThatThrownBy(() -> PolicyEngineConfiguration.from(properties("tls-reports.enabled", "true",
                "tls-reports.organization-name", "Example Inc.", "tls-reports.sender", "tlsrpt@example.com")))
                .hasMessageStartingWith("tls-reports.contact-info: required when tls-reports.enabled = true");
        assertThatThrownBy(() -> PolicyEngineConfiguration.from(properties("tls-reports.enabled", "true")))
                .hasMessageStartingWith("tls-reports.organization-name: required when tls-reports.enabled = true");
    }

    @Test
    void aFileIsReadAsUtf8Properties() throws Exception {
        Path file = directory.resolve("secure-delivery.properties");
        Files.writeString(file, "# comment\ndns.servers = 127.0.0.1:5353\nmta-sts.lookup-timeout = 5s\n");

        assertThat(PolicyEngineConfiguration.load(file).dnsServers())
                .containsExactly(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 5353));
    }

    private static Properties properties(String... keysAndValues) {
        Properties properties = new Properties();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            properties.setProperty(keysAndValues[i], keysAndValues[i + 1]);
        }
        return properties;
    }
}
