package dev.securedelivery.inbound;

import static org.assertj.core.api.Assertions.assertThat;

import dev.securedelivery.configuration.PolicyEngineConfiguration;
import dev.securedelivery.testing.TestClock;
import dev.securedelivery.testing.TlsReportMail;
import dev.securedelivery.tlsrpt.InboundReport;
import dev.securedelivery.tlsrpt.InboundReportStore;
import dev.securedelivery.tlsrpt.ReceivedReport;
import dev.securedelivery.tlsrpt.ReceivedReportParser;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InboundReportsTest {
    private static final Instant DAY_START = Instant.parse("2026-11-29T00:00:00Z");
    private static final Instant DAY_END = Instant.parse("2026-11-29T23:59:59Z");

    @TempDir
    Path directory;

    private final TestClock clock = new TestClock(Instant.parse("2026-11-30T06:00:00Z"));

    private InboundReports store(String... keys) throws Exception {
        Properties properties = new Properties();
        properties.setProperty("inbound-reports.directory", directory.toString());
        for (int i = 0; i < keys.length; i += 2) {
            properties.setProperty(keys[i], keys[i + 1]);
        }
        return new InboundReports(PolicyEngineConfiguration.from(properties).inboundReports(), clock);
    }

    private static ReceivedReport report(String organization, String id, String domain, long successes)
            throws Exception {
        return ReceivedReportParser.parseJson(
                TlsReportMail.report(organization, id, domain, successes, 1).getBytes(StandardCharsets.UTF_8));
    }

    private static List<String> ids(List<InboundReport> reports) {
        return reports.stream().map(report -> report.report().reportId()).collect(Collectors.toList());
    }

    @Test
    void reportsAndTheirDeduplicationSurviveARestart() throws Exception {
        InboundReports store = store();
        assertThat(store.store(report("A", "1", "ours.test", 10))).isEqualTo(InboundReportStore.Outcome.STORED);
        clock.advance(Duration.ofMinutes(1));
        assertThat(store.store(report("B", "1", "ours.test", 20))).isEqualTo(InboundReportStore.Outcome.STORED);

        InboundReports restarted = store();

        List<InboundReport> reports = restarted.list(DAY_START, DAY_END);
        assertThat(ids(reports)).containsExactly("1", "1");
        assertThat(reports.get(0).report()).isEqualTo(report("A", "1", "ours.test", 10));
        assertThat(reports.get(0).receivedAt()).isEqualTo(Instant.parse("2026-11-30T06:00:00Z"));
        assertThat(restarted.store(report("A", "1", "ours.test", 10))).isEqualTo(InboundReportStore.Outcome.DUPLICATE);
        // The same report-id from another organization is another report (RFC 8460 5.1: unique per sender).
        assertThat(restarted.size()).isEqualTo(2);
    }

    @Test
    void listingSelectsByPeriodAndPolicyDomain() throws Exception {
        InboundReports store = store();
        store.store(report("A", "1", "ours.test", 10));
        store.store(report("A", "2", "other.test", 20));

        assertThat(store.list(DAY_END, DAY_END.plusSeconds(10))).hasSize(2);
        assertThat(store.list(DAY_END.plusSeconds(1), Instant.MAX)).isEmpty();
        assertThat(store.list(Instant.MIN, DAY_START.minusSeconds(1))).isEmpty();
        List<InboundReport> ours = store.list(Instant.MIN, Instant.MAX, Optional.of("ours.test"));
        assertThat(ids(ours)).containsExactly("1");
        assertThat(ours.get(0).report().policies())
                .allSatisfy(policy -> assertThat(policy.policy().policyDomain()).isEqualTo("ours.test"));
    }

    @Test
    void reportsOlderThanTheRetentionGoFromTheListAndTheDisk() throws Exception {
        InboundReports store = store("inbound-reports.retention", "2d");
        store.store(report("A", "old", "ours.test", 10));
        clock.advance(Duration.ofDays(1));
        store.store(report("A", "new", "ours.test", 10));

        clock.advance(Duration.ofDays(1).plusMillis(1));

        assertThat(ids(store.list(Instant.MIN, Instant.MAX))).containsExactly("new");
        assertThat(jsonFiles()).hasSize(1);
    }

    @Test
    void beyondTheCountTheOldestReceivedGo() throws Exception {
        InboundReports store = store("inbound-reports.max-reports", "2");
        for (String id : List.of("1", "2", "3")) {
            store.store(report("A", id, "ours.test", 10));
            clock.advance(Duration.ofMinutes(1));
        }

        assertThat(ids(store.list(Instant.MIN, Instant.MAX))).containsExactly("2", "3");
        assertThat(jsonFiles()).hasSize(2);
        assertThat(store().size()).isEqualTo(2);
    }

    @Test
    void beyondTheBytesTheOldestReceivedGo() throws Exception {
        InboundReports store = store("inbound-reports.max-mib", "1");
        // About 300 KiB each once stored: three fit in a mebibyte, four do not.
        String line = "x".repeat(1000);
        for (int i = 0; i < 4; i++) {
            StringBuilder strings = new StringBuilder();
            for (int j = 0; j < 300; j++) {
                strings.append(j == 0 ? "" : ",").append('"').append(line).append('"');
            }
            String json = TlsReportMail.report("A", "r" + i, "ours.test", 1, 0).replace("\"version: STSv1\"", strings);
            store.store(ReceivedReportParser.parseJson(json.getBytes(StandardCharsets.UTF_8)));
            clock.advance(Duration.ofMinutes(1));
        }

        assertThat(ids(store.list(Instant.MIN, Instant.MAX))).containsExactly("r1", "r2", "r3");
    }

    @Test
    void aFileChangedByHandIsLeftOutNotFatal() throws Exception {
        InboundReports store = store();
        store.store(report("A", "1", "ours.test", 10));
        store.store(report("A", "2", "ours.test", 10));
        Path first = jsonFiles().get(0);
        Files.writeString(first, "{not json");
        Files.writeString(directory.resolve(".tmp-left-by-a-crash"), "half");

        InboundReports restarted = store();

        assertThat(restarted.list(Instant.MIN, Instant.MAX)).hasSize(1);
        assertThat(directory.resolve(".tmp-left-by-a-crash")).doesNotExist();
    }

    private List<Path> jsonFiles() throws Exception {
        try (Stream<Path> files = Files.list(directory)) {
            return files.filter(file -> file.toString().endsWith(".json"))
                    .sorted()
                    .collect(Collectors.toList());
        }
    }
}
