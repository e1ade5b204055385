package dev.securedelivery.integration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.securedelivery.cli.SecureDeliveryCli;
import dev.securedelivery.testing.IssuedCertificate;
import dev.securedelivery.testing.KnotAndUnbound;
import dev.securedelivery.testing.LoopbackPorts;
import dev.securedelivery.testing.TestCertificateAuthority;
import dev.securedelivery.testing.TestHttpsServer;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.Properties;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real James 3.8.1 receiving mail for {@code ours.test}, its records published from its own
 * keystore by {@code bin/secure-delivery publish} into a zone Debian's knot signs, resolved through
 * Debian's unbound: {@code verify} and the running James's self-check find nothing to fix, and a
 * second James with the extension delivers to it with DANE, the MTA-STS policy in force.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class OwnDomainsInJamesTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final TestCertificateAuthority ca = TestCertificateAuthority.root("Own Domains In James Root");
    private KnotAndUnbound dns;
    private TestHttpsServer policyHost;
    private JamesUnderTest receiver;
    private JamesProcess sender;
    private Path configuration;
    private int smtpPort;
    private String zone;

    @BeforeAll
    void start(@TempDir Path directory) throws Exception {
        Optional<String> missing = KnotAndUnbound.unavailableReason();
        if (missing.isPresent() && KnotAndUnbound.required()) {
            throw new IllegalStateException("knot and unbound are required here: " + missing.get());
        }
        Assumptions.assumeTrue(missing.isEmpty(), () -> "skipped: " + missing.orElse(""));

        // The receiving James's SMTP server: its port, and the key store it will present.
        IssuedCertificate mxCertificate = ca.issue("mx.ours.test");
        smtpPort = LoopbackPorts.freeTcpPort(InetAddress.getLoopbackAddress());
        Path receiverHome = directory.resolve("receiver");
        JamesUnderTest.writeSmtpServer(Files.createDirectories(receiverHome.resolve("conf")), smtpPort, mxCertificate);

        // What to publish, from that James's own keystore.
        JsonNode published = JSON.readTree(cli(
                0,
                "publish",
                "ours.test",
                "--james-home",
                receiverHome.toString(),
                "--mx",
                "mx.ours.test",
                "--enforce",
                "--json"));
        zone = published.get("zone").asText();
        String records = zone.lines().filter(line -> !line.startsWith(";")).collect(Collectors.joining("\n"));
        dns = KnotAndUnbound.start(
                directory.resolve("dns"),
                KnotAndUnbound.Zone.of(
                        "ours.test.",
                        KnotAndUnbound.Delegation.SIGNED,
                        "@ MX 10 mx\nmx A 127.0.0.1\nmta-sts A 127.0.0.1\n" + records + "\n"));
        policyHost = TestHttpsServer.start(
                InetAddress.getLoopbackAddress(), ca.issue("mta-sts.ours.test").serverContext());
        policyHost.respondWith(
                TestHttpsServer.ok("text/plain", published.get("policy").asText()));

        Path anchor = directory.resolve("anchor.ds");
        Files.writeString(anchor, dns.trustAnchor() + "\n");
        Path trusted = directory.resolve("ca.pem");
        Files.writeString(trusted, ca.rootPem());
        Properties properties = new Properties();
        properties.setProperty("dns.servers", "127.0.0.1:" + dns.unbound().getPort());
        properties.setProperty("dns.trust-anchor", anchor.toString());
        properties.setProperty("tls.trusted-certificates", trusted.toString());
        properties.setProperty("mta-sts.fetch.port", String.valueOf(policyHost.port()));
        properties.setProperty("own-domains.smtp-port", String.valueOf(smtpPort));
        configuration = directory.resolve("secure-delivery.properties");
        try (OutputStream out = Files.newOutputStream(configuration)) {
            properties.store(out, null);
        }
        receiver = JamesUnderTest.startReceiving(
                receiverHome, properties, new JamesUnderTest.Receiving(smtpPort, mxCertificate, "ours.test"));
        // The sender in a process of its own: two James servers do not share one JVM (JMX names).
        sender = JamesProcess.launch(directory.resolve("sender"), properties, smtpPort)
                .awaitStarted(Duration.ofSeconds(120));
    }

    @AfterAll
    void stop() {
        for (AutoCloseable closeable : new AutoCloseable[] {sender, receiver, policyHost, dns}) {
            if (closeable != null) {
                try {
                    closeable.close();
                } catch (Exception e) {
                    // The next one still closes.
                }
            }
        }
    }

    @Test
    void theRecordsPublishedFromJamessKeystorePassVerify() throws Exception {
        assertThat(zone)
                .contains("_mta-sts.ours.test. 3600 IN TXT \"v=STSv1; id=")
                .contains("_smtp._tls.ours.test. 3600 IN TXT \"v=TLSRPTv1; rua=mailto:tlsrpt@ours.test\"")
                .contains("_smtp._tls.mx.ours.test. 3600 IN TXT \"v=TLSRPTv1; rua=mailto:tlsrpt@ours.test\"")
                .contains("_25._tcp.mx.ours.test. 3600 IN TLSA 3 1 1 ");
        String verify = cli(
                0,
                "verify",
                "ours.test",
                "--config",
                configuration.toString(),
                "--smtp-port",
                String.valueOf(smtpPort));
        assertThat(verify)
                .contains("TLSA: DANE-EE")
                .contains("PKIX: valid for mx.ours.test")
                .contains("exit 0");
    }

    @Test
    void theRunningJamessSelfCheckFindsNothingToFix() throws Exception {
        HttpResponse<String> checked = HttpClient.newHttpClient()
                .send(
                        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + receiver.webAdminPort()
                                        + "/secure-delivery/own-domains/check"))
                                .POST(HttpRequest.BodyPublishers.noBody())
                                .timeout(Duration.ofSeconds(120))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
        assertThat(checked.statusCode()).as(checked.body()).isEqualTo(200);
        JsonNode domain = JSON.readTree(checked.body()).get("domains").get(0);
        assertThat(domain.get("domain").asText()).isEqualTo("ours.test");
        assertThat(domain.get("worst").asText()).as(domain.toString()).isEqualTo("ok");
        // Nothing to fix, not even a missing report address: every finding is ok but the certificate's facts.
        for (JsonNode finding : domain.get("findings")) {
            assertThat(finding.get("severity").asText()).as(finding.toString()).isIn("ok", "info");
            if (finding.get("severity").asText().equals("info")) {
                assertThat(finding.get("message").asText()).startsWith("certificate for mx.ours.test");
            }
        }
        assertThat(domain.get("findings").toString()).contains("TLSA: DANE-EE").contains("mode enforce");
        // The records route gives the same TLSA record.
        HttpResponse<String> records = HttpClient.newHttpClient()
                .send(
                        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + receiver.webAdminPort()
                                        + "/secure-delivery/own-domains/ours.test/records?mx=mx.ours.test"))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
        String tlsa = zone.lines()
                .filter(line -> line.contains(" IN TLSA "))
                .findFirst()
                .orElseThrow();
        assertThat(JSON.readTree(records.body()).get("zone").asText()).contains(tlsa);
    }

    @Test
    void aSenderWithTheExtensionDeliversToItWithDane() throws Exception {
        sender.send(Destinations.SENDER, "someone@ours.test", "to our domain", "Over DANE.");

        await().atMost(Duration.ofSeconds(60))
                .until(() -> sender.output().contains("domain=ours.test mx=mx.ours.test"));
        await().atMost(Duration.ofSeconds(10))
                .untilAsserted(() -> assertThat(sender.output())
                        .contains("requirement=dane outcome=delivered")
                        .contains("authentication=DANE-EE"));
        // The policy was fetched too: MTA-STS is in force for the domain, DANE decides the host.
        assertThat(policyHost.requestCount()).isPositive();
    }

    // Runs the command-line tool in this JVM; asserts its exit code and returns what it printed.
    private static String cli(int expectedExit, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int exit = SecureDeliveryCli.run(
                args,
                new ByteArrayInputStream(new byte[0]),
                new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        String printed = out.toString(StandardCharsets.UTF_8);
        assertThat(exit).as(printed + err.toString(StandardCharsets.UTF_8)).isEqualTo(expectedExit);
        return printed;
    }
}
