package dev.securedelivery.tlsrpt;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * The reports built and not yet sent everywhere (RFC 8460 5), and who closes a period: this node's
 * outbox ({@link ReportOutbox}), or a store the nodes of a cluster share, where exactly one node
 * builds a period's reports from every node's counts, and one node at a time sends each report.
 *
 * <p>Both are leases: a node that dies while it closes a period or sends a report is taken over once
 * its lease ends. A report is known by its file name (which holds its period, policy domain and
 * submitter); one added again, by a node that took over a period half closed, changes nothing.
 */
public interface ReportQueue {
    /**
     * What tells this sender's reports apart in report IDs and file names (letters and digits): the
     * node's name where each node reports alone, the cluster's where the nodes report together.
     */
    String reportScope();

    /**
     * Whether this node may close {@code period} now (build its reports, then forget its counts): it
     * holds the period's lease for {@code lease} from {@code now}. False while another node holds it,
     * and once the period is {@linkplain #closed closed}.
     */
    boolean claimClosing(ReportPeriod period, Instant now, Duration lease) throws IOException;

    /** Every report of {@code period} is in the queue: no node closes it again. */
    void closed(ReportPeriod period) throws IOException;

    /** Whether {@code period} was closed already: its counts can no longer reach a report. */
    boolean isClosed(ReportPeriod period) throws IOException;

    /** Adds a report, to be sent; one of the same file name already queued or sent stays as it is. */
    void add(PendingReport report) throws IOException;

    /**
     * The reports due at {@code now} that no node is sending, each now this node's to send for {@code
     * lease}, until it is {@linkplain #update updated} or {@linkplain #remove removed}.
     */
    List<PendingReport> claimDue(Instant now, Duration lease) throws IOException;

    /** The report of {@code fileName}, now this node's to send for {@code lease}; empty if another node sends it. */
    Optional<PendingReport> claim(String fileName, Instant now, Duration lease) throws IOException;

    /** Where sending {@code report} stands after an attempt; its lease ends. */
    void update(PendingReport report) throws IOException;

    /** Forgets {@code report}: sent everywhere, or given up. It is never sent again. */
    void remove(PendingReport report) throws IOException;

    /** Every report not yet sent everywhere, by file name. */
    List<PendingReport> pending() throws IOException;
}
