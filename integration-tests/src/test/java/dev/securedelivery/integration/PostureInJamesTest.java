package dev.securedelivery.integration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.securedelivery.cli.SecureDeliveryCli;
import dev.securedelivery.posture.PostureViews;
import dev.securedelivery.testing.LoopbackPorts;
import dev.securedelivery.testing.SignedZone;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
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
 * Two James nodes as the README starts them ({@code bin/james}) deliver to destinations of every
 * protection level (DANE, MTA-STS, PKIX by a require-tls override, unauthenticated TLS, plaintext) and one that defers; the
 * posture history gives the exact counts (WebAdmin JSON, the command line's CSV) and keeps them
 * across a restart; a real Prometheus scraping both nodes' {@code /metrics} sums them per
 * protection level with the shipped scrape job.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PostureInJamesTest {
    private static final Duration START = Duration.ofSeconds(120);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final Path PROMETHEUS = Path.of("/usr/bin/prometheus");
    // One deferral only: the next try would come after an hour.
    private static final Map<String, String> ONE_TRY_AN_HOUR = Map.of(
            "<delayTime>5 minutes, 10 minutes, 20 minutes, 40 minutes, 108*66 minutes</delayTime>",
            "<delayTime>3600000</delayTime>");

    private Path directory;

    private final Destinations world = new Destinations();
    private JamesProcess first;
    private JamesProcess second;

    @BeforeAll
    void start(@TempDir Path temporary) throws Exception {
        directory = temporary;
        world.daneDomain("dane.test", "mx.dane.test");
        SignedZone sts = world.zone("sts.test", false);
        world.mx(sts, "mx.sts.test", 10, world.ca().issue("mx.sts.test"));
        world.enforce("sts.test", "1", "mx.sts.test");
        // The only domain that publishes TLS-RPT: "yes" in the posture; every other "no".
        sts.addTxt("_smtp._tls.sts.test.", "v=TLSRPTv1; rua=mailto:tlsrpt@sts.test");
        world.mx(world.zone("tls.test", false), "mx.tls.test", 10, world.ca().issue("mx.tls.test"));
        world.mx(
                world.zone("clear.test", false), "mx.clear.test", 10, world.ca().issue("mx.clear.test"));
        // require-tls: PKIX without MTA-STS.
        world.mx(world.zone("pkix.test", false), "mx.pkix.test", 10, world.ca().issue("mx.pkix.test"));
        // An enforce policy that leaves out the only MX: the message waits (RFC 8461 5).
        world.mx(
                world.zone("waiting.test", false),
                "mx.waiting.test",
                10,
                world.ca().issue("mx.waiting.test"));
        world.enforce("waiting.test", "1", "mx.elsewhere.test");
        world.start();

        first = JamesProcess.launch(
                directory.resolve("first"), configuration("first"), world.smtpPort(), ONE_TRY_AN_HOUR);
        second = JamesProcess.launch(
                directory.resolve("second"), configuration("second"), world.smtpPort(), ONE_TRY_AN_HOUR);
        first.awaitStarted(START);
        second.awaitStarted(START);

        first.send(Destinations.SENDER, "one@dane.test", "dane 1", "By DANE.");
        first.send(Destinations.SENDER, "two@dane.test", "dane 2", "By DANE.");
        first.send(Destinations.SENDER, "user@sts.test", "sts", "By MTA-STS.");
        first.send(Destinations.SENDER, "user@tls.test", "tls", "By TLS.");
        first.send(Destinations.SENDER, "user@clear.test", "clear", "In the clear.");
        first.send(Destinations.SENDER, "user@pkix.test", "pkix", "By PKIX.");
        first.send(Destinations.SENDER, "user@waiting.test", "waiting", "Waits.");
        second.send(Destinations.SENDER, "three@dane.test", "dane 3", "By DANE.");
        second.send(Destinations.SENDER, "one@tls.test", "tls 1", "By TLS.");
        second.send(Destinations.SENDER, "two@tls.test", "tls 2", "By TLS.");

        await().atMost(Duration.ofSeconds(60))
                .until(() -> world.server("mx.dane.test").received().size() == 3
                        && world.server("mx.sts.test").received().size() == 1
                        && world.server("mx.tls.test").received().size() == 3
                        && world.server("mx.clear.test").received().size() == 1
                        && world.server("mx.pkix.test").received().size() == 1);
        await().atMost(Duration.ofSeconds(60))
                .until(() -> posture(first, "/secure-delivery/posture/waiting.test")
                                .at("/totals/deferred/validation-failure")
                                .asLong()
                        == 1);
    }

    private Properties configuration(String node) throws Exception {
        Properties configuration = world.configuration(directory.resolve(node + "-files"));
        configuration.setProperty("tls-policy.clear.test", "none");
        configuration.setProperty("tls-policy.pkix.test", "require-tls");
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
    }

    @Test
    @Order(1)
    void prometheusScrapingBothNodesSumsTheirCountsPerProtectionLevel() throws Exception {
        Assumptions.assumeTrue(
                Files.isExecutable(PROMETHEUS),
                "Debian's prometheus package is not installed (" + PROMETHEUS + "); .ci/run installs it");
        // The node's own /metrics, as James names the counters.
        assertThat(get(first, "/metrics").body())
                .contains("secureDelivery_posture_delivered_dane_total 2.0")
                .contains("secureDelivery_posture_delivered_mta_sts_total 1.0")
                .contains("secureDelivery_posture_deferred_validation_failure_total 1.0");

        int port = LoopbackPorts.freeTcpPort(InetAddress.getLoopbackAddress());
        Path home = Files.createDirectories(directory.resolve("prometheus"));
        String job = Files.readString(
                        JamesProcess.REPOSITORY.resolve("james-conf/src/main/prometheus/secure-delivery-scrape.yml"))
                .replace(
                        "- targets: ['127.0.0.1:8000']",
                        "- targets: ['127.0.0.1:" + first.webAdminPort() + "', '127.0.0.1:" + second.webAdminPort()
                                + "']");
        assertThat(job).contains(String.valueOf(second.webAdminPort()));
        Files.writeString(
                home.resolve("prometheus.yml"),
                "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n" + job);
        Process prometheus = new ProcessBuilder(
                        PROMETHEUS.toString(),
                        "--config.file=" + home.resolve("prometheus.yml"),
                        "--storage.tsdb.path=" + home.resolve("data"),
                        "--web.listen-address=127.0.0.1:" + port)
                .redirectErrorStream(true)
                .redirectOutput(home.resolve("prometheus.out").toFile())
                .start();
        try {
            Map<String, Long> expected =
                    new TreeMap<>(Map.of("dane", 3L, "mta_sts", 1L, "pkix", 1L, "tls", 3L, "plaintext", 1L));
            await().atMost(Duration.ofSeconds(60))
                    .pollInterval(Duration.ofMillis(500))
                    .untilAsserted(() -> assertThat(query(
                                    port,
                                    "sum by (protection) (secure_delivery_posture_delivered_total)",
                                    "protection"))
                            .isEqualTo(expected));
            assertThat(query(port, "sum by (cause) (secure_delivery_posture_deferred_total)", "cause"))
                    .isEqualTo(Map.of("validation_failure", 1L));
            // Each node is its own series: the sum is over both.
            assertThat(query(port, "count by (protection) (secure_delivery_posture_delivered_total)", "protection"))
                    .containsEntry("dane", 2L)
                    .containsEntry("mta_sts", 1L);
            // Every query of the shipped Grafana dashboard is valid PromQL over these series.
            JsonNode dashboard = JSON.readTree(JamesProcess.REPOSITORY
                    .resolve("james-conf/src/main/grafana/secure-delivery.json")
                    .toFile());
            int queries = 0;
            for (JsonNode panel : dashboard.get("panels")) {
                for (JsonNode target : panel.get("targets")) {
                    String expression = target.get("expr")
                            .asText()
                            .replace("$__range", "1h")
                            .replace("$interval", "1h");
                    HttpResponse<String> answer = prometheusQuery(port, expression);
                    assertThat(JSON.readTree(answer.body()).get("status").asText())
                            .as(expression + ": " + answer.body())
                            .isEqualTo("success");
                    queries++;
                }
            }
            assertThat(queries).isEqualTo(6);
            // increase() needs two samples of each series: a second scrape.
            await().atMost(Duration.ofSeconds(30))
                    .pollInterval(Duration.ofMillis(500))
                    .untilAsserted(() -> assertThat(query(
                                    port,
                                    "sum by (protection) (increase(secure_delivery_posture_delivered_total[1h]))",
                                    "protection"))
                            .containsKeys("dane", "mta_sts", "tls", "plaintext"));
        } finally {
            prometheus.destroy();
            if (!prometheus.waitFor(30, TimeUnit.SECONDS)) {
                prometheus.destroyForcibly();
            }
        }
    }

    @Test
    @Order(2)
    void thePostureJsonAndCsvGiveExactCountsAndARestartKeepsThem() throws Exception {
        String today = LocalDate.now(ZoneOffset.UTC).toString();
        assertFirstNodesPosture(today);
        Path history = directory.resolve("first/var/secure-delivery/posture");
        String csv = PostureViews.CSV_HEADER + "\r\n"
                + today + ",clear.test,no,no,no,0,0,0,0,1,0,0,,\r\n"
                + today + ",dane.test,no,yes,no,2,0,0,0,0,0,0,,\r\n"
                + today + ",pkix.test,no,no,no,0,0,1,0,0,0,0,,\r\n"
                + today + ",sts.test,yes,no,yes,0,1,0,0,0,0,0,,\r\n"
                + today + ",tls.test,no,no,no,0,0,0,1,0,0,0,,\r\n"
                + today + ",waiting.test,yes,no,no,0,0,0,0,0,1,0,validation-failure=1,\r\n";
        // Written within the flush interval: what the command line reads.
        await().atMost(Duration.ofSeconds(30))
                .untilAsserted(() -> assertThat(cli("posture", "--csv", "--posture-dir", history.toString()))
                        .isEqualTo(csv));
        String range = "?from=" + today + "&to=" + today;
        assertThat(JSON.readTree(
                        cli("posture", "--json", "--from", today, "--to", today, "--posture-dir", history.toString())))
                .isEqualTo(oneNodesView(posture(first, "/secure-delivery/posture" + range)));
        assertThat(JSON.readTree(cli(
                        "posture",
                        "sts.test",
                        "--json",
                        "--from",
                        today,
                        "--to",
                        today,
                        "--posture-dir",
                        history.toString())))
                .isEqualTo(oneNodesView(posture(first, "/secure-delivery/posture/sts.test" + range)));

        first.close();
        // Days written before: one within the 90 days kept, one past them.
        LocalDate day = LocalDate.parse(today);
        String kept = day.minusDays(5).toString();
        Path old = history.resolve(day.minusDays(90) + ".posture");
        Files.writeString(
                history.resolve(kept + ".posture"), "secure-delivery-posture 1\nold.test\t???\tdelivered.tls=4\n");
        Files.writeString(old, "secure-delivery-posture 1\nold.test\t???\tdelivered.tls=7\n");
        first = first.restart().awaitStarted(START);
        assertFirstNodesPosture(today);
        assertThat(old).doesNotExist();
        assertThat(cli("posture", "--csv", "--from", kept, "--posture-dir", history.toString()))
                .isEqualTo(csv.replace(
                        PostureViews.CSV_HEADER + "\r\n",
                        PostureViews.CSV_HEADER + "\r\n" + kept + ",old.test,,,,0,0,0,4,0,0,0,,\r\n"));
    }

    private void assertFirstNodesPosture(String today) throws Exception {
        JsonNode all = posture(first, "/secure-delivery/posture?from=" + today + "&to=" + today);
        assertThat(all.get("from").asText()).isEqualTo(today);
        assertThat(JSON.convertValue(all.at("/totals/delivered"), Map.class))
                .isEqualTo(Map.of("dane", 2, "mta-sts", 1, "pkix", 1, "tls", 1, "plaintext", 1));
        assertThat(JSON.convertValue(all.at("/totals/deferred"), Map.class)).isEqualTo(Map.of("validation-failure", 1));
        assertThat(all.at("/totals/bounced").size()).isZero();
        assertThat(all.get("days").size()).isEqualTo(1);
        JsonNode dane = posture(first, "/secure-delivery/posture/dane.test?from=" + today);
        assertThat(dane.at("/days/0/delivered/dane").asLong()).isEqualTo(2);
        assertThat(dane.at("/days/0/publishes/mta-sts").asBoolean()).isFalse();
        JsonNode sts = posture(first, "/secure-delivery/posture/sts.test");
        assertThat(sts.at("/totals/delivered/mta-sts").asLong()).isEqualTo(1);
        assertThat(sts.at("/days/0/publishes/mta-sts").asBoolean()).isTrue();
        // Looked up after the message was counted: there once the answer came.
        await().atMost(Duration.ofSeconds(30))
                .untilAsserted(() -> assertThat(posture(first, "/secure-delivery/posture/sts.test")
                                .at("/days/0/publishes/tls-rpt")
                                .asText())
                        .isEqualTo("true"));
    }

    @Test
    @Order(3)
    void aBadRangeGetsAPreciseBadRequest() throws Exception {
        HttpResponse<String> response =
                get(second, "/secure-delivery/posture?from=" + URLEncoder.encode("2026-02-30", StandardCharsets.UTF_8));
        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(JSON.readTree(response.body()).get("message").asText())
                .isEqualTo("from: expected a day as YYYY-MM-DD, such as 2026-01-31, got \"2026-02-30\"");
        HttpResponse<String> reversed = get(second, "/secure-delivery/posture?from=2026-03-05&to=2026-03-04");
        assertThat(reversed.statusCode()).isEqualTo(400);
        assertThat(JSON.readTree(reversed.body()).get("message").asText())
                .isEqualTo("from (2026-03-05) is after to (2026-03-04)");
        assertThat(get(second, "/secure-delivery/posture/not..a.domain").statusCode())
                .isEqualTo(400);
    }

    // The instant vector of a PromQL query, as label value to value.
    private static Map<String, Long> query(int port, String promQl, String label) throws Exception {
        HttpResponse<String> response = prometheusQuery(port, promQl);
        JsonNode body = JSON.readTree(response.body());
        assertThat(body.get("status").asText()).as(response.body()).isEqualTo("success");
        Map<String, Long> values = new TreeMap<>();
        for (JsonNode sample : body.at("/data/result")) {
            values.put(
                    sample.at("/metric/" + label).asText(),
                    Math.round(Double.parseDouble(sample.at("/value/1").asText())));
        }
        return values;
    }

    private static HttpResponse<String> prometheusQuery(int port, String promQl) throws Exception {
        return HTTP.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/api/v1/query?query="
                                + URLEncoder.encode(promQl, StandardCharsets.UTF_8)))
                        .timeout(Duration.ofSeconds(30))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /**
     * WebAdmin's view less its "nodes": the command line reads one node's files, which are that node's
     * counts alone. With the history on this node's disk, "nodes" holds this node only, with the totals.
     */
    private static JsonNode oneNodesView(JsonNode webAdmin) {
        ObjectNode view = webAdmin.deepCopy();
        JsonNode nodes = view.remove("nodes");
        assertThat(nodes).as("nodes of " + webAdmin).isNotNull().hasSize(1);
        JsonNode node = nodes.elements().next();
        assertThat(node.get("delivered")).isEqualTo(view.at("/totals/delivered"));
        assertThat(node.get("deferred")).isEqualTo(view.at("/totals/deferred"));
        assertThat(node.get("bounced")).isEqualTo(view.at("/totals/bounced"));
        return view;
    }

    private static JsonNode posture(JamesProcess james, String path) throws Exception {
        HttpResponse<String> response = get(james, path);
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return JSON.readTree(response.body());
    }

    private static HttpResponse<String> get(JamesProcess james, String path) throws Exception {
        return HTTP.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + james.webAdminPort() + path))
                        .timeout(Duration.ofSeconds(30))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static String cli(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int exit = SecureDeliveryCli.run(
                args,
                new ByteArrayInputStream(new byte[0]),
                new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        assertThat(exit).as(err.toString(StandardCharsets.UTF_8)).isZero();
        return out.toString(StandardCharsets.UTF_8);
    }
}
