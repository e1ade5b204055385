package dev.securedelivery.tlsrpt;

import java.net.URI;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A report built and not yet sent to every place it goes: its gzip-compressed JSON (RFC 8460 5.2),
 * its names, and where its delivery stands. Kept in a {@link ReportQueue} until every target took it
 * or its 24 hours of retries are over.
 */
public final class PendingReport {
    private final String reportId;
    private final String policyDomain;
    private final String fileName;
    private final byte[] gzip;
    private final Instant created;
    private final int attempts;
    private final Instant nextAttempt;
    private final List<URI> targets;

    private PendingReport(
            String reportId,
            String policyDomain,
            String fileName,
            byte[] gzip,
            Instant created,
            int attempts,
            Instant nextAttempt,
            List<URI> targets) {
        this.reportId = Objects.requireNonNull(reportId, "reportId");
        this.policyDomain = Objects.requireNonNull(policyDomain, "policyDomain");
        this.fileName = Objects.requireNonNull(fileName, "fileName");
        this.gzip = Objects.requireNonNull(gzip, "gzip");
        this.created = Objects.requireNonNull(created, "created");
        this.attempts = attempts;
        this.nextAttempt = Objects.requireNonNull(nextAttempt, "nextAttempt");
        this.targets = targets == null ? null : List.copyOf(targets);
    }

    /** A new report, to be sent at once; its targets come from the domain's record at sending time. */
    public static PendingReport of(String reportId, String policyDomain, String fileName, byte[] gzip, Instant now) {
        return new PendingReport(reportId, policyDomain, fileName, gzip, now, 0, now, null);
    }

    /** RFC 8460 4.4's {@code report-id}, also the message's Report-ID (5.3). */
    public String reportId() {
        return reportId;
    }

    public String policyDomain() {
        return policyDomain;
    }

    /** RFC 8460 5.1's file name: {@code submitter!policy-domain!begin!end!unique-id.json.gz}. */
    public String fileName() {
        return fileName;
    }

    /** The report's JSON, gzip-compressed. */
    public byte[] gzip() {
        return gzip.clone();
    }

    /** When sending began: retries stop 24 hours later (RFC 8460 5.5). */
    public Instant created() {
        return created;
    }

    /** Sending attempts so far that left some target without the report. */
    public int attempts() {
        return attempts;
    }

    public Instant nextAttempt() {
        return nextAttempt;
    }

    /**
     * The {@code rua} URIs still without the report; empty before the domain's record was read,
     * which happens at the first attempt.
     */
    public Optional<List<URI>> targets() {
        return Optional.ofNullable(targets);
    }

    /** A report as a queue kept it: every field as it was written. */
    public static PendingReport restored(
            String reportId,
            String policyDomain,
            String fileName,
            byte[] gzip,
            Instant created,
            int attempts,
            Instant nextAttempt,
            List<URI> targets) {
        return new PendingReport(reportId, policyDomain, fileName, gzip, created, attempts, nextAttempt, targets);
    }

    /** The same report, still to go to {@code remaining}. */
    public PendingReport withTargets(List<URI> remaining) {
        return new PendingReport(reportId, policyDomain, fileName, gzip, created, attempts, nextAttempt, remaining);
    }

    /** The same report after one more attempt that left some target without it, tried again at {@code next}. */
    public PendingReport retriedAt(Instant next) {
        return new PendingReport(reportId, policyDomain, fileName, gzip, created, attempts + 1, next, targets);
    }

    @Override
    public String toString() {
        return reportId + " for " + policyDomain + (targets == null ? "" : " to " + targets);
    }
}
