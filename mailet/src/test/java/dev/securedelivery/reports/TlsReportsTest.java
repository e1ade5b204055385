package dev.securedelivery.reports;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.securedelivery.configuration.PolicyEngineConfiguration;
import dev.securedelivery.dns.DnsResolver;
import dev.securedelivery.testing.InMemoryDns;
import dev.securedelivery.testing.TestCertificateAuthority;
import dev.securedelivery.testing.TestClock;
import dev.securedelivery.testing.TestHttpsServer;
import dev.securedelivery.testing.TlsReportSchema;
import dev.securedelivery.tlsrpt.FailureDetail;
import dev.securedelivery.tlsrpt.PendingReport;
import dev.securedelivery.tlsrpt.ReportedPolicy;
import dev.securedelivery.tlsrpt.ResultType;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.zip.GZIPInputStream;
import javax.mail.MessagingException;
import javax.mail.Multipart;
import javax.mail.Part;
import javax.mail.internet.MimeMessage;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Reports from recorded sessions to the domains' {@code rua} URIs: when they are built, where they
 * go, what happens when they cannot go, and what a restart keeps. Time is a test clock; DNS is in
 * memory; the mail pipeline is a list; HTTPS is a real server.
 */
class TlsReportsTest {
    private static final Instant MORNING = Instant.parse("2026-11-21T10:00:00Z");
    private static final Instant NEXT_DAY = Instant.parse("2026-11-22T00:00:00Z");
    private static final ReportedPolicy DEST_POLICY = ReportedPolicy.sts(
            "dest.test", "version: STSv1\nmode: enforce\nmx: mx.dest.test\nmax_age: 86400", List.of("mx.dest.test"));

    @TempDir
    Path directory;

    private final TestClock clock = new TestClock(MORNING);
    private final InMemoryDns dns = new InMemoryDns();
    private final List<Submitted> submitted = Collections.synchronizedList(new ArrayList<>());
    private volatile String submissionFailure;
    private final List<TlsReports> started = new ArrayList<>();

    private static final class Submitted {
        final String sender;
        final String recipient;
        final MimeMessage message;

        Submitted(String sender, String recipient, MimeMessage message) {
            this.sender = sender;
            this.recipient = recipient;
            this.message = message;
        }
    }

    @AfterEach
    void stop() throws IOException {
        for (TlsReports reports : started) {
            reports.close();
        }
    }

    private TlsReports start(String... extraSettings) throws Exception {
        return start(ReportUpload.DEADLINE, extraSettings);
    }

    private TlsReports start(Duration uploadDeadline, String... extraSettings) throws Exception {
        Properties properties = new Properties();
        properties.setProperty("tls-reports.enabled", "true");
        properties.setProperty("tls-reports.organization-name", "Sender Example Inc.");
        properties.setProperty("tls-reports.contact-info", "postmaster@sender.test");
        properties.setProperty("tls-reports.node-name", "node1");
        properties.setProperty("tls-reports.sender", "tlsrpt@sender.test");
        properties.setProperty("tls-reports.directory", directory.toString());
        for (int i = 0; i < extraSettings.length; i += 2) {
            properties.setProperty(extraSettings[i], extraSettings[i + 1]);
        }
        PolicyEngineConfiguration configuration = PolicyEngineConfiguration.from(properties);
        TlsReports reports = TlsReports.start(
                configuration.tlsReports(),
                new DnsResolver(dns, false, Duration.ofSeconds(2)),
                configuration.pkixTrustManager(),
                (sender, recipient, message) -> {
                    if (submissionFailure != null) {
                        throw new MessagingException(submissionFailure);
                    }
                    submitted.add(new Submitted(sender, recipient, message));
                },
                clock,
                uploadDeadline);
        started.add(reports);
        return reports;
    }

    private void stopped(TlsReports reports) throws IOException {
        reports.close();
        started.remove(reports);
    }

    private static void recordDay(TlsReports reports) {
        reports.counts().success(DEST_POLICY, MORNING);
        reports.counts().success(DEST_POLICY, MORNING.plusSeconds(60));
        reports.counts()
                .failure(
                        DEST_POLICY,
                        FailureDetail.builder(
                                        ResultType.CERTIFICATE_EXPIRED, "192.0.2.25", "mx.dest.test", "198.51.100.7")
                                .build(),
                        MORNING.plusSeconds(120));
    }

    @Test
    void oneReportPerDomainGoesToItsMailtoAddressOnceTheDayIsOver() throws Exception {
        dns.addTxt("_smtp._tls.dest.test.", 300, "v=TLSRPTv1; rua=mailto:tlsrpt@dest.test");
        TlsReports reports = start();
        recordDay(reports);

        reports.runNow();
        assertThat(submitted).as("the day is not over").isEmpty();

        clock.advance(Duration.between(MORNING, NEXT_DAY).plusMinutes(1));
        reports.runNow();

        assertThat(submitted).hasSize(1);
        Submitted report = submitted.get(0);
        assertThat(report.sender).isEqualTo("tlsrpt@sender.test");
        assertThat(report.recipient).isEqualTo("tlsrpt@dest.test");
        String json = attachedReport(report.message);
        assertThat(json)
                .contains("\"organization-name\":\"Sender Example Inc.\"")
                .contains("\"start-datetime\":\"2026-11-21T00:00:00Z\",\"end-datetime\":\"2026-11-21T23:59:59Z\"")
                .contains("\"contact-info\":\"postmaster@sender.test\"")
                .contains("\"report-id\":\"1795219200.1795305599.node1.dest.test@sender.test\"")
                .contains("\"policy-domain\":\"dest.test\"")
                .contains("\"total-successful-session-count\":2,\"total-failure-session-count\":1")
                .contains("\"result-type\":\"certificate-expired\"");
        assertThat(reports.pending()).as("sent everywhere: nothing waits").isEmpty();
        assertThat(reports.counts().periods())
                .as("the day is forgotten once reported")
                .isEmpty();
        try (var journals = Files.list(directory.resolve("journal"))) {
            assertThat(journals).isEmpty();
        }

        reports.runNow();
        assertThat(submitted).as("a day is reported once").hasSize(1);
    }

    @Test
    void theMailIsTheMessageOfRfc8460Section53() throws Exception {
        dns.addTxt("_smtp._tls.dest.test.", 300, "v=TLSRPTv1; rua=mailto:tlsrpt@dest.test");
        TlsReports reports = start();
        recordDay(reports);
        clock.advance(Duration.between(MORNING, NEXT_DAY).plusMinutes(1));
        reports.runNow();

        // As James would keep and send it: written out and read back.
        MimeMessage message = roundTrip(submitted.get(0).message);
        assertThat(message.getHeader("From", ",")).isEqualTo("tlsrpt@sender.test");
        assertThat(message.getHeader("To", ",")).isEqualTo("tlsrpt@dest.test");
        assertThat(message.getSubject())
                .isEqualTo("Report Domain: dest.test Submitter: sender.test"
                        + " Report-ID: <1795219200.1795305599.node1.dest.test@sender.test>");
        assertThat(message.getHeader("TLS-Report-Domain", ",")).isEqualTo("dest.test");
        assertThat(message.getHeader("TLS-Report-Submitter", ",")).isEqualTo("sender.test");
        assertThat(message.getHeader("Message-ID", ","))
                .isEqualTo("<1795219200.1795305599.node1.dest.test@sender.test>");
        assertThat(message.getHeader("Auto-Submitted", ",")).isEqualTo("auto-generated");
        assertThat(message.getHeader("TLS-Required", ",")).isEqualTo("No");
        assertThat(message.getContentType()).startsWith("multipart/report").contains("report-type=\"tlsrpt\"");
        Multipart parts = (Multipart) message.getContent();
        assertThat(parts.getCount()).isEqualTo(2);
        assertThat(parts.getBodyPart(0).getContentType()).startsWith("text/plain");
        assertThat((String) parts.getBodyPart(0).getContent()).contains("aggregate TLS report");
        Part attachment = parts.getBodyPart(1);
        assertThat(attachment.getContentType()).startsWith("application/tlsrpt+gzip");
        assertThat(attachment.getDisposition()).isEqualTo(Part.ATTACHMENT);
        assertThat(attachment.getHeader("Content-Transfer-Encoding")).containsExactly("base64");
        // RFC 8460 5.1: sender "!" policy-domain "!" begin-timestamp "!" end-timestamp "!" unique-id "." extension.
        assertThat(attachment.getFileName()).isEqualTo("sender.test!dest.test!1795219200!1795305599!node1.json.gz");
        assertThat(attachedReport(message)).contains("\"policy-domain\":\"dest.test\"");
    }

    // An HTTPS report endpoint, reports.dest.test, with a certificate of a CA the reports trust.
    private TestHttpsServer reportEndpoint() throws IOException {
        TestCertificateAuthority ca = TestCertificateAuthority.root("Reports CA");
        Files.writeString(directory.resolve("ca.pem"), ca.rootPem());
        dns.addA("reports.dest.test.", "127.0.0.1");
        return TestHttpsServer.start(
                InetAddress.getLoopbackAddress(), ca.issue("reports.dest.test").serverContext());
    }

    // Its address is 127.0.0.1, which uploads refuse unless allowed.
    private TlsReports startTrustingReportEndpoint() throws Exception {
        return start(
                "tls.trusted-certificates",
                directory.resolve("ca.pem").toString(),
                "tls-reports.upload-allowed-networks",
                "127.0.0.0/8");
    }

    @Test
    void anHttpsReportIsPostedAsTlsrptGzip() throws Exception {
        try (TestHttpsServer server = reportEndpoint()) {
            server.respondWith(TestHttpsServer.status(201, "text/plain", "thanks"));
            dns.addTxt(
                    "_smtp._tls.dest.test.",
                    300,
                    "v=TLSRPTv1; rua=https://reports.dest.test:" + server.port() + "/v1/tlsrpt");
            TlsReports reports = startTrustingReportEndpoint();
            recordDay(reports);
            clock.advance(Duration.between(MORNING, NEXT_DAY).plusMinutes(1));
            reports.runNow();

            assertThat(server.requestCount()).isEqualTo(1);
            assertThat(server.lastMethod()).isEqualTo("POST");
            assertThat(server.lastPath()).isEqualTo("/v1/tlsrpt");
            assertThat(server.lastRequestHeaders().get("Content-type")).containsExactly("application/tlsrpt+gzip");
            assertThat(gunzip(server.lastRequestBody())).contains("\"total-successful-session-count\":2");
            assertThat(reports.pending()).isEmpty();
        }
    }

    @Test
    void anHttpsEndpointWhoseCertificateIsNotTrustedGetsNothing() throws Exception {
        try (TestHttpsServer server = reportEndpoint()) {
            server.respondWith(TestHttpsServer.status(201, "text/plain", "thanks"));
            dns.addTxt(
                    "_smtp._tls.dest.test.", 300, "v=TLSRPTv1; rua=https://reports.dest.test:" + server.port() + "/");
            // The JDK's CAs: the test CA is not among them. Its address is allowed: the certificate is what stops it.
            TlsReports reports = start("tls-reports.upload-allowed-networks", "127.0.0.0/8");
            recordDay(reports);
            clock.advance(Duration.between(MORNING, NEXT_DAY).plusMinutes(1));
            reports.runNow();

            assertThat(server.requestCount())
                    .as("no request reached the server")
                    .isZero();
            assertThat(reports.pending())
                    .singleElement()
                    .satisfies(waiting -> assertThat(waiting.attempts()).isEqualTo(1));
        }
    }

    @Test
    void anHttpsServerThatRefusesTheReportGetsItAgainLater() throws Exception {
        try (TestHttpsServer server = reportEndpoint()) {
            server.respondWith(TestHttpsServer.status(503, "text/plain", "busy"));
            dns.addTxt(
                    "_smtp._tls.dest.test.",
                    300,
                    "v=TLSRPTv1; rua=mailto:tlsrpt@dest.test,https://reports.dest.test:" + server.port() + "/");
            TlsReports reports = startTrustingReportEndpoint();
            recordDay(reports);
            clock.advance(Duration.between(MORNING, NEXT_DAY).plusMinutes(1));
            reports.runNow();

            assertThat(submitted).as("the mailto URI took it").hasSize(1);
            assertThat(reports.pending())
                    .singleElement()
                    .satisfies(waiting -> assertThat(waiting.targets())
                            .contains(
                                    List.of(java.net.URI.create("https://reports.dest.test:" + server.port() + "/"))));

            server.respondWith(TestHttpsServer.status(200, "text/plain", "ok"));
            clock.advance(TlsReports.FIRST_RETRY);
            reports.runNow();

            assertThat(server.requestCount()).isEqualTo(2);
            assertThat(submitted).as("only the URI that failed is tried again").hasSize(1);
            assertThat(reports.pending()).isEmpty();
        }
    }

    @Test
    void aRecordNamingThreeThousandUrisGetsItsReportAtTheFirstFiveOnly() throws Exception {
        StringBuilder uris = new StringBuilder("v=TLSRPTv1; rua=");
        for (int i = 0; i < 3000; i++) {
            uris.append(i == 0 ? "" : ",").append("mailto:").append(i).append("@d.test");
        }
        // Character-strings of at most 255 octets, joined by the reader (RFC 7208 3.3's rule, RFC 8460 3).
        List<String> strings = new ArrayList<>();
        for (int start = 0; start < uris.length(); start += 255) {
            strings.add(uris.substring(start, Math.min(uris.length(), start + 255)));
        }
        dns.addTxt("_smtp._tls.dest.test.", 300, strings.toArray(new String[0]));
        TlsReports reports = start();
        recordDay(reports);
        clock.advance(Duration.between(MORNING, NEXT_DAY).plusMinutes(1));
        reports.runNow();

        assertThat(submitted)
                .extracting(report -> report.recipient)
                .containsExactly("0@d.test", "1@d.test", "2@d.test", "3@d.test", "4@d.test");
        assertThat(reports.pending()).isEmpty();
    }

    @Test
    void anHttpsEndpointOnLoopbackGetsNothingUntilItsNetworkIsAllowed() throws Exception {
        try (TestHttpsServer server = reportEndpoint()) {
            server.respondWith(TestHttpsServer.status(201, "text/plain", "thanks"));
            dns.addTxt(
                    "_smtp._tls.dest.test.",
                    300,
                    "v=TLSRPTv1; rua=https://reports.dest.test:" + server.port()
                            + "/v1/tlsrpt,mailto:tlsrpt@dest.test");
            TlsReports refusing = start(
                    "tls.trusted-certificates", directory.resolve("ca.pem").toString());
            recordDay(refusing);

            TlsReports.Sending sending = refusing.sendNow("dest.test").orElseThrow();

            assertThat(server.requestCount()).as("no connection, no POST").isZero();
            assertThat(sending.sentTo()).as("mailto: is not affected").containsExactly("mailto:tlsrpt@dest.test");
            assertThat(sending.failed())
                    .containsExactly(
                            Map.entry(
                                    "https://reports.dest.test:" + server.port() + "/v1/tlsrpt",
                                    "refused: reports.dest.test has no address a report may be uploaded to: 127.0.0.1"
                                            + " is loopback (RFC 1122); tls-reports.upload-allowed-networks can allow a network"));
            assertThat(refusing.pending())
                    .singleElement()
                    .satisfies(waiting -> assertThat(waiting.attempts())
                            .as("a failed delivery, tried again")
                            .isEqualTo(1));
            stopped(refusing);

            TlsReports allowing = startTrustingReportEndpoint();
            clock.advance(TlsReports.FIRST_RETRY);
            allowing.runNow();

            assertThat(server.requestCount()).isEqualTo(1);
            assertThat(allowing.pending()).isEmpty();
        }
    }

    @Test
    void anHttpsEndpointResolvingToAPrivateAddressIsNeverConnectedTo() throws Exception {
        dns.addA("reports.dest.test.", "10.0.0.1");
        dns.addTxt("_smtp._tls.dest.test.", 300, "v=TLSRPTv1; rua=https://reports.dest.test/v1/tlsrpt");
        TlsReports reports = start();
        recordDay(reports);

        TlsReports.Sending sending = reports.sendNow("dest.test").orElseThrow();

        assertThat(sending.sentTo()).isEmpty();
        assertThat(sending.failed())
                .containsExactly(Map.entry(
                        "https://reports.dest.test/v1/tlsrpt",
                        "refused: reports.dest.test has no address a report may be uploaded to: 10.0.0.1 is private"
                                + " (RFC 1918); tls-reports.upload-allowed-networks can allow a network"));
    }

    @Test
    void ofTheAddressesOfAReportHostOnlyTheAllowedOnesAreConnectedTo() throws Exception {
        TestCertificateAuthority ca = TestCertificateAuthority.root("Reports CA");
        Files.writeString(directory.resolve("ca.pem"), ca.rootPem());
        // Two servers on one port number is not guaranteed: the same port is asked for on 127.0.0.2.
        try (TestHttpsServer allowed = TestHttpsServer.start(
                        InetAddress.getByName("127.0.0.1"),
                        ca.issue("reports.dest.test").serverContext());
                TestHttpsServer refused = TestHttpsServer.start(
                        InetAddress.getByName("127.0.0.2"),
                        allowed.port(),
                        ca.issue("reports.dest.test").serverContext())) {
            allowed.respondWith(TestHttpsServer.status(201, "text/plain", "thanks"));
            refused.respondWith(TestHttpsServer.status(201, "text/plain", "thanks"));
            // The refused address first: an upload that connected to what the name resolves to would go there.
            dns.addA("reports.dest.test.", "127.0.0.2");
            dns.addA("reports.dest.test.", "127.0.0.1");
            dns.addTxt(
                    "_smtp._tls.dest.test.", 300, "v=TLSRPTv1; rua=https://reports.dest.test:" + allowed.port() + "/");
            TlsReports reports = start(
                    "tls.trusted-certificates",
                    directory.resolve("ca.pem").toString(),
                    "tls-reports.upload-allowed-networks",
                    "127.0.0.1/32");
            recordDay(reports);

            TlsReports.Sending sending = reports.sendNow("dest.test").orElseThrow();

            assertThat(sending.failed()).isEmpty();
            assertThat(refused.requestCount()).isZero();
            assertThat(allowed.requestCount()).isEqualTo(1);
        }
    }

    @Test
    void anEndpointWhoseAnswerNeverEndsFailsAtTheDeadlineAndHoldsUpNoOtherReport() throws Exception {
        try (TestHttpsServer server = reportEndpoint()) {
            // A 200, then one byte every 50 ms, forever.
            server.respondWith(TestHttpsServer.drip("text/plain", Duration.ofMillis(50)));
            dns.addTxt(
                    "_smtp._tls.dest.test.", 300, "v=TLSRPTv1; rua=https://reports.dest.test:" + server.port() + "/");
            dns.addTxt("_smtp._tls.other.test.", 300, "v=TLSRPTv1; rua=mailto:tlsrpt@other.test");
            TlsReports reports = start(
                    Duration.ofSeconds(1),
                    "tls.trusted-certificates",
                    directory.resolve("ca.pem").toString(),
                    "tls-reports.upload-allowed-networks",
                    "127.0.0.0/8");
            recordDay(reports);
            ReportedPolicy other = ReportedPolicy.noPolicyFound("other.test");
            reports.counts().success(other, MORNING);
            clock.advance(Duration.between(MORNING, NEXT_DAY).plusMinutes(1));

            CompletableFuture<Void> run = CompletableFuture.runAsync(() -> {
                try {
                    reports.runNow();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            await().atMost(Duration.ofSeconds(60)).until(run::isDone);

            assertThat(server.requestCount()).isEqualTo(1);
            assertThat(reports.pending()).singleElement().satisfies(waiting -> {
                assertThat(waiting.policyDomain()).isEqualTo("dest.test");
                assertThat(waiting.attempts()).isEqualTo(1);
            });
            assertThat(submitted).extracting(report -> report.recipient).containsExactly("tlsrpt@other.test");

            // The next day's report still goes out, and the stuck one is tried again.
            reports.counts().success(other, clock.instant());
            clock.advance(Duration.ofDays(1));
            reports.runNow();
            assertThat(submitted)
                    .extracting(report -> report.recipient)
                    .containsExactly("tlsrpt@other.test", "tlsrpt@other.test");
            assertThat(server.requestCount()).isEqualTo(2);
        }
    }

    @Test
    void anAnswerWhoseBodyNeverEndsIsReadNoFurtherThanTheLimitAndItsStatusCounts() throws Exception {
        try (TestHttpsServer server = reportEndpoint()) {
            server.respondWith(TestHttpsServer.endlessBody(200, "text/plain"));
            dns.addTxt(
                    "_smtp._tls.dest.test.", 300, "v=TLSRPTv1; rua=https://reports.dest.test:" + server.port() + "/");
            TlsReports reports = startTrustingReportEndpoint();
            recordDay(reports);

            TlsReports.Sending sending = reports.sendNow("dest.test").orElseThrow();

            // Had the body been read to its end, the 30 s deadline would have made it a failure.
            assertThat(sending.failed()).isEmpty();
            assertThat(sending.sentTo()).containsExactly("https://reports.dest.test:" + server.port() + "/");
        }
    }

    @Test
    void aDomainWithoutARecordOrWithAnInvalidOneGetsNoReport() throws Exception {
        dns.addTxt("_smtp._tls.invalid.test.", 300, "v=TLSRPTv1; rua=mailto:a@invalid.test; rua=mailto:b@invalid.test");
        dns.addTxt("_smtp._tls.twice.test.", 300, "v=TLSRPTv1; rua=mailto:a@twice.test");
        dns.addTxt("_smtp._tls.twice.test.", 300, "v=TLSRPTv1; rua=mailto:b@twice.test");
        TlsReports reports = start();
        for (String domain : List.of("silent.test", "invalid.test", "twice.test")) {
            reports.counts().success(ReportedPolicy.noPolicyFound(domain), MORNING);
        }
        clock.advance(Duration.between(MORNING, NEXT_DAY).plusMinutes(1));
        reports.runNow();

        assertThat(submitted).isEmpty();
        assertThat(reports.pending()).as("nothing waits either").isEmpty();
        assertThat(reports.counts().periods()).isEmpty();
    }

    @Test
    void aFailedLookupOfTheRecordIsTriedAgain() throws Exception {
        dns.addTxt("_smtp._tls.dest.test.", 300, "v=TLSRPTv1; rua=mailto:tlsrpt@dest.test");
        dns.servfail("_smtp._tls.dest.test.");
        TlsReports reports = start();
        recordDay(reports);
        clock.advance(Duration.between(MORNING, NEXT_DAY).plusMinutes(1));
        reports.runNow();

        assertThat(submitted).isEmpty();
        assertThat(reports.pending()).singleElement().satisfies(waiting -> {
            assertThat(waiting.targets()).as("not known yet").isEmpty();
            assertThat(waiting.attempts()).isEqualTo(1);
        });

        dns.heal("_smtp._tls.dest.test.");
        clock.advance(TlsReports.FIRST_RETRY);
        reports.runNow();

        assertThat(submitted).hasSize(1);
        assertThat(reports.pending()).isEmpty();
    }

    @Test
    void aReportThatCannotBeHandedOnIsRetriedWithBackOffForADayThenDropped() throws Exception {
        dns.addTxt("_smtp._tls.dest.test.", 300, "v=TLSRPTv1; rua=mailto:tlsrpt@dest.test");
        submissionFailure = "the spool is full";
        TlsReports reports = start();
        recordDay(reports);
        clock.advance(Duration.between(MORNING, NEXT_DAY).plusMinutes(1));
        Instant firstAttempt = clock.instant();
        reports.runNow();

        List<Duration> waits = new ArrayList<>();
        while (!reports.pending().isEmpty()) {
            PendingReport waiting = reports.pending().get(0);
            Duration wait = Duration.between(clock.instant(), waiting.nextAttempt());
            waits.add(wait);
            clock.advance(wait.minusSeconds(1));
            reports.runNow();
            assertThat(reports.pending().get(0).attempts())
                    .as("not before its time")
                    .isEqualTo(waiting.attempts());
            clock.advance(Duration.ofSeconds(1));
            reports.runNow();
        }

        // RFC 8460 5.5: exponential back-off, for up to 24 hours after the first attempt.
        assertThat(waits)
                .startsWith(Duration.ofMinutes(1), Duration.ofMinutes(2), Duration.ofMinutes(4), Duration.ofMinutes(8));
        assertThat(waits).allMatch(wait -> wait.compareTo(TlsReports.LONGEST_RETRY) <= 0);
        assertThat(clock.instant())
                .isBefore(firstAttempt.plus(Duration.ofHours(24)).plusSeconds(1))
                .isAfter(firstAttempt.plus(Duration.ofHours(20)));
        assertThat(submitted).isEmpty();
    }

    @Test
    void countsAndUnsentReportsSurviveARestart() throws Exception {
        dns.addTxt("_smtp._tls.dest.test.", 300, "v=TLSRPTv1; rua=mailto:tlsrpt@dest.test");
        TlsReports before = start();
        recordDay(before);
        stopped(before);

        TlsReports after = start();
        assertThat(after.currentCounts().get("dest.test"))
                .containsKey(DEST_POLICY)
                .satisfies(counts -> {
                    assertThat(counts.get(DEST_POLICY).successfulSessions()).isEqualTo(2);
                    assertThat(counts.get(DEST_POLICY).failedSessions()).isEqualTo(1);
                });

        submissionFailure = "James is stopping";
        clock.advance(Duration.between(MORNING, NEXT_DAY).plusMinutes(1));
        after.runNow();
        assertThat(after.pending()).hasSize(1);
        stopped(after);

        submissionFailure = null;
        TlsReports again = start();
        assertThat(again.pending())
                .singleElement()
                .satisfies(waiting -> assertThat(waiting.attempts()).isEqualTo(1));
        clock.advance(TlsReports.FIRST_RETRY);
        again.runNow();

        assertThat(submitted).hasSize(1);
        assertThat(attachedReport(submitted.get(0).message))
                .contains("\"total-successful-session-count\":2,\"total-failure-session-count\":1");
        assertThat(again.pending()).isEmpty();
    }

    @Test
    void aReportCanBeSentNowWithTheSessionsSoFarAndTheDaysReportStillCoversThem() throws Exception {
        dns.addTxt("_smtp._tls.dest.test.", 300, "v=TLSRPTv1; rua=mailto:tlsrpt@dest.test");
        TlsReports reports = start();
        recordDay(reports);
        clock.advance(Duration.ofMinutes(30));

        TlsReports.Sending sending = reports.sendNow("dest.test").orElseThrow();

        assertThat(sending.sentTo()).containsExactly("mailto:tlsrpt@dest.test");
        assertThat(sending.failed()).isEmpty();
        assertThat(attachedReport(submitted.get(0).message))
                .contains("\"start-datetime\":\"2026-11-21T00:00:00Z\",\"end-datetime\":\"2026-11-21T10:30:00Z\"")
                .contains("\"total-successful-session-count\":2");
        assertThat(reports.sendNow("elsewhere.test"))
                .as("no session, no report")
                .isEmpty();

        clock.advance(Duration.between(clock.instant(), NEXT_DAY).plusMinutes(1));
        reports.runNow();
        assertThat(submitted).hasSize(2);
        assertThat(attachedReport(submitted.get(1).message))
                .contains("\"end-datetime\":\"2026-11-21T23:59:59Z\"")
                .contains("\"total-successful-session-count\":2");
    }

    @Test
    void eachNodeOfAnOrganizationSendsItsOwnReportUnderOneOrganizationName() throws Exception {
        dns.addTxt("_smtp._tls.dest.test.", 300, "v=TLSRPTv1; rua=mailto:tlsrpt@dest.test");
        TlsReports first = start();
        TlsReports second = start(
                "tls-reports.node-name",
                "node2",
                "tls-reports.directory",
                directory.resolve("second").toString());
        recordDay(first);
        second.counts().success(DEST_POLICY, MORNING.plusSeconds(300));
        clock.advance(Duration.between(MORNING, NEXT_DAY).plusMinutes(1));
        first.runNow();
        second.runNow();

        // One report per node, policy domain and period: the receiver adds them up.
        assertThat(submitted).hasSize(2);
        List<String> reports = new ArrayList<>();
        List<String> fileNames = new ArrayList<>();
        for (Submitted report : submitted) {
            reports.add(attachedReport(report.message));
            fileNames.add(((Multipart) roundTrip(report.message).getContent())
                    .getBodyPart(1)
                    .getFileName());
        }
        assertThat(reports)
                .allSatisfy(json -> assertThat(json).contains("\"organization-name\":\"Sender Example Inc.\""));
        assertThat(reports)
                .anySatisfy(json -> assertThat(json)
                        .contains("\"report-id\":\"1795219200.1795305599.node1.dest.test@sender.test\"")
                        .contains("\"total-successful-session-count\":2,\"total-failure-session-count\":1"));
        assertThat(reports)
                .anySatisfy(json -> assertThat(json)
                        .contains("\"report-id\":\"1795219200.1795305599.node2.dest.test@sender.test\"")
                        .contains("\"total-successful-session-count\":1,\"total-failure-session-count\":0"));
        assertThat(fileNames)
                .containsExactlyInAnyOrder(
                        "sender.test!dest.test!1795219200!1795305599!node1.json.gz",
                        "sender.test!dest.test!1795219200!1795305599!node2.json.gz");
    }

    @Test
    void withoutANodeNameTheHostsNameIsUsedKeptToLettersAndDigits() throws Exception {
        assertThat(NodeName.fromHostName("MX1.dc-2.Example.COM")).isEqualTo("mx1dc2examplecom");
        assertThat(NodeName.fromHostName("x".repeat(100))).hasSize(NodeName.MAX_LENGTH);
        // A host without a name gets a random one, the same at every start.
        String random = NodeName.stored(directory.resolve("nameless"));
        assertThat(random).matches("node[0-9a-f]{12}");
        assertThat(NodeName.stored(directory.resolve("nameless"))).isEqualTo(random);

        Properties properties = new Properties();
        properties.setProperty(
                "tls-reports.directory", directory.resolve("unnamed").toString());
        PolicyEngineConfiguration configuration = PolicyEngineConfiguration.from(properties);
        TlsReports reports = TlsReports.start(
                configuration.tlsReports(),
                new DnsResolver(dns, false, Duration.ofSeconds(2)),
                configuration.pkixTrustManager(),
                (sender, recipient, message) -> {},
                clock);
        started.add(reports);
        assertThat(reports.nodeName())
                .isEqualTo(NodeName.ofThisHost(directory.resolve("unnamed")))
                .isNotEmpty();
    }

    private static MimeMessage roundTrip(MimeMessage message) throws Exception {
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        message.writeTo(bytes);
        return new MimeMessage(null, new ByteArrayInputStream(bytes.toByteArray()));
    }

    private static String attachedReport(MimeMessage message) throws Exception {
        Multipart parts = (Multipart) roundTrip(message).getContent();
        return gunzip(parts.getBodyPart(1).getInputStream().readAllBytes());
    }

    // Every report these tests see is held to the JSON Schema of RFC 8460 4.4.
    private static String gunzip(byte[] gzip) throws IOException {
        try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(gzip))) {
            return TlsReportSchema.check(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        }
    }
}
