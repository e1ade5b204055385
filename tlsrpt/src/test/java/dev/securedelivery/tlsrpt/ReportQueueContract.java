package dev.securedelivery.tlsrpt;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * What every {@link ReportQueue} does for one node: a report queued is listed and claimed when due,
 * never twice while claimed, its state kept across an update, and never sent again once removed.
 * Each implementation's test extends it; the one the nodes share adds what several nodes see.
 */
public abstract class ReportQueueContract {
    protected static final Instant NOW = Instant.parse("2026-12-01T00:10:00Z");
    protected static final Duration LEASE = Duration.ofMinutes(10);
    protected static final ReportPeriod PERIOD =
            ReportPeriod.containing(Instant.parse("2026-11-30T12:00:00Z"), Duration.ofDays(1));

    /** A queue for the node named {@code node}; a second call for the same node is that node started again. */
    protected abstract ReportQueue open(String node) throws Exception;

    protected static PendingReport report(String domain) {
        return PendingReport.of(
                "1764460800.1764547199.x." + domain + "@sender.test",
                domain,
                "sender.test!" + domain + "!1764460800!1764547199!x.json.gz",
                ("gzip of " + domain).getBytes(StandardCharsets.UTF_8),
                NOW);
    }

    @Test
    public void aQueuedReportIsClaimedWhenDueAndNotAgainWhileClaimed() throws Exception {
        ReportQueue queue = open("one");
        PendingReport report = report("dest.test");
        queue.add(report);
        queue.add(report);

        assertThat(queue.pending()).extracting(PendingReport::fileName).containsExactly(report.fileName());
        assertThat(queue.claimDue(NOW.minusSeconds(1), LEASE)).isEmpty();
        List<PendingReport> due = queue.claimDue(NOW, LEASE);
        assertThat(due).singleElement().satisfies(claimed -> {
            assertThat(claimed.reportId()).isEqualTo(report.reportId());
            assertThat(claimed.gzip()).isEqualTo(report.gzip());
        });
        assertThat(queue.claimDue(NOW, LEASE)).isEmpty();
        assertThat(queue.claim(report.fileName(), NOW, LEASE)).isEmpty();
    }

    @Test
    public void anUpdateKeepsWhereSendingStandsAndEndsTheClaim() throws Exception {
        ReportQueue queue = open("one");
        PendingReport report = report("dest.test");
        queue.add(report);
        PendingReport claimed = queue.claimDue(NOW, LEASE).get(0);

        PendingReport retried = claimed.withTargets(List.of(URI.create("mailto:tlsrpt@dest.test")))
                .retriedAt(NOW.plusSeconds(60));
        queue.update(retried);

        assertThat(queue.claimDue(NOW.plusSeconds(59), LEASE)).isEmpty();
        assertThat(queue.claimDue(NOW.plusSeconds(60), LEASE)).singleElement().satisfies(again -> {
            assertThat(again.attempts()).isEqualTo(1);
            assertThat(again.targets()).contains(List.of(URI.create("mailto:tlsrpt@dest.test")));
            assertThat(again.created()).isEqualTo(NOW);
        });
    }

    @Test
    public void aRemovedReportIsNeverClaimedAgain() throws Exception {
        ReportQueue queue = open("one");
        PendingReport report = report("dest.test");
        queue.add(report);
        queue.remove(queue.claimDue(NOW, LEASE).get(0));

        assertThat(queue.pending()).isEmpty();
        assertThat(queue.claimDue(NOW.plus(Duration.ofHours(1)), LEASE)).isEmpty();
        assertThat(queue.claim(report.fileName(), NOW, LEASE)).isEmpty();
    }

    @Test
    public void queuedReportsOutliveARestart() throws Exception {
        open("one").add(report("dest.test"));

        assertThat(open("one").pending())
                .extracting(PendingReport::policyDomain)
                .containsExactly("dest.test");
    }

    @Test
    public void aFreshPeriodMayBeClosedAndItsScopeNamesTheReports() throws Exception {
        ReportQueue queue = open("one");

        assertThat(queue.claimClosing(PERIOD, NOW, LEASE)).isTrue();
        assertThat(queue.reportScope()).matches("[A-Za-z0-9]{1,63}");
    }
}
