package dev.securedelivery.integration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.securedelivery.testing.SignedZone;
import dev.securedelivery.testing.TestHttpsServer;
import dev.securedelivery.testing.TestSmtpServer;
import dev.securedelivery.testing.TlsReportSchema;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import javax.mail.Multipart;
import javax.mail.Part;
import javax.mail.Session;
import javax.mail.internet.MimeMessage;
import org.apache.james.jdkim.DKIMVerifier;
import org.apache.james.jdkim.api.SignatureRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * RFC 8460 reports sent by a real James 3.8.1 with the mailet: sessions recorded by real
 * deliveries, the report mail through James's own pipeline to the reporting domain's MX, the HTTPS
 * report to a real HTTPS server, nothing for domains without a valid {@code _smtp._tls} record, and
 * the day's counts kept across a restart.
 */
class TlsReportsInJamesTest {
    private static final Pattern FILE_NAME =
            Pattern.compile("filename=\"?(sink\\.test!reported\\.test!\\d+!\\d+!james1\\.json\\.gz)\"?");

    @TempDir
    Path directory;

    private final Destinations world = new Destinations();
    private final List<byte[]> posted = Collections.synchronizedList(new ArrayList<>());
    private TestHttpsServer endpoint;
    private JamesUnderTest james;

    @AfterEach
    void stopEverything() throws Exception {
        if (james != null) {
            james.close();
        }
        if (endpoint != null) {
            endpoint.close();
        }
        world.close();
    }

    /**
     * reports.test takes reports by mail (its MX) and over HTTPS; reported.test asks for both;
     * silent.test publishes no record, broken.test an invalid one naming the same places; reports.test
     * asks for reports on itself too, which the report mail's own deliveries must never produce.
     */
    private void declareTheWorld() {
        SignedZone reports = world.zone("reports.test", false);
        world.mx(reports, "mx.reports.test", 10, world.ca().issue("mx.reports.test"));
        endpoint = world.reportEndpoint(reports, posted);
        String https = "https://tlsrpt.reports.test:" + endpoint.port() + "/v1/tlsrpt";
        reports.addTxt("_smtp._tls.reports.test.", "v=TLSRPTv1; rua=" + https);

        SignedZone reported = world.zone("reported.test", false);
        world.mx(reported, "mx.reported.test", 10, world.ca().issue("mx.reported.test"));
        reported.addTxt("_smtp._tls.reported.test.", "v=TLSRPTv1; rua=mailto:tlsrpt@reports.test," + https);
        world.mx(
                world.zone("silent.test", false),
                "mx.silent.test",
                10,
                world.ca().issue("mx.silent.test"));
        SignedZone broken = world.zone("broken.test", false);
        world.mx(broken, "mx.broken.test", 10, world.ca().issue("mx.broken.test"));
        // Two rua fields: invalid (RFC 8460 3), so no report, though both URIs would work.
        broken.addTxt("_smtp._tls.broken.test.", "v=TLSRPTv1; rua=mailto:tlsrpt@reports.test; rua=" + https);
        world.start();
    }

    private Properties configuration(String period) throws IOException {
        return world.reportingConfiguration(directory.resolve("world"), period);
    }

    private Map<String, String> mailet() {
        Map<String, String> mailet = new LinkedHashMap<>();
        mailet.put("outgoing", "outgoing");
        mailet.put("delayTime", "2 seconds");
        mailet.put("maxRetries", "3");
        mailet.put("bounceProcessor", "bounces");
        mailet.put("smtpPort", String.valueOf(world.smtpPort()));
        return mailet;
    }

    private Path home() {
        return directory.resolve("james");
    }

    @Test
    void aDomainWithARecordGetsItsReportsByMailAndHttpsAndNoOtherDomainGetsAny() throws Exception {
        declareTheWorld();
        james = JamesUnderTest.start(home(), mailet(), configuration("10s"));

        james.send(Destinations.SENDER, List.of("user@reported.test"), "to reported", "Reported on.");
        james.send(Destinations.SENDER, List.of("user@silent.test"), "to silent", "Not reported on.");
        james.send(Destinations.SENDER, List.of("user@broken.test"), "to broken", "Not reported on.");
        world.awaitOne("mx.reported.test");
        world.awaitOne("mx.silent.test");
        world.awaitOne("mx.broken.test");

        // Every period with a session closed, every report built and sent or dropped.
        Path reporting = home().resolve("var/secure-delivery/tls-reports");
        TestSmtpServer reportsMx = world.server("mx.reports.test");
        await().atMost(Duration.ofSeconds(60))
                .until(() -> isEmpty(reporting.resolve("journal"))
                        && isEmpty(reporting.resolve("outbox"))
                        && !reportsMx.received().isEmpty());
        // Also long enough for a report on the report mails' own sessions, if one were wrongly made.
        Thread.sleep(Duration.ofSeconds(12).toMillis());

        List<TestSmtpServer.Received> mails = reportsMx.received();
        long sessions = 0;
        List<String> mailed = new ArrayList<>();
        for (TestSmtpServer.Received mail : mails) {
            assertThat(mail.recipients).containsExactly("tlsrpt@reports.test");
            assertThat(mail.from).isEqualTo("tlsrpt@sink.test");
            assertThat(mail.overTls).isTrue();
            MimeMessage message = new MimeMessage(
                    Session.getInstance(new Properties()),
                    new ByteArrayInputStream(mail.data.getBytes(StandardCharsets.ISO_8859_1)));
            // RFC 8460 5.3: the headers, the Subject, multipart/report with the gzip attachment.
            assertThat(message.getHeader("TLS-Report-Domain", ",")).isEqualTo("reported.test");
            assertThat(message.getHeader("TLS-Report-Submitter", ",")).isEqualTo("sink.test");
            assertThat(message.getSubject())
                    .matches("Report Domain: reported\\.test Submitter: sink\\.test"
                            + " Report-ID: <\\d+\\.\\d+\\.james1\\.reported\\.test@sink\\.test>");
            assertThat(message.getContentType()).startsWith("multipart/report").contains("report-type=\"tlsrpt\"");
            Multipart parts = (Multipart) message.getContent();
            assertThat(parts.getCount()).isEqualTo(2);
            assertThat(parts.getBodyPart(0).getContentType()).startsWith("text/plain");
            Part attachment = parts.getBodyPart(1);
            assertThat(attachment.getContentType()).startsWith("application/tlsrpt+gzip");
            assertThat(attachment.getDisposition()).isEqualTo(Part.ATTACHMENT);
            Matcher fileName = FILE_NAME.matcher(String.join(" ", attachment.getHeader("Content-Disposition")));
            assertThat(fileName.find()).as("RFC 8460 5.1 file name").isTrue();
            String json = gunzip(attachment.getInputStream().readAllBytes());
            assertThat(json)
                    .contains("\"organization-name\":\"Sink Test Mail\"")
                    .contains("\"contact-info\":\"postmaster@sink.test\"")
                    .contains("\"policy-type\":\"no-policy-found\"")
                    .contains("\"policy-domain\":\"reported.test\"");
            sessions += count(json, "total-successful-session-count");
            assertThat(count(json, "total-failure-session-count")).isZero();
            mailed.add(json);
        }
        assertThat(sessions)
                .as("the one delivery to reported.test, reported once")
                .isEqualTo(1);

        // The same reports over HTTPS, as application/tlsrpt+gzip (RFC 8460 5.4).
        assertThat(endpoint.lastMethod()).isEqualTo("POST");
        assertThat(endpoint.lastRequestHeaders().get("Content-type")).containsExactly("application/tlsrpt+gzip");
        List<String> uploaded = new ArrayList<>();
        for (byte[] body : new ArrayList<>(posted)) {
            uploaded.add(gunzip(body));
        }
        assertThat(uploaded)
                .as("neither silent.test, broken.test nor the report mails were reported on")
                .containsExactlyInAnyOrderElementsOf(mailed);
    }

    @Test
    void theDaysCountsSurviveARestart() throws Exception {
        declareTheWorld();
        // An hour-long period: this James cannot report the session before it stops.
        james = JamesUnderTest.start(home(), mailet(), configuration("1h"));
        james.send(Destinations.SENDER, List.of("user@reported.test"), "to reported", "Reported on.");
        world.awaitOne("mx.reported.test");
        james.close();
        james = null;
        assertThat(world.server("mx.reports.test").received()).isEmpty();

        // Restarted with ten-second periods, the session's period is over: its report goes at once.
        james = JamesUnderTest.start(home(), mailet(), configuration("10s"));

        TestSmtpServer reportsMx = world.server("mx.reports.test");
        await().atMost(Duration.ofSeconds(60)).until(() -> !reportsMx.received().isEmpty());
        MimeMessage message = new MimeMessage(
                Session.getInstance(new Properties()),
                new ByteArrayInputStream(reportsMx.received().get(0).data.getBytes(StandardCharsets.ISO_8859_1)));
        String json = gunzip(((Multipart) message.getContent())
                .getBodyPart(1)
                .getInputStream()
                .readAllBytes());
        assertThat(json)
                .contains("\"policy-domain\":\"reported.test\"")
                .contains("\"total-successful-session-count\":1");
    }

    @Test
    void theSampleDkimSignMailetSignsReportMailSoThatItVerifies() throws Exception {
        declareTheWorld();
        KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
        generator.initialize(2048);
        KeyPair key = generator.generateKeyPair();
        james = JamesUnderTest.startWithRelayMailets(home(), mailet(), configuration("10s"), sampleDkimSign(key));

        james.send(Destinations.SENDER, List.of("user@reported.test"), "to reported", "Reported on.");
        TestSmtpServer reportsMx = world.server("mx.reports.test");
        await().atMost(Duration.ofSeconds(60)).until(() -> !reportsMx.received().isEmpty());

        String mail = reportsMx.received().get(0).data;
        assertThat(mail).contains("DKIM-Signature:");
        // RFC 8460 3: a valid DKIM signature of the reporting domain, the report headers signed (5.3).
        String publicKey = "v=DKIM1; k=rsa; p="
                + Base64.getEncoder().encodeToString(key.getPublic().getEncoded());
        List<SignatureRecord> verified = new DKIMVerifier((method, selector, domain) -> {
                    assertThat(selector.toString()).isEqualTo("tlsrpt");
                    assertThat(domain.toString()).isEqualTo("sink.test");
                    return List.of(publicKey);
                })
                .verify(new ByteArrayInputStream(mail.getBytes(StandardCharsets.ISO_8859_1)));
        assertThat(verified).singleElement().satisfies(signature -> {
            assertThat(signature.getDToken().toString()).isEqualTo("sink.test");
            assertThat(signature.getHeaders().toString().toLowerCase(Locale.ROOT))
                    .contains("tls-report-domain")
                    .contains("tls-report-submitter");
        });
        // Only report mail is signed by this mailet: the delivered message is not.
        assertThat(world.awaitOne("mx.reported.test").data).doesNotContain("DKIM-Signature:");
    }

    // The DKIMSign mailet of the shipped mailetcontainer.xml, uncommented as docs/conformance/tls-rpt.md says: d= the
    // sender's domain, the private key pasted in.
    private static String sampleDkimSign(KeyPair key) throws IOException {
        String sample =
                Files.readString(JamesProcess.REPOSITORY.resolve("james-conf/src/main/conf/mailetcontainer.xml"));
        int start = sample.indexOf("<mailet match=\"HasHeader=TLS-Report-Domain\"");
        int end = sample.indexOf("</mailet>", start) + "</mailet>".length();
        assertThat(start).as("the sample has the DKIMSign mailet").isPositive();
        String pem = "-----BEGIN PRIVATE KEY-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                        .encodeToString(key.getPrivate().getEncoded())
                + "\n-----END PRIVATE KEY-----\n";
        return sample.substring(start, end)
                        .replace("d=example.com", "d=sink.test")
                        .replaceAll("<privateKey>[^<]*</privateKey>", "<privateKey>" + pem + "</privateKey>")
                + "\n";
    }

    private static boolean isEmpty(Path directory) throws IOException {
        if (!Files.isDirectory(directory)) {
            return false;
        }
        try (Stream<Path> files = Files.list(directory)) {
            return files.findAny().isEmpty();
        }
    }

    private static long count(String json, String field) {
        Matcher matcher = Pattern.compile("\"" + field + "\":(\\d+)").matcher(json);
        long total = 0;
        while (matcher.find()) {
            total += Long.parseLong(matcher.group(1));
        }
        return total;
    }

    // Every report these tests receive is held to the JSON Schema of RFC 8460 4.4.
    private static String gunzip(byte[] gzip) throws IOException {
        try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(gzip))) {
            return TlsReportSchema.check(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        }
    }
}
