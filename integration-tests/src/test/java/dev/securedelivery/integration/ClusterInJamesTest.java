package dev.securedelivery.integration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.securedelivery.testing.PostgresServer;
import dev.securedelivery.testing.SignedZone;
import dev.securedelivery.testing.TestHttpsServer;
import dev.securedelivery.testing.TestSmtpServer;
import dev.securedelivery.testing.TlsReportMail;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.zip.GZIPInputStream;
import javax.mail.Session;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two James 3.8.1 nodes as the README starts them ({@code bin/james}), sharing one real PostgreSQL
 * ({@code store = postgres}), send to DANE, MTA-STS, TLS, plaintext and failing destinations. The
 * cluster shows exact counts across the nodes (posture, TLS-RPT), sends one TLS report per policy
 * domain and period (the HTTPS endpoint and the report MX count them), also when a node is killed
 * mid-period and when the node sending a report is killed; the policy host is asked once for both
 * nodes; an inbound report one node took is on the other's dashboard; and PostgreSQL stopped and
 * started again costs no recipient.
 *
 * <p>Report periods are a minute long here, so the test waits for period ends (about five minutes
 * in all).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusterInJamesTest {
    private static final Duration START = Duration.ofSeconds(120);
    private static final Duration PERIOD = Duration.ofMinutes(1);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    // One try an hour, and the sample's inbound report mailet on (its address, tlsrpt@example.com).
    private static final Map<String, String> MAILETS = Map.of(
            "<delayTime>5 minutes, 10 minutes, 20 minutes, 40 minutes, 108*66 minutes</delayTime>",
            "<delayTime>3600000</delayTime>",
            "<mailet match=\"All\" class=\"RecipientRewriteTable\">",
            "<mailet match=\"RecipientIs=tlsrpt@example.com\" class=\"dev.securedelivery.inbound.InboundTlsReports\">"
                    + "<malformedProcessor>error</malformedProcessor></mailet>"
                    + "<mailet match=\"All\" class=\"RecipientRewriteTable\">");

    private Path directory;
    private final Destinations world = new Destinations();
    private PostgresServer postgres;
    private String database;
    private JamesProcess first;
    private JamesProcess second;

    /** Reports the HTTPS endpoint took (answered 201), as JSON. */
    private final List<JsonNode> uploaded = Collections.synchronizedList(new ArrayList<>());
    /** When set, the next upload is held until released, then dropped unanswered if its sender died. */
    private final AtomicReference<CountDownLatch> holdNextUpload = new AtomicReference<>();

    private final AtomicBoolean uploadSenderKilled = new AtomicBoolean();
    private final CountDownLatch uploadHeld = new CountDownLatch(1);

    @BeforeAll
    void start(@TempDir Path temporary) throws Exception {
        Optional<String> missing = PostgresServer.unavailableReason();
        if (missing.isPresent() && PostgresServer.required()) {
            throw new IllegalStateException("PostgreSQL is required here: " + missing.get());
        }
        Assumptions.assumeTrue(missing.isEmpty(), () -> "skipped: " + missing.orElse(""));
        directory = temporary;
        postgres = PostgresServer.start();
        database = postgres.createDatabase();

        world.daneDomain("dane.test", "mx.dane.test");
        SignedZone reports = world.zone("reports.test", false);
        world.mx(reports, "mx.reports.test", 10, world.ca().issue("mx.reports.test"));
        TestHttpsServer endpoint = TestHttpsServer.start(
                java.net.InetAddress.getLoopbackAddress(),
                world.ca().issue("tlsrpt.reports.test").serverContext());
        reports.add("tlsrpt.reports.test.", org.xbill.DNS.Type.A, "127.0.0.1");
        endpoint.respondWith(exchange -> {
            byte[] body = endpoint.lastRequestBody();
            CountDownLatch hold = holdNextUpload.getAndSet(null);
            if (hold != null) {
                uploadHeld.countDown();
                try {
                    hold.await(120, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                if (uploadSenderKilled.get()) {
                    // Its sender is gone: no answer, nothing taken.
                    exchange.close();
                    return;
                }
            }
            uploaded.add(JSON.readTree(new GZIPInputStream(new ByteArrayInputStream(body))));
            exchange.sendResponseHeaders(201, -1);
        });
        SignedZone sts = world.zone("sts.test", false);
        world.mx(sts, "mx.sts.test", 10, world.ca().issue("mx.sts.test"));
        world.enforce("sts.test", "1", "mx.sts.test");
        sts.addTxt("_smtp._tls.sts.test.", "v=TLSRPTv1; rua=https://tlsrpt.reports.test:" + endpoint.port() + "/v1");
        SignedZone tls = world.zone("tls.test", false);
        world.mx(tls, "mx.tls.test", 10, world.ca().issue("mx.tls.test"));
        tls.addTxt("_smtp._tls.tls.test.", "v=TLSRPTv1; rua=mailto:tlsrpt@reports.test");
        world.mx(
                world.zone("clear.test", false), "mx.clear.test", 10, world.ca().issue("mx.clear.test"));
        // An enforce policy that leaves out the only MX: the message waits (RFC 8461 5).
        world.mx(
                world.zone("waiting.test", false),
                "mx.waiting.test",
                10,
                world.ca().issue("mx.waiting.test"));
        world.enforce("waiting.test", "1", "mx.elsewhere.test");
        world.start();

        first = JamesProcess.launch(directory.resolve("first"), configuration("first"), world.smtpPort(), MAILETS);
        second = JamesProcess.launch(directory.resolve("second"), configuration("second"), world.smtpPort(), MAILETS);
        first.awaitStarted(START);
        second.awaitStarted(START);
    }

    private Properties configuration(String node) throws IOException {
        Properties configuration = world.reportingConfiguration(directory.resolve(node + "-files"), "1m");
        configuration.setProperty("tls-reports.node-name", node);
        configuration.setProperty("tls-policy.clear.test", "none");
        configuration.setProperty("store.kind", "postgres");
        configuration.setProperty("store.node-name", node);
        configuration.setProperty("store.cluster-name", "sinkcluster");
        configuration.setProperty("store.flush-interval", "1s");
        configuration.setProperty("store.lease", "15s");
        configuration.setProperty("store.postgres.host", postgres.host());
        configuration.setProperty("store.postgres.port", String.valueOf(postgres.port()));
        configuration.setProperty("store.postgres.database", database);
        configuration.setProperty("store.postgres.username", PostgresServer.SUPERUSER);
        configuration.setProperty("store.postgres.password", PostgresServer.PASSWORD);
        configuration.setProperty("store.postgres.ssl-mode", "disable");
        return configuration;
    }

    @AfterAll
    void stop() throws Exception {
        for (JamesProcess james : new JamesProcess[] {first, second}) {
            if (james != null) {
                james.close();
            }
        }
        world.close();
        if (postgres != null) {
            postgres.close();
        }
    }

    @Test
    @Order(1)
    void theClusterCountsExactlyAndSendsOneReportPerPolicyDomainAndPeriod() throws Exception {
        Instant period = awaitFreshPeriod();
        first.send(Destinations.SENDER, "one@dane.test", "dane 1", "By DANE.");
        first.send(Destinations.SENDER, "two@dane.test", "dane 2", "By DANE.");
        first.send(Destinations.SENDER, "one@sts.test", "sts 1", "By MTA-STS.");
        first.send(Destinations.SENDER, "one@tls.test", "tls 1", "By TLS.");
        first.send(Destinations.SENDER, "user@clear.test", "clear", "In the clear.");
        first.send(Destinations.SENDER, "user@waiting.test", "waiting", "Waits.");
        second.send(Destinations.SENDER, "three@dane.test", "dane 3", "By DANE.");
        second.send(Destinations.SENDER, "two@sts.test", "sts 2", "By MTA-STS.");
        second.send(Destinations.SENDER, "two@tls.test", "tls 2", "By TLS.");
        second.send(Destinations.SENDER, "three@tls.test", "tls 3", "By TLS.");
        await().atMost(Duration.ofSeconds(60))
                .until(() -> received("mx.dane.test") == 3
                        && received("mx.sts.test") == 2
                        && received("mx.tls.test") == 3
                        && received("mx.clear.test") == 1);

        // Both nodes show the cluster's counts, each node's share apart.
        String today = LocalDate.now(ZoneOffset.UTC).toString();
        for (JamesProcess node : new JamesProcess[] {first, second}) {
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                JsonNode posture = get(node, "/secure-delivery/posture?from=" + today + "&to=" + today);
                assertThat(posture.at("/totals/delivered/dane").asLong()).isEqualTo(3);
                assertThat(posture.at("/totals/delivered/mta-sts").asLong()).isEqualTo(2);
                assertThat(posture.at("/totals/delivered/tls").asLong()).isGreaterThanOrEqualTo(3);
                assertThat(posture.at("/totals/delivered/plaintext").asLong()).isEqualTo(1);
                assertThat(posture.at("/totals/deferred/validation-failure").asLong())
                        .isEqualTo(1);
                assertThat(posture.at("/nodes/first/delivered/dane").asLong()).isEqualTo(2);
                assertThat(posture.at("/nodes/second/delivered/dane").asLong()).isEqualTo(1);
            });
            // The outcomes: the cluster's messages to the domain, each node's apart.
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                JsonNode outcomes = get(node, "/secure-delivery/outcomes/dane.test");
                assertThat(outcomes.at("/messages/delivered").asLong()).isEqualTo(3);
                assertThat(outcomes.at("/nodes/first/messages/delivered").asLong())
                        .isEqualTo(2);
                assertThat(outcomes.at("/nodes/second/messages/delivered").asLong())
                        .isEqualTo(1);
            });
            // The CSV too: the cluster's row for the domain.
            String[] csv = getText(
                            node, "/secure-delivery/posture.csv?from=" + today + "&to=" + today + "&domain=dane.test")
                    .split("\r\n");
            assertThat(csv).hasSize(2);
            assertThat(csv[1].split(",", -1)[5]).as(csv[1]).isEqualTo("3");
            JsonNode counts = get(node, "/secure-delivery/tls-reports");
            assertThat(successes(counts, "sts.test")).isEqualTo(2);
            assertThat(successes(counts, "tls.test")).isEqualTo(3);
        }
        // One fetch of the policy for the two nodes.
        assertThat(world.policyRequests("sts.test")).isEqualTo(1);

        // After the period: one report per policy domain, built from both nodes' sessions.
        await().atMost(Duration.ofMinutes(3))
                .until(() -> reportsFor("sts.test", period).size() == 1
                        && mailedReportsFor("tls.test", period).size() == 1);
        JsonNode sts = reportsFor("sts.test", period).get(0);
        assertThat(sts.at("/policies/0/summary/total-successful-session-count").asLong())
                .isEqualTo(2);
        assertThat(sts.get("report-id").asText()).contains(".sinkcluster.sts.test@");
        assertThat(mailedReportsFor("tls.test", period)
                        .get(0)
                        .at("/policies/0/summary/total-successful-session-count")
                        .asLong())
                .isEqualTo(3);
        // And no second one, once both nodes had their chance to close the period.
        Thread.sleep(20_000);
        assertThat(reportsFor("sts.test", period)).hasSize(1);
        assertThat(mailedReportsFor("tls.test", period)).hasSize(1);
    }

    @Test
    @Order(2)
    void anInboundReportOneNodeTookIsOnTheOthersDashboardAndJson() throws Exception {
        byte[] report = TlsReportMail.report("Cluster Reporter", "cluster-1", "ours.test", 77, 3)
                .getBytes(StandardCharsets.UTF_8);
        first.send(TlsReportMail.message(
                Session.getInstance(new Properties()),
                "tlsrpt@reporter.example",
                "tlsrpt@example.com",
                "ours.test",
                TlsReportMail.JSON,
                report));

        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
            JsonNode inbound = get(second, "/secure-delivery/inbound-reports?from=2020-01-01&to=2100-01-01");
            assertThat(inbound.toString()).contains("Cluster Reporter").contains("cluster-1");
        });
        assertThat(getText(second, "/secure-delivery/dashboard?from=2026-11-29&to=2026-11-29"))
                .contains("Cluster Reporter");
    }

    @Test
    @Order(3)
    void aNodeKilledMidPeriodLeavesTheReportWholeWithItsCountsWritten() throws Exception {
        Instant period = awaitFreshPeriod();
        first.send(Destinations.SENDER, "four@tls.test", "tls 4", "By TLS.");
        second.send(Destinations.SENDER, "five@tls.test", "tls 5", "By TLS.");
        second.send(Destinations.SENDER, "six@tls.test", "tls 6", "By TLS.");
        await().atMost(Duration.ofSeconds(60)).until(() -> received("mx.tls.test") == 6);
        // Written by both nodes (every second): then the second one dies.
        await().atMost(Duration.ofSeconds(30))
                .until(() -> successes(get(first, "/secure-delivery/tls-reports"), "tls.test") == 3);
        second.kill();

        await().atMost(Duration.ofMinutes(3))
                .until(() -> mailedReportsFor("tls.test", period).size() == 1);
        assertThat(mailedReportsFor("tls.test", period)
                        .get(0)
                        .at("/policies/0/summary/total-successful-session-count")
                        .asLong())
                .isEqualTo(3);
        second = second.restart();
        second.awaitStarted(START);
    }

    @Test
    @Order(4)
    void theNodeSendingAReportKilledMidSendIsTakenOverAndTheReportTakenOnce() throws Exception {
        Instant period = awaitFreshPeriod();
        CountDownLatch release = new CountDownLatch(1);
        holdNextUpload.set(release);
        first.send(Destinations.SENDER, "three@sts.test", "sts 3", "By MTA-STS.");
        second.send(Destinations.SENDER, "four@sts.test", "sts 4", "By MTA-STS.");
        await().atMost(Duration.ofSeconds(60)).until(() -> received("mx.sts.test") == 4);

        // The period ends; a node claims the report and posts it; the endpoint holds the post.
        assertThat(uploadHeld.await(3, TimeUnit.MINUTES)).isTrue();
        String sender = leaseOwnerOfReport("sts.test");
        JamesProcess sending = sender.equals("first") ? first : second;
        uploadSenderKilled.set(true);
        sending.kill();
        release.countDown();

        // After the lease, the other node sends it: taken once, with both nodes' sessions.
        await().atMost(Duration.ofMinutes(2))
                .until(() -> reportsFor("sts.test", period).size() == 1);
        JsonNode report = reportsFor("sts.test", period).get(0);
        assertThat(report.at("/policies/0/summary/total-successful-session-count")
                        .asLong())
                .isEqualTo(2);
        Thread.sleep(20_000);
        assertThat(reportsFor("sts.test", period)).hasSize(1);
        if (sending == first) {
            first = first.restart();
            first.awaitStarted(START);
        } else {
            second = second.restart();
            second.awaitStarted(START);
        }
    }

    @Test
    @Order(5)
    void postgresStoppedAndStartedAgainCostsNoRecipientAndNoCount() throws Exception {
        String today = LocalDate.now(ZoneOffset.UTC).toString();
        long daneBefore = get(first, "/secure-delivery/posture?from=" + today + "&to=" + today)
                .at("/totals/delivered/dane")
                .asLong();
        long received = received("mx.dane.test");

        postgres.stop();
        for (int i = 0; i < 3; i++) {
            first.send(Destinations.SENDER, "down" + i + "@dane.test", "dane down", "While PostgreSQL is down.");
            second.send(Destinations.SENDER, "down" + (i + 3) + "@dane.test", "dane down", "While it is down.");
        }
        await().atMost(Duration.ofSeconds(60)).until(() -> received("mx.dane.test") == received + 6);
        postgres.startServer();

        // Every recipient once; every count written once the store is back.
        await().atMost(Duration.ofSeconds(60))
                .untilAsserted(() -> assertThat(get(second, "/secure-delivery/posture?from=" + today + "&to=" + today)
                                .at("/totals/delivered/dane")
                                .asLong())
                        .isEqualTo(daneBefore + 6));
        Thread.sleep(5_000);
        assertThat(received("mx.dane.test")).isEqualTo(received + 6);
        for (TestSmtpServer.Received mail : world.server("mx.dane.test").received()) {
            assertThat(mail.recipients).hasSize(1);
        }
        assertThat(world.server("mx.dane.test").received().stream()
                        .map(mail -> mail.recipients.get(0))
                        .distinct()
                        .count())
                .isEqualTo(received + 6);
    }

    // The start of a period with 40 s of it left, at least: everything a test sends falls in it.
    private static Instant awaitFreshPeriod() throws InterruptedException {
        while (true) {
            Instant now = Instant.now();
            long intoPeriod = now.getEpochSecond() % PERIOD.toSeconds();
            if (intoPeriod < 5) {
                return Instant.ofEpochSecond(now.getEpochSecond() - intoPeriod);
            }
            Thread.sleep(500);
        }
    }

    private long received(String host) {
        return world.server(host).received().size();
    }

    private List<JsonNode> reportsFor(String domain, Instant period) {
        List<JsonNode> reports = new ArrayList<>();
        synchronized (uploaded) {
            for (JsonNode report : uploaded) {
                if (isFor(report, domain, period)) {
                    reports.add(report);
                }
            }
        }
        return reports;
    }

    // Reports that went by mail to mx.reports.test (the gzip attachment of each).
    private List<JsonNode> mailedReportsFor(String domain, Instant period) throws Exception {
        List<JsonNode> reports = new ArrayList<>();
        for (TestSmtpServer.Received mail : world.server("mx.reports.test").received()) {
            String json = TlsReportMail.reportJsonIn(mail.data);
            JsonNode report = json == null ? null : JSON.readTree(json);
            if (report != null && isFor(report, domain, period)) {
                reports.add(report);
            }
        }
        return reports;
    }

    private static boolean isFor(JsonNode report, String domain, Instant period) {
        return report.at("/policies/0/policy/policy-domain").asText().equals(domain)
                && Instant.parse(report.at("/date-range/start-datetime").asText())
                        .equals(period);
    }

    private static long successes(JsonNode view, String domain) {
        for (JsonNode entry : view.get("domains")) {
            if (entry.get("policy-domain").asText().equals(domain)) {
                long sum = 0;
                for (JsonNode policy : entry.get("policies")) {
                    sum += policy.at("/summary/total-successful-session-count").asLong();
                }
                return sum;
            }
        }
        return 0;
    }

    private String leaseOwnerOfReport(String domain) throws Exception {
        try (Connection connection = DriverManager.getConnection(
                        postgres.url(database), PostgresServer.SUPERUSER, PostgresServer.PASSWORD);
                PreparedStatement select = connection.prepareStatement("SELECT lease_owner FROM"
                        + " secure_delivery.tlsrpt_reports WHERE policy_domain = ? AND NOT sent AND lease_owner IS NOT"
                        + " NULL")) {
            select.setString(1, domain);
            try (ResultSet rows = select.executeQuery()) {
                assertThat(rows.next()).as("a node holds the report's lease").isTrue();
                return rows.getString(1);
            }
        }
    }

    private static JsonNode get(JamesProcess james, String path) throws Exception {
        return JSON.readTree(getText(james, path));
    }

    private static String getText(JamesProcess james, String path) throws Exception {
        HttpResponse<String> response = HTTP.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + james.webAdminPort() + path))
                        .timeout(Duration.ofSeconds(30))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(path + ": " + response.body()).isEqualTo(200);
        return response.body();
    }
}
