package dev.securedelivery.tlsrpt;

import java.io.Closeable;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * Where sessions are counted for TLS reports (RFC 8460 4), and read back when a period's reports are
 * built: this node's journal ({@link SessionJournal}), or a store the nodes of a cluster share, where a
 * period's counts are every node's together.
 *
 * <p>Counting never waits for a disk or a database and never fails a delivery: {@link #success} and
 * {@link #failure} only take the session into memory. The reading side may fail ({@link IOException})
 * when the store cannot be reached; a period is then closed later.
 */
public interface SessionCountStore extends Closeable {
    /** How long a report period is: it divides a day (RFC 8460 4.1). */
    Duration periodLength();

    /**
     * How long after a period's end its counts may still be coming in (from the other nodes of a
     * cluster, which bring theirs in at intervals): a period is closed only after that. Zero for one
     * node's own journal.
     */
    default Duration settleTime() {
        return Duration.ZERO;
    }

    /** A session held to {@code policy} that succeeded at {@code at}. */
    void success(ReportedPolicy policy, Instant at);

    /** A session held to {@code policy} that failed at {@code at}, as {@code detail} says. */
    void failure(ReportedPolicy policy, FailureDetail detail, Instant at);

    /** The periods with sessions, oldest first. */
    List<ReportPeriod> periods() throws IOException;

    /** The policy domains with sessions in {@code period}. */
    List<String> domains(ReportPeriod period) throws IOException;

    /** What {@code policyDomain}'s report for {@code period} holds: every node's sessions (empty if none). */
    Map<ReportedPolicy, PolicyResults> of(ReportPeriod period, String policyDomain) throws IOException;

    /** Sessions of {@code period} not counted because it held all it may. */
    long uncounted(ReportPeriod period) throws IOException;

    /** Forgets {@code period}, once its reports are built. */
    void forget(ReportPeriod period) throws IOException;
}
