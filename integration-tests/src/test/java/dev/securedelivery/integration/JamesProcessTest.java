package dev.securedelivery.integration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.securedelivery.testing.SignedZone;
import dev.securedelivery.testing.TestSmtpServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * James 3.8.1 as the README's main command runs it ({@code bin/james}: its own process, James's own
 * class path with its older dnsjava, the shaded extension jar in {@code extensions-jars/}, the
 * distribution's {@code conf/}), delivering through the mailet to local STARTTLS MX servers.
 */
class JamesProcessTest {
    private static final Duration START = Duration.ofSeconds(90);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @Nested
    @TestInstance(TestInstance.Lifecycle.PER_CLASS)
    class Running {
        private final Destinations world = new Destinations();
        private JamesProcess james;

        @BeforeAll
        void start(@TempDir Path directory) throws Exception {
            ProcessDeliveries.destinations(world);
            world.mx(
                    world.zone("counted.test", false),
                    "mx.counted.test",
                    10,
                    world.ca().issue("mx.counted.test"));
            world.mx(
                    world.zone("shown.test", false),
                    "mx.shown.test",
                    10,
                    world.ca().issue("mx.shown.test"));
            world.mx(
                    world.zone("planned.test", false),
                    "mx.planned.test",
                    10,
                    world.ca().issue("mx.planned.test"));
            world.enforce("planned.test", "42", "mx.planned.test");
            SignedZone reported = world.zone("reported.test", false);
            world.mx(reported, "mx.reported.test", 10, world.ca().issue("mx.reported.test"));
            reported.addTxt("_smtp._tls.reported.test.", "v=TLSRPTv1; rua=mailto:tlsrpt@reports.test");
            world.mx(
                    world.zone("reports.test", false),
                    "mx.reports.test",
                    10,
                    world.ca().issue("mx.reports.test"));
            world.start();
            Properties configuration = world.configuration(directory);
            configuration.setProperty("tls-reports.enabled", "true");
            configuration.setProperty("tls-reports.organization-name", "Process Test");
            configuration.setProperty("tls-reports.contact-info", "postmaster@sink.test");
            configuration.setProperty("tls-reports.sender", "tlsrpt@sink.test");
            james = JamesProcess.launch(directory.resolve("james"), configuration, world.smtpPort())
                    .awaitStarted(START);
        }

        @AfterAll
        void stop() throws Exception {
            if (james != null) {
                james.close();
            }
            world.close();
        }

        @Test
        void receivesRequireTlsOverStartTlsAndDeliversItWithTheParameter() throws Exception {
            ProcessDeliveries.receivesRequireTlsAndPassesItOn(james, world);
        }

        @Test
        void deliversToADaneDestinationWithDane() throws Exception {
            ProcessDeliveries.deliversWithDane(james, world);
        }

        @Test
        void deliversToAnMtaStsDestinationWithPkix() throws Exception {
            ProcessDeliveries.deliversWithPkixUnderMtaSts(james, world);
        }

        // ---- WebAdmin: the routes of extensions.routes, over HTTP ----

        @Test
        void thePlanOfADomainNamesItsHostsTheirRequirementAndWhy() throws Exception {
            HttpResponse<String> response = get("/secure-delivery/plans/pinned.test");

            assertThat(response.statusCode()).isEqualTo(200);
            JsonNode plan = JSON.readTree(response.body());
            assertThat(plan.get("domain").asText()).isEqualTo("pinned.test");
            assertThat(plan.get("outcome").asText()).isEqualTo("deliver");
            JsonNode host = plan.get("hosts").get(0);
            assertThat(host.get("host").asText()).isEqualTo("mx.pinned.test");
            assertThat(host.get("requirement").asText()).isEqualTo("dane");
            assertThat(host.get("usable").asBoolean()).isTrue();
            assertThat(host.get("addresses").get(0).asText()).startsWith("127.0.0.");
            assertThat(plan.get("explanation").asText()).startsWith("pinned.test: deliver via mx.pinned.test");
        }

        @Test
        void aNameThatIsNoDomainIsABadRequest() throws Exception {
            HttpResponse<String> response = get("/secure-delivery/plans/not_a..domain");

            assertThat(response.statusCode()).isEqualTo(400);
            assertThat(JSON.readTree(response.body()).get("type").asText()).isEqualTo("InvalidArgument");
        }

        @Test
        void cachedMtaStsPoliciesAreListedRefreshedAndPurged() throws Exception {
            assertThat(get("/secure-delivery/plans/planned.test").statusCode()).isEqualTo(200);

            JsonNode listed = JSON.readTree(get("/secure-delivery/mta-sts").body());
            assertThat(listed).anySatisfy(policy -> {
                assertThat(policy.get("domain").asText()).isEqualTo("planned.test");
                assertThat(policy.get("outcome").asText()).isEqualTo("policy");
                assertThat(policy.get("id").asText()).isEqualTo("42");
                assertThat(policy.get("mode").asText()).isEqualTo("enforce");
                assertThat(policy.get("mx").get(0).asText()).isEqualTo("mx.planned.test");
            });

            world.enforce("planned.test", "43", "mx.planned.test");
            HttpResponse<String> refreshed = send("POST", "/secure-delivery/mta-sts/planned.test/refresh");
            assertThat(refreshed.statusCode()).isEqualTo(200);
            assertThat(JSON.readTree(refreshed.body()).get("id").asText()).isEqualTo("43");

            assertThat(send("DELETE", "/secure-delivery/mta-sts/planned.test").statusCode())
                    .isEqualTo(204);
            assertThat(get("/secure-delivery/mta-sts/planned.test").statusCode())
                    .isEqualTo(404);
        }

        @Test
        void outcomesAreCountedPerDestinationDomain() throws Exception {
            james.send(Destinations.SENDER, "user@counted.test", "counted", "Counted.");
            world.awaitOne("mx.counted.test");

            JsonNode counted = null;
            for (int i = 0; i < 50 && counted == null; i++) {
                HttpResponse<String> response = get("/secure-delivery/outcomes/counted.test");
                if (response.statusCode() == 200 && response.body().contains("\"delivered\"")) {
                    counted = JSON.readTree(response.body());
                } else {
                    Thread.sleep(100);
                }
            }
            assertThat(counted).as("outcomes of counted.test").isNotNull();
            assertThat(counted.get("messages").get("delivered").asLong()).isEqualTo(1);
            assertThat(counted.get("attempts").get("none delivered").asLong()).isEqualTo(1);
            assertThat(counted.get("lastAttempt").asText()).contains("mx=mx.counted.test");
            assertThat(JSON.readTree(get("/secure-delivery/outcomes").body()).get("domains"))
                    .anySatisfy(
                            domain -> assertThat(domain.get("domain").asText()).isEqualTo("counted.test"));
            assertThat(get("/secure-delivery/outcomes/never.test").statusCode()).isEqualTo(404);
        }

        @Test
        void theDashboardShowsThePostureHistorysCounts() throws Exception {
            james.send(Destinations.SENDER, "user@shown.test", "shown", "On the dashboard.");
            world.awaitOne("mx.shown.test");

            Pattern shownRow = Pattern.compile("<tr data-domain=\"shown\\.test\">.*?</tr>");
            AtomicReference<String> shown = new AtomicReference<>();
            await().atMost(Duration.ofSeconds(60))
                    .pollInterval(Duration.ofMillis(100))
                    .until(() -> {
                        HttpResponse<String> response = get("/secure-delivery/dashboard");
                        assertThat(response.statusCode()).isEqualTo(200);
                        assertThat(response.headers().firstValue("Content-Type"))
                                .hasValue("text/html;charset=utf-8");
                        Matcher matcher = shownRow.matcher(response.body());
                        if (matcher.find() && matcher.group().contains("data-count=\"delivered\">1<")) {
                            shown.set(matcher.group());
                        }
                        return shown.get() != null;
                    });
            String row = shown.get();
            JsonNode posture =
                    JSON.readTree(get("/secure-delivery/posture/shown.test").body());
            // Unauthenticated TLS to an MX without DANE or MTA-STS: protection "tls", shown as TLS only.
            long tls = posture.get("totals").get("delivered").get("tls").asLong();
            assertThat(tls).isEqualTo(1);
            assertThat(row).contains("<td data-protection=\"tls\">" + tls + "</td>");
            HttpResponse<String> csv = get("/secure-delivery/posture.csv?domain=shown.test");
            assertThat(csv.statusCode()).isEqualTo(200);
            assertThat(csv.headers().firstValue("Content-Type"))
                    .hasValueSatisfying(type -> assertThat(type).startsWith("text/csv"));
            String[] rows = csv.body().split("\r\n");
            assertThat(rows).hasSize(2);
            assertThat(rows[1]).contains(",shown.test,");
            assertThat(get("/secure-delivery/posture.csv?domain=not_a..domain").statusCode())
                    .isEqualTo(400);
            assertThat(get("/secure-delivery/dashboard?from=2026-13-01").statusCode())
                    .isEqualTo(400);
        }

        @Test
        void theCurrentPeriodsTlsReportCountsAreShownAndAReportIsSentOnRequest() throws Exception {
            james.send(Destinations.SENDER, "user@reported.test", "reported", "Reported on.");
            world.awaitOne("mx.reported.test");

            JsonNode domain = null;
            for (int i = 0; i < 50 && domain == null; i++) {
                for (JsonNode listed : JSON.readTree(
                                get("/secure-delivery/tls-reports").body())
                        .get("domains")) {
                    if (listed.get("policy-domain").asText().equals("reported.test")) {
                        domain = listed;
                    }
                }
                if (domain == null) {
                    Thread.sleep(100);
                }
            }
            assertThat(domain).as("reported.test in this period's counts").isNotNull();
            JsonNode policy = domain.get("policies").get(0);
            assertThat(policy.get("policy").get("policy-type").asText()).isEqualTo("no-policy-found");
            assertThat(policy.get("summary")
                            .get("total-successful-session-count")
                            .asLong())
                    .isEqualTo(1);

            HttpResponse<String> sent = send("POST", "/secure-delivery/tls-reports/reported.test/send");
            assertThat(sent.statusCode()).isEqualTo(200);
            JsonNode sending = JSON.readTree(sent.body());
            assertThat(sending.get("sent-to").get(0).asText()).isEqualTo("mailto:tlsrpt@reports.test");
            assertThat(sending.get("report-id").asText()).endsWith(".reported.test@sink.test");
            TestSmtpServer.Received report = world.awaitOne("mx.reports.test");
            assertThat(report.recipients).containsExactly("tlsrpt@reports.test");
            assertThat(report.data)
                    .contains("TLS-Report-Domain: reported.test")
                    .contains("Content-Type: application/tlsrpt+gzip");

            assertThat(send("POST", "/secure-delivery/tls-reports/never.test/send")
                            .statusCode())
                    .isEqualTo(404);
        }

        private HttpResponse<String> get(String path) throws Exception {
            return send("GET", path);
        }

        private HttpResponse<String> send(String method, String path) throws Exception {
            return HTTP.send(
                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + james.webAdminPort() + path))
                            .method(method, HttpRequest.BodyPublishers.noBody())
                            .timeout(Duration.ofSeconds(30))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
        }
    }

    @Test
    void aBadConfigurationStopsJamesNamingTheKey(@TempDir Path directory) throws Exception {
        Properties bad = new Properties();
        bad.setProperty("dns.timeout", "soon");

        try (JamesProcess james = JamesProcess.launch(directory.resolve("james"), bad, 25)) {
            int exit = james.awaitExit(START);

            assertThat(exit).isNotZero();
            assertThat(james.output())
                    .doesNotContain("JAMES server started")
                    .contains("secure-delivery: bad configuration in conf/secure-delivery.properties: dns.timeout:"
                            + " expected a duration");
        }
    }
}
