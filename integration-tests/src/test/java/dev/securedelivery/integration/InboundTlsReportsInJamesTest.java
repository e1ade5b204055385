package dev.securedelivery.integration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.securedelivery.testing.TlsReportMail;
import java.math.BigInteger;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import javax.mail.Session;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * RFC 8460 reports other MTAs send to this James's report address, over SMTP into a real James
 * 3.8.1 with the {@code InboundTlsReports} mailet as an administrator wires it: gzip and plain JSON
 * reports kept (a report sent again counted once) and kept out of the mailbox, malformed ones in the
 * repository the administrator chose, and WebAdmin's {@code /secure-delivery/inbound-reports} giving
 * the exact numbers.
 */
class InboundTlsReportsInJamesTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final String REPORT_ADDRESS = "tlsrpt@localhost";
    private static final String ERRORS = "memory://var/mail/tls-report-error/";
    private static final String TRANSPORT_MAILETS = "      <mailet match=\"RecipientIs=" + REPORT_ADDRESS + "\""
            + " class=\"dev.securedelivery.inbound.InboundTlsReports\">\n"
            + "        <malformedProcessor>tls-report-error</malformedProcessor>\n"
            + "      </mailet>\n";
    private static final String PROCESSORS = "    <processor state=\"tls-report-error\" enableJmx=\"false\">\n"
            + "      <mailet match=\"All\" class=\"ToRepository\">\n"
            + "        <repositoryPath>" + ERRORS + "</repositoryPath>\n"
            + "      </mailet>\n"
            + "    </processor>\n";
    // Beyond 2^53, where a double would round.
    private static final long MANY = 9_007_199_254_740_993L;

    @TempDir
    Path directory;

    private JamesUnderTest james;

    @AfterEach
    void stopJames() {
        if (james != null) {
            james.close();
        }
    }

    @Test
    void reportsSentOverSmtpAreKeptAndShownWithExactNumbers() throws Exception {
        Path working = directory.resolve("james");
        james = JamesUnderTest.startWithTransportMailets(working, new Properties(), TRANSPORT_MAILETS, PROCESSORS);
        Session session = Session.getInstance(new Properties());

        byte[] fromA = bytes(TlsReportMail.report("Reporter A", "a-1", "ours.test", 1000, 5));
        james.send(TlsReportMail.message(
                session,
                "tlsrpt@a.example",
                REPORT_ADDRESS,
                "ours.test",
                TlsReportMail.GZIP,
                TlsReportMail.gzip(fromA)));
        james.send(TlsReportMail.message(
                session,
                "tlsrpt@b.example",
                REPORT_ADDRESS,
                "other.test",
                TlsReportMail.JSON,
                bytes(TlsReportMail.report("Reporter B", "b-1", "other.test", MANY, 0))));
        // Sent again, as plain JSON this time: the same report, counted once.
        james.send(TlsReportMail.message(
                session, "tlsrpt@a.example", REPORT_ADDRESS, "ours.test", TlsReportMail.JSON, fromA));
        // Malformed: JSON cut short, and a gzip bomb (17 MiB of spaces in 17 KiB).
        james.send(TlsReportMail.message(
                session,
                "tlsrpt@c.example",
                REPORT_ADDRESS,
                "ours.test",
                TlsReportMail.JSON,
                bytes("{\"organization-name\": \"Reporter C\", \"date-range\": {")));
        james.send(TlsReportMail.message(
                session,
                "tlsrpt@d.example",
                REPORT_ADDRESS,
                "ours.test",
                TlsReportMail.GZIP,
                TlsReportMail.gzip(" ".repeat(17 * 1024 * 1024).getBytes(StandardCharsets.US_ASCII))));

        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
            assertThat(james.mailsIn(ERRORS)).isEqualTo(2);
            assertThat(get("/secure-delivery/inbound-reports")
                            .get("totals")
                            .get("reports")
                            .asInt())
                    .isEqualTo(2);
        });

        JsonNode all = get("/secure-delivery/inbound-reports");
        assertThat(all.get("totals").get("successful-sessions").bigIntegerValue())
                .isEqualTo(BigInteger.valueOf(MANY).add(BigInteger.valueOf(1000)));
        assertThat(all.get("totals").get("failed-sessions").asLong()).isEqualTo(15);
        List<String> organizations = Stream.of(
                        all.get("reports").get(0), all.get("reports").get(1))
                .map(report -> report.get("organization-name").asText())
                .sorted()
                .collect(Collectors.toList());
        assertThat(organizations).containsExactly("Reporter A", "Reporter B");

        JsonNode ours = get("/secure-delivery/inbound-reports?domain=ours.test");
        assertThat(ours.get("reports")).hasSize(1);
        JsonNode report = ours.get("reports").get(0);
        assertThat(report.get("report-id").asText()).isEqualTo("a-1");
        assertThat(report.get("date-range").get("start-datetime").asText()).isEqualTo("2026-11-29T00:00:00Z");
        assertThat(report.get("successful-sessions").asLong()).isEqualTo(1000);
        assertThat(report.get("failed-sessions").asLong()).isEqualTo(15);
        JsonNode policy = report.get("policies").get(0);
        assertThat(policy.get("policy").get("policy-type").asText()).isEqualTo("sts");
        assertThat(policy.get("policy").get("policy-domain").asText()).isEqualTo("ours.test");
        assertThat(policy.get("summary").get("total-successful-session-count").asLong())
                .isEqualTo(1000);
        assertThat(policy.get("failure-details").get(0).get("result-type").asText())
                .isEqualTo("certificate-expired");
        assertThat(policy.get("failure-details")
                        .get(1)
                        .get("failed-session-count")
                        .asLong())
                .isEqualTo(10);
        assertThat(report.get("failures-by-receiving-mx").get("mx1.ours.test").asLong())
                .isEqualTo(5);
        assertThat(report.get("failures-by-receiving-mx").get("mx2.ours.test").asLong())
                .isEqualTo(10);

        JsonNode other = get("/secure-delivery/inbound-reports?domain=other.test");
        assertThat(other.get("reports").get(0).get("successful-sessions").bigIntegerValue())
                .isEqualTo(BigInteger.valueOf(MANY));
        assertThat(get("/secure-delivery/inbound-reports?from=2026-11-29&to=2026-11-29")
                        .get("reports"))
                .hasSize(2);
        assertThat(get("/secure-delivery/inbound-reports?from=2026-11-30").get("reports"))
                .isEmpty();
        assertThat(status("/secure-delivery/inbound-reports?from=yesterday")).isEqualTo(400);
        assertThat(status("/secure-delivery/inbound-reports?from=2026-11-30&to=2026-11-29"))
                .isEqualTo(400);

        // Kept out of the mailbox, and on disk under the working directory, one file a report.
        assertThat(james.mailsIn("memory://var/mail/local/")).isZero();
        assertThat(james.mailsIn("memory://var/mail/relay-denied/")).isZero();
        try (Stream<Path> files = Files.list(working.resolve("var/secure-delivery/inbound-reports"))) {
            assertThat(files.filter(file -> file.toString().endsWith(".json"))).hasSize(2);
        }
    }

    private JsonNode get(String path) throws Exception {
        HttpResponse<String> response = request(path);
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return JSON.readTree(response.body());
    }

    private int status(String path) throws Exception {
        return request(path).statusCode();
    }

    private HttpResponse<String> request(String path) throws Exception {
        return HTTP.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + james.webAdminPort() + path))
                        .GET()
                        .timeout(Duration.ofSeconds(30))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
