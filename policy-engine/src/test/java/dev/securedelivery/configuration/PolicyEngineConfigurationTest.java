package dev.securedelivery.configuration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;

import dev.securedelivery.dns.DnsResolver;
import dev.securedelivery.mtasts.FetchListener;
import dev.securedelivery.mtasts.MtaStsEngine;
import dev.securedelivery.mtasts.MtaStsLookup;
import dev.securedelivery.policy.DeliveryPolicy;
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
import java.nio.file.attribute.PosixFilePermissions;
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
        try (MtaStsEngine engine = configuration
                .mtaStsEngine(dns, configuration.mtaStsFetcher(dns).build())
                .build()) {
            assertThat(engine.cached()).isEmpty();
        }
    }

    @Test
    void dnsServersAreIpAddressesWithOptionalPorts() throws Exception {
        PolicyEngineConfiguration configuration = PolicyEngineConfiguration.from(
                properties("dns.servers", "192.0.2.53, 192.0.2.54:5353,[2001:db8::53]:53, 2001:db8::54"));

        assertThat(configuration.dnsServers())
                .containsExactly(
                        new InetSocketAddress(InetAddress.getByName("192.0.2.53"), 53),
                        new InetSocketAddress(InetAddress.getByName("192.0.2.54"), 5353),
                        new InetSocketAddress(InetAddress.getByName("2001:db8::53"), 53),
                        new InetSocketAddress(InetAddress.getByName("2001:db8::54"), 53));
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                // not an IP address, a bad port, a malformed list
                "dns.servers | resolver.example | expected an IP address, got \"resolver.example\" (names are not taken:"
                        + " resolving them would need a DNS server)",
                "dns.servers | 192.0.2.300 | expected an IP address, got \"192.0.2.300\" (names are not taken: resolving"
                        + " them would need a DNS server)",
                "dns.servers | zz::53 | expected an IP address, got \"zz::53\" (names are not taken: resolving them would"
                        + " need a DNS server)",
                "dns.servers | 1::2::3 | expected an IP address, got \"1::2::3\"",
                "dns.servers | 192.0.2.53:99999 | expected a port from 1 to 65535 in \"192.0.2.53:99999\", got \"99999\"",
                "dns.servers | 192.0.2.53:0 | expected a port from 1 to 65535 in \"192.0.2.53:0\", got \"0\"",
                "dns.servers | 192.0.2.53:dns | expected a port from 1 to 65535 in \"192.0.2.53:dns\", got \"dns\"",
                "dns.servers | 192.0.2.53,,192.0.2.54 | expected IP addresses separated by commas, got an empty entry in"
                        + " \"192.0.2.53,,192.0.2.54\"",
                "dns.servers | 192.0.2.53, | expected IP addresses separated by commas, got an empty entry in"
                        + " \"192.0.2.53,\"",
                "dns.servers | [2001:db8::53 | expected ] to close the IPv6 address in \"[2001:db8::53\"",
                "dns.servers | [2001:db8::53]53 | expected :port after ] in \"[2001:db8::53]53\"",
                // durations: not one, not positive, too fine, too large, overflowing
                "dns.timeout | soon | expected a duration such as 500ms, 30s, 5m, 12h, 7d or PT1M, got \"soon\"",
                "dns.timeout | 5 | expected a duration such as 500ms, 30s, 5m, 12h, 7d or PT1M, got \"5\"",
                "dns.timeout | 5y | expected a duration such as 500ms, 30s, 5m, 12h, 7d or PT1M, got \"5y\"",
                "dns.timeout | -5s | expected a duration such as 500ms, 30s, 5m, 12h, 7d or PT1M, got \"-5s\"",
                "dns.timeout | 2m | expected a duration from 1ms to 1m, got \"2m\"",
                "dns.timeout | PT0.0005S | expected a whole number of milliseconds, got \"PT0.0005S\"",
                "mta-sts.fetch.timeout | 0s | expected a duration from 1ms to 10m, got \"0s\"",
                "mta-sts.fetch.read-timeout | PT-5S | expected a duration from 1ms to 10m, got \"PT-5S\"",
                "mta-sts.refresh-interval | 1000000000000d | expected a duration from 1ms to 366d, got \"1000000000000d\"",
                "mta-sts.refresh-interval | 99999999999999999999999d | expected a duration from 1ms to 366d,"
                        + " got \"99999999999999999999999d\"",
                "mta-sts.cache.idle-eviction | P999999999999999D | expected a duration from 1ms to 366d,"
                        + " got \"P999999999999999D\"",
                "mta-sts.cache.idle-eviction | PT99999999999999999999S | expected a duration from 1ms to 366d,"
                        + " got \"PT99999999999999999999S\"",
                "mta-sts.lookup-timeout | 367d | expected a duration from 1ms to 10m, got \"367d\"",
                "tls-reports.period | 1000000000000d | expected a duration from 1ms to 1d, got \"1000000000000d\"",
                "tls-reports.period | 2d | expected a duration from 1ms to 1d, got \"2d\"",
                "tls-reports.period | 7h | expected a whole number of seconds that divides a day evenly (such as 1d, 12h,"
                        + " 1h, 10m), got \"7h\"",
                "tls-reports.period | 1500ms | expected a whole number of seconds that divides a day evenly (such as 1d,"
                        + " 12h, 1h, 10m), got \"1500ms\"",
                // whole numbers: not one, out of range, overflowing
                "mta-sts.cache.max-entries | many | expected a whole number from 1 to 10000000, got \"many\"",
                "posture.retention-days | 0 | expected a whole number from 1 to 3660, got \"0\"",
                "posture.max-domains-per-day | 100001 | expected a whole number from 1 to 100000, got \"100001\"",
                "mta-sts.cache.max-entries | 1e6 | expected a whole number from 1 to 10000000, got \"1e6\"",
                "mta-sts.cache.max-entries | 1.5 | expected a whole number from 1 to 10000000, got \"1.5\"",
                "dns.cache.max-entries | 99999999999999999999 | expected a whole number from 1 to 10000000,"
                        + " got \"99999999999999999999\"",
                "mta-sts.update-threads | 0 | expected a whole number from 1 to 256, got \"0\"",
                "mta-sts.update-threads | -1 | expected a whole number from 1 to 256, got \"-1\"",
                "mta-sts.update-threads | 1000 | expected a whole number from 1 to 256, got \"1000\"",
                "mta-sts.update-threads | \u0663 | expected a whole number from 1 to 256, got \"\u0663\"",
                "mta-sts.fetch.port | 70000 | expected a whole number from 1 to 65535, got \"70000\"",
                "dns.cache.max-mib | 0 | expected a whole number from 1 to 65536, got \"0\"",
                "mta-sts.cache.max-mib | 64MiB | expected a whole number from 1 to 65536, got \"64MiB\"",
                "mta-sts.cache.max-disk-mib | 268435456 | expected a whole number from 1 to 65536, got \"268435456\"",
                // choices
                "dns.dnssec | maybe | expected validate or trust-loopback-ad, got \"maybe\"",
                "tls-reports.enabled | yes | expected true or false, got \"yes\"",
                "tls-policy.example.com | strict | expected dane-only, mta-sts-enforce, require-tls, opportunistic or none,"
                        + " got \"strict\"",
                // domain names, mail addresses
                "tls-policy.bad..name | none | expected tls-policy.<domain>, and \"bad..name\" is not a domain name",
                "tls-policy. | none | expected tls-policy.<domain>, and \"\" is not a domain name",
                "tls-policy.192.0.2.1 | none | expected tls-policy.<domain>, and \"192.0.2.1\" is not a domain name",
                "tls-reports.sender | TLS reports <tlsrpt@example.com> | expected a mail address such as tlsrpt@example.com,"
                        + " got \"TLS reports <tlsrpt@example.com>\"",
                "tls-reports.sender | tlsrpt@ | expected a mail address such as tlsrpt@example.com, got \"tlsrpt@\"",
                "tls-reports.sender | tlsrpt@bad..example | expected a mail address such as tlsrpt@example.com,"
                        + " got \"tlsrpt@bad..example\"",
                // unknown keys: the closest known one, else the keys of the section, else the sections
                "dns.server | 192.0.2.53 | unknown key; did you mean dns.servers?",
                "dsn.servers | 192.0.2.53 | unknown key; did you mean dns.servers?",
                "DNS.Servers | 192.0.2.53 | unknown key; did you mean dns.servers?",
                "mta-sts.fetch.conect-timeout | 5s | unknown key; did you mean mta-sts.fetch.connect-timeout?",
                "tls-reports.organisation-name | Example | unknown key; did you mean tls-reports.organization-name?",
                "tls.trusted-certificate | ca.pem | unknown key; did you mean tls.trusted-certificates?",
                "tls-polciy.example.com | none | unknown key; did you mean tls-policy.example.com?",
                "tls_policy.example.com | none | unknown key; did you mean tls-policy.example.com?",
                "tls-policy | none | unknown key; did you mean tls-policy.<domain>?",
                "dns.resolvers | 192.0.2.53 | unknown key; the keys under dns. are dns.cache.max-entries,"
                        + " dns.cache.max-mib, dns.dnssec, dns.servers, dns.timeout, dns.trust-anchor",
                "smtp.port | 25 | unknown key; every key starts with one of dns. inbound-reports. mta-sts. own-domains."
                        + " posture. store. tls-policy. tls-reports. tls. (docs/operations.md, \"Configuration\")",
                // our own domains' self-check
                "own-domains.check-interval | 10s | at least 1 minute: every check connects to every MX",
                "own-domains.mx-hosts | mx1.example.com, mx_2.example.com | \"mx_2.example.com\" is not a host name",
                "own-domains.check | sometimes | expected true or false, got \"sometimes\"",
                // networks an upload may go to
                "tls-reports.upload-allowed-networks | localhost | expected networks such as 127.0.0.0/8, 10.1.0.0/16,"
                        + " fd00::/8: \"localhost\" is not an IPv4 or IPv6 address",
                "tls-reports.upload-allowed-networks | 127.0.0.0/8,,10.0.0.0/8 | empty entry in \"127.0.0.0/8,,10.0.0.0/8\"",
            })
    void aBadValueIsReportedWithItsKeyAndWhatWasExpected(String key, String value, String problem) {
        assertThatThrownBy(() -> PolicyEngineConfiguration.from(properties(key, value)))
                .isInstanceOfSatisfying(ConfigurationException.class, e -> {
                    assertThat(e.key()).contains(key);
                    assertThat(e.problem()).isEqualTo(problem);
                    assertThat(e.file()).isEmpty();
                })
                .hasMessage("bad configuration: " + key + ": " + problem);
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "dns.timeout | a duration such as 500ms, 30s, 5m, 12h, 7d or PT1M",
                "dns.servers | IP addresses with optional ports, such as 192.0.2.53, 192.0.2.53:5353 or [2001:db8::53]:53",
                "dns.dnssec | validate or trust-loopback-ad",
                "dns.trust-anchor | a path",
                "mta-sts.update-threads | a whole number from 1 to 256",
                "tls-reports.enabled | true or false",
                "tls-reports.sender | the address reports are sent from, such as tlsrpt@example.com",
                "tls-policy.example.com | dane-only, mta-sts-enforce, require-tls, opportunistic or none",
            })
    void anEmptyValueIsAnErrorNotTheDefault(String key, String expected) {
        // The operator wrote the key for a reason: "dns.dnssec =" must not quietly mean validate.
        for (String empty : new String[] {"", "   "}) {
            assertThatThrownBy(() -> PolicyEngineConfiguration.from(properties(key, empty)))
                    .hasMessage("bad configuration: " + key + ": expected " + expected + ", got an empty value"
                            + " (remove the line to have the default)");
        }
    }

    @Test
    void aControlCharacterInAValueIsRefusedAndShownAsAnEscape() {
        assertThatThrownBy(() -> PolicyEngineConfiguration.from(
                        properties("tls-reports.organization-name", "Example\u001b[31m Inc.")))
                .hasMessage("bad configuration: tls-reports.organization-name: expected the name of the organization"
                        + " that sends the reports, such as Example Inc., got \"Example\\u001B[31m Inc.\", which holds"
                        + " the control character U+001B");
        assertThatThrownBy(() -> PolicyEngineConfiguration.from(
                        properties("tls-reports.contact-info", "mailto:a@example.com\u202e")))
                .hasMessageEndingWith("got \"mailto:a@example.com\\u202E\", which holds the control character U+202E");
    }

    @Test
    void aLongValueIsCappedInTheMessage() {
        String value = "x".repeat(5000);

        assertThatThrownBy(() -> PolicyEngineConfiguration.from(properties("dns.timeout", value)))
                .hasMessage("bad configuration: dns.timeout: expected a duration such as 500ms, 30s, 5m, 12h, 7d or"
                        + " PT1M, got \"" + "x".repeat(ConfigurationException.MAX_QUOTED - 1) + "\u2026\"");
    }

    @Test
    void theFileIsNamedBeforeTheKey() throws Exception {
        Path file = directory.resolve("secure-delivery.properties");
        Files.writeString(file, "dns.timeout = 5s\nmta-sts.refresh-interval = 1000000000000d\n");

        assertThatThrownBy(() -> PolicyEngineConfiguration.load(file))
                .isInstanceOfSatisfying(ConfigurationException.class, e -> {
                    assertThat(e.file()).contains(file);
                    assertThat(e.key()).contains("mta-sts.refresh-interval");
                })
                .hasMessage("bad configuration in " + file + ": mta-sts.refresh-interval: expected a duration from"
                        + " 1ms to 366d, got \"1000000000000d\"");
    }

    @Test
    void aFileRelativeToTheBaseDirectoryIsNamedAsGiven() throws Exception {
        Path conf = Files.createDirectories(directory.resolve("conf"));
        Files.writeString(conf.resolve("secure-delivery.properties"), "dns.timeout = soon\n");

        assertThatThrownBy(() -> PolicyEngineConfiguration.load(Path.of("conf/secure-delivery.properties"), directory))
                .hasMessage("bad configuration in conf/secure-delivery.properties: dns.timeout: expected a duration"
                        + " such as 500ms, 30s, 5m, 12h, 7d or PT1M, got \"soon\"");
        Files.write(conf.resolve("secure-delivery.properties"), new byte[] {'a', '=', (byte) 0xFF});
        assertThatThrownBy(() -> PolicyEngineConfiguration.load(Path.of("conf/secure-delivery.properties"), directory))
                .hasMessageStartingWith("bad configuration in conf/secure-delivery.properties: line 1: not UTF-8");
        assertThatThrownBy(() -> PolicyEngineConfiguration.load(Path.of("conf"), directory))
                .hasMessage("bad configuration in conf: is a directory, not a file");
    }

    @Test
    void twoKeysForOneDomainAreAnError() {
        // Which override should win? Example.com, example.com. and the U-label are one domain.
        assertThatThrownBy(() -> PolicyEngineConfiguration.from(
                        properties("tls-policy.Example.com", "none", "tls-policy.example.com.", "dane-only")))
                .hasMessage("bad configuration: tls-policy.example.com.: names the domain example.com, as"
                        + " tls-policy.Example.com does; keep one");
        assertThatThrownBy(() -> PolicyEngineConfiguration.from(properties(
                        "tls-policy.b\u00fccher.example", "none", "tls-policy.xn--bcher-kva.example", "none")))
                .hasMessage("bad configuration: tls-policy.xn--bcher-kva.example: names the domain"
                        + " xn--bcher-kva.example, as tls-policy.b\u00fccher.example does; keep one");
    }

    @Test
    void upperBoundsAreAccepted() throws Exception {
        PolicyEngineConfiguration configuration = PolicyEngineConfiguration.from(properties(
                "dns.timeout",
                "1m",
                "mta-sts.refresh-interval",
                "366d",
                "mta-sts.cache.idle-eviction",
                "P366D",
                "mta-sts.fetch.timeout",
                "10m",
                "mta-sts.update-threads",
                "256",
                "mta-sts.fetch.port",
                "+65535",
                "dns.cache.max-entries",
                "10000000",
                "tls-reports.period",
                "1d",
                "dns.dnssec",
                "Validate",
                "tls-reports.enabled",
                "FALSE"));

        assertThat(configuration.dnssecMode()).isEqualTo(PolicyEngineConfiguration.DnssecMode.VALIDATE);
        assertThat(configuration.tlsReports().enabled()).isFalse();
    }

    @ParameterizedTest
    @CsvSource({
        "500ms, PT0.5S",
        "30s, PT30S",
        "5m, PT5M",
        "12h, PT12H",
        "7d, PT168H",
        "PT1M, PT1M",
        "2 H, PT2H",
        "1ms, PT0.001S",
        "pt1.5s, PT1.5S"
    })
    void durationsTakeAUnitOrIso8601(String text, String expected) throws Exception {
        assertThat(new Settings(properties("x", text)).duration("x", Duration.ZERO, Duration.ofDays(366)))
                .isEqualTo(Duration.parse(expected));
    }

    @Test
    void trustedCertificatesReplaceTheJdkTrustStoreForPolicyFetches() throws Exception {
        TestCertificateAuthority ca = TestCertificateAuthority.root("Configured Root");
        Path pem = directory.resolve("ca.pem");
        Files.writeString(pem, ca.rootPem());
        InMemoryDns dns = new InMemoryDns()
                .addTxt("_mta-sts.example.test.", 300, "v=STSv1; id=1")
                .addA("mta-sts.example.test.", "127.0.0.1");
        try (TestHttpsServer server = TestHttpsServer.start(
                InetAddress.getLoopbackAddress(),
                ca.issue("mta-sts.example.test").serverContext())) {
            server.respondWith(TestHttpsServer.ok(
                    "text/plain", "version: STSv1\nmode: enforce\nmx: mx.example.test\nmax_age: 86400\n"));
            PolicyEngineConfiguration configuration = PolicyEngineConfiguration.from(properties(
                    "tls.trusted-certificates", pem.toString(),
                    "mta-sts.cache.directory", directory.resolve("cache").toString()));

            DnsResolver resolver = new DnsResolver(dns, false, Duration.ofSeconds(2));
            try (MtaStsEngine engine = configuration
                    .mtaStsEngine(
                            resolver,
                            configuration
                                    .mtaStsFetcher(resolver)
                                    .port(server.port())
                                    .build())
                    .build()) {
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
                        .cacheDirectory())
                .contains(absolute);
    }

    @Test
    void aCertificateFileThatCannotBeUsedIsNamed() throws Exception {
        Path missing = directory.resolve("missing.pem");
        Path empty = Files.writeString(directory.resolve("empty.pem"), "");
        Path notPem = Files.writeString(
                directory.resolve("not.pem"),
                "-----BEGIN CERTIFICATE-----\nnot base64!\n" + "-----END CERTIFICATE-----\n");

        assertThat(problem("tls.trusted-certificates", missing.toString()))
                .isEqualTo("cannot read " + missing + ": no such file or directory");
        assertThat(problem("tls.trusted-certificates", directory.toString()))
                .isEqualTo("expected a file, and " + directory + " is a directory");
        assertThat(problem("tls.trusted-certificates", empty.toString()))
                .isEqualTo("expected a file of PEM certificates, and " + empty + " holds no certificate");
        assertThat(problem("tls.trusted-certificates", notPem.toString()))
                .isEqualTo("expected a file of PEM certificates, and " + notPem
                        + " is not one (Illegal base64 character 21)");
    }

    @Test
    void theAdFlagIsTrustedOnlyFromLoopbackResolvers() {
        assertThatThrownBy(() -> PolicyEngineConfiguration.from(properties("dns.dnssec", "trust-loopback-ad")))
                .hasMessage("bad configuration: dns.servers: trust-loopback-ad needs the loopback resolvers listed"
                        + " here");
        assertThatThrownBy(() -> PolicyEngineConfiguration.from(
                        properties("dns.dnssec", "trust-loopback-ad", "dns.servers", "127.0.0.1:5353, 192.0.2.53")))
                .isInstanceOfSatisfying(
                        ConfigurationException.class, e -> assertThat(e.key()).contains("dns.servers"))
                .hasMessage("bad configuration: dns.servers: with dns.dnssec = trust-loopback-ad every server must be"
                        + " on a loopback address, and 192.0.2.53 is not");
    }

    @Test
    void aTrustAnchorFileIsCheckedAtStart() throws Exception {
        Path good = directory.resolve("anchor.ds");
        Files.writeString(good, SignedZone.signed("test.").ds() + "\n");
        Path bad = directory.resolve("bad.ds");
        Files.writeString(bad, "test. IN DS not a record\n");
        Path none = Files.writeString(directory.resolve("none.ds"), "; only a comment\n");

        assertThat(PolicyEngineConfiguration.from(properties("dns.trust-anchor", good.toString()))
                        .dnsResolver(Clock.systemUTC()))
                .isNotNull();
        // dnsjava's own words say where and what it could not parse.
        assertThat(problem("dns.trust-anchor", bad.toString()))
                .isEqualTo("cannot use " + bad
                        + ": expected DS or DNSKEY records in zone-file syntax (<none>:1: expected an integer)");
        assertThat(problem("dns.trust-anchor", none.toString()))
                .isEqualTo("cannot use " + none
                        + ": expected DS or DNSKEY records in zone-file syntax (no trust anchor in ; only a comment)");
        assertThat(problem("dns.trust-anchor", directory.resolve("missing.ds").toString()))
                .isEqualTo("cannot read " + directory.resolve("missing.ds") + ": no such file or directory");
        assertThat(problem("dns.trust-anchor", directory.toString()))
                .isEqualTo("expected a file, and " + directory + " is a directory");
    }

    @Test
    void theCacheDirectoryMustBeADirectoryThisProcessCanWrite() throws Exception {
        Path file = Files.writeString(directory.resolve("a-file"), "");

        assertThat(deliveryPolicyProblem(file)).isEqualTo("expected a directory, and " + file + " is a file");
        assertThat(deliveryPolicyProblem(file.resolve("cache")))
                .isEqualTo("expected a directory, and " + file + " (on the way to " + file.resolve("cache")
                        + ") is a file");
        Path created = directory.resolve("var").resolve("mta-sts");
        try (DeliveryPolicy policy = PolicyEngineConfiguration.from(
                        properties("mta-sts.cache.directory", created.toString()))
                .deliveryPolicy(Clock.systemUTC(), FetchListener.NONE)) {
            assertThat(created).isDirectory();
        }
    }

    @Test
    void aCacheDirectoryThatIsNotWritableIsNamed() throws Exception {
        Path readOnly = Files.createDirectories(directory.resolve("read-only"));
        Files.setPosixFilePermissions(readOnly, PosixFilePermissions.fromString("r-xr-xr-x"));
        assumeThat(Files.isWritable(readOnly))
                .as("root writes anywhere, so permissions cannot be tested as root")
                .isFalse();

        assertThat(deliveryPolicyProblem(readOnly)).isEqualTo("the directory " + readOnly + " is not writable");
        assertThat(deliveryPolicyProblem(readOnly.resolve("cache")))
                .isEqualTo("cannot create the directory " + readOnly.resolve("cache") + ": permission denied");
    }

    @Test
    void theReportDirectoryIsCheckedWhenReportingStarts() throws Exception {
        Path file = Files.writeString(directory.resolve("a-file"), "");
        TlsReportingConfiguration reports = PolicyEngineConfiguration.from(properties(
                        "tls-reports.enabled",
                        "true",
                        "tls-reports.organization-name",
                        "Example Inc.",
                        "tls-reports.contact-info",
                        "tlsrpt@example.com",
                        "tls-reports.sender",
                        "tlsrpt@example.com",
                        "tls-reports.directory",
                        file.toString()))
                .tlsReports();

        assertThatThrownBy(reports::prepareDirectory)
                .hasMessage(
                        "bad configuration: tls-reports.directory: expected a directory, and " + file + " is a file");
    }

    @Test
    void tlsPoliciesOverrideDomainsByTheirALabelName() throws Exception {
        PolicyEngineConfiguration configuration = PolicyEngineConfiguration.from(properties(
                "tls-policy.Example.COM", "dane-only",
                "tls-policy.bücher.example", "require-tls",
                "tls-policy.broken.example.", " None "));

        assertThat(configuration.overrides())
                .containsExactly(
                        Map.entry("broken.example", DomainOverride.NONE),
                        Map.entry("example.com", DomainOverride.DANE_ONLY),
                        Map.entry("xn--bcher-kva.example", DomainOverride.REQUIRE_TLS));
    }

    @Test
    void tlsReportsAreOffUntilSwitchedOnWithWhoSendsThem() throws Exception {
        TlsReportingConfiguration off =
                PolicyEngineConfiguration.from(new Properties()).tlsReports();
        assertThat(off.enabled()).isFalse();
        assertThat(off.period()).isEqualTo(Duration.ofDays(1));

        Path base = Path.of("/srv/james");
        TlsReportingConfiguration on = PolicyEngineConfiguration.from(
                        properties(
                                "tls-reports.enabled",
                                "true",
                                "tls-reports.organization-name",
                                "Example Inc.",
                                "tls-reports.contact-info",
                                "tlsrpt-admin@example.com",
                                "tls-reports.sender",
                                "TLSRPT@Mail.Example.COM",
                                "tls-reports.period",
                                "1h"),
                        base)
                .tlsReports();
        assertThat(on.enabled()).isTrue();
        assertThat(on.submitter()).as("the sender's domain, RFC 8460 5.3").isEqualTo("mail.example.com");
        assertThat(on.period()).isEqualTo(Duration.ofHours(1));
        assertThat(on.directory()).isEqualTo(base.resolve("var/secure-delivery/tls-reports"));
        assertThat(on.uploadAllowedNetworks())
                .as("uploads go to global unicast addresses only")
                .isEmpty();
        assertThat(PolicyEngineConfiguration.from(properties(
                                "tls-reports.upload-allowed-networks", " 127.0.0.0/8, 10.1.0.0/16 ,fd00::/8"))
                        .tlsReports()
                        .uploadAllowedNetworks())
                .containsExactly(
                        IpNetwork.parse("127.0.0.0/8"), IpNetwork.parse("10.1.0.0/16"), IpNetwork.parse("fd00::/8"));
        assertThatThrownBy(() -> PolicyEngineConfiguration.from(properties(
                        "tls-reports.enabled",
                        "true",
                        "tls-reports.organization-name",
                        "Example Inc.",
                        "tls-reports.sender",
                        "tlsrpt@example.com")))
                .hasMessageStartingWith(
                        "bad configuration: tls-reports.contact-info: required when" + " tls-reports.enabled = true");
        assertThatThrownBy(() -> PolicyEngineConfiguration.from(properties("tls-reports.enabled", "true")))
                .hasMessageStartingWith("bad configuration: tls-reports.organization-name: required when"
                        + " tls-reports.enabled = true");
    }

    @Test
    void aNodeNameIsLettersAndDigitsAndTheContactAMailAddress() throws Exception {
        assertThat(PolicyEngineConfiguration.from(new Properties()).tlsReports().nodeName())
                .as("the host's name is used")
                .isEmpty();
        assertThat(PolicyEngineConfiguration.from(properties("tls-reports.node-name", "mx2"))
                        .tlsReports()
                        .nodeName())
                .contains("mx2");
        // RFC 8460 5.1: the file name's unique-id is 1*(ALPHA / DIGIT).
        assertThatThrownBy(() -> PolicyEngineConfiguration.from(properties("tls-reports.node-name", "mx-2.dc1")))
                .hasMessage("bad configuration: tls-reports.node-name: expected 1 to 63 letters and digits naming"
                        + " this node, such as mx1 (RFC 8460 5.1's unique-id), got \"mx-2.dc1\"");
        // RFC 8460 4.4: contact-info is formatted as an email address.
        assertThatThrownBy(() -> PolicyEngineConfiguration.from(
                        properties("tls-reports.contact-info", "https://example.com/tlsrpt")))
                .hasMessage("bad configuration: tls-reports.contact-info: expected a mail address such as"
                        + " postmaster@example.com, got \"https://example.com/tlsrpt\"");
        assertThatThrownBy(() -> PolicyEngineConfiguration.from(
                        properties("tls-reports.contact-info", "mailto:postmaster@example.com")))
                .hasMessageContaining("expected a mail address");
    }

    @Test
    void aFileIsReadAsUtf8Properties() throws Exception {
        Path file = directory.resolve("secure-delivery.properties");
        Files.writeString(file, "# comment\ndns.servers = 127.0.0.1:5353\nmta-sts.lookup-timeout = 5s\n");

        assertThat(PolicyEngineConfiguration.load(file).dnsServers())
                .containsExactly(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 5353));
    }

    private String deliveryPolicyProblem(Path cacheDirectory) throws Exception {
        PolicyEngineConfiguration configuration =
                PolicyEngineConfiguration.from(properties("mta-sts.cache.directory", cacheDirectory.toString()));
        try (DeliveryPolicy policy = configuration.deliveryPolicy(Clock.systemUTC(), FetchListener.NONE)) {
            throw new AssertionError("a delivery policy with its cache in " + cacheDirectory);
        } catch (ConfigurationException e) {
            assertThat(e.key()).contains("mta-sts.cache.directory");
            return e.problem();
        }
    }

    private static String problem(String key, String value) {
        try {
            PolicyEngineConfiguration.from(properties(key, value));
        } catch (ConfigurationException e) {
            assertThat(e.key()).contains(key);
            assertThat(e.getMessage()).isEqualTo("bad configuration: " + key + ": " + e.problem());
            return e.problem();
        }
        throw new AssertionError(key + " = " + value + " was taken");
    }

    private static Properties properties(String... keysAndValues) {
        Properties properties = new Properties();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            properties.setProperty(keysAndValues[i], keysAndValues[i + 1]);
        }
        return properties;
    }
}
