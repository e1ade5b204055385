package dev.securedelivery.tlsrpt;

import static org.assertj.core.api.Assertions.assertThat;

import dev.securedelivery.testing.TestClock;
import dev.securedelivery.testing.TlsReportMail;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * What every {@link InboundReportStore} does: a report is kept once per organization and report-id,
 * listed by its period and policy domain, bounded in count. Each implementation's test extends it.
 */
public abstract class InboundReportStoreContract {
    protected static final Instant DAY_START = Instant.parse("2026-11-29T00:00:00Z");
    protected static final Instant DAY_END = Instant.parse("2026-11-29T23:59:59Z");

    protected final TestClock clock = new TestClock(Instant.parse("2026-11-30T06:00:00Z"));

    /** A store of {@code maxReports} reports at most, received on {@link #clock}; the same one at each call. */
    protected abstract InboundReportStore open(int maxReports) throws Exception;

    protected static ReceivedReport report(String organization, String id, String domain, long successes)
            throws Exception {
        return ReceivedReportParser.parseJson(
                TlsReportMail.report(organization, id, domain, successes, 1).getBytes(StandardCharsets.UTF_8));
    }

    private static List<String> ids(List<InboundReport> reports) {
        return reports.stream().map(report -> report.report().reportId()).collect(Collectors.toList());
    }

    @Test
    public void aReportIsKeptOnceByItsOrganizationAndId() throws Exception {
        InboundReportStore store = open(100);

        assertThat(store.store(report("A", "1", "ours.test", 10))).isEqualTo(InboundReportStore.Outcome.STORED);
        assertThat(store.store(report("A", "1", "ours.test", 10))).isEqualTo(InboundReportStore.Outcome.DUPLICATE);
        assertThat(store.store(report("B", "1", "ours.test", 20))).isEqualTo(InboundReportStore.Outcome.STORED);

        assertThat(open(100).size()).isEqualTo(2);
        List<InboundReport> kept = open(100).list(DAY_START, DAY_END);
        assertThat(ids(kept)).containsExactlyInAnyOrder("1", "1");
        assertThat(kept).allSatisfy(report -> assertThat(report.receivedAt()).isEqualTo(clock.instant()));
    }

    @Test
    public void reportsAreListedByPeriodAndPolicyDomain() throws Exception {
        InboundReportStore store = open(100);
        store.store(report("A", "ours", "ours.test", 10));
        store.store(report("A", "theirs", "theirs.test", 10));

        assertThat(ids(store.list(DAY_START, DAY_END, Optional.of("ours.test"))))
                .containsExactly("ours");
        assertThat(store.list(DAY_START, DAY_END, Optional.of("ours.test"))
                        .get(0)
                        .report()
                        .policies())
                .allSatisfy(policy -> assertThat(policy.policy().policyDomain()).isEqualTo("ours.test"));
        assertThat(store.list(DAY_END.plusSeconds(3600), DAY_END.plusSeconds(7200)))
                .isEmpty();
    }

    @Test
    public void beyondTheBoundTheOldestReceivedGoFirst() throws Exception {
        InboundReportStore store = open(2);
        store.store(report("A", "1", "ours.test", 1));
        clock.advance(java.time.Duration.ofMinutes(1));
        store.store(report("A", "2", "ours.test", 1));
        clock.advance(java.time.Duration.ofMinutes(1));
        store.store(report("A", "3", "ours.test", 1));

        assertThat(ids(store.list(DAY_START, DAY_END))).containsExactlyInAnyOrder("2", "3");
    }
}
