package dev.securedelivery.tlsrpt;

import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * A TLS report another MTA sent about mail to our domains, as kept: the report (reporting
 * organisation, period, each policy with its domain, type, success and failure counts and failure
 * details) and when it arrived.
 */
public final class InboundReport {
    /** What {@link #failuresByReceivingMx()} counts failures without a {@code receiving-mx-hostname} under. */
    public static final String UNNAMED_MX = "";

    private final ReceivedReport report;
    private final Instant receivedAt;

    public InboundReport(ReceivedReport report, Instant receivedAt) {
        this.report = Objects.requireNonNull(report, "report");
        this.receivedAt = Objects.requireNonNull(receivedAt, "receivedAt");
    }

    public ReceivedReport report() {
        return report;
    }

    public Instant receivedAt() {
        return receivedAt;
    }

    /**
     * The failed sessions of the report's failure details, per receiving MX host name (lower case;
     * {@link #UNNAMED_MX} where the report names none), sorted by name.
     */
    public Map<String, Long> failuresByReceivingMx() {
        Map<String, Long> failures = new TreeMap<>();
        for (ReceivedPolicy policy : report.policies()) {
            for (ReceivedFailure failure : policy.failures()) {
                failures.merge(failure.receivingMxHostname().orElse(UNNAMED_MX), failure.failedSessions(), Long::sum);
            }
        }
        return failures;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof InboundReport
                && report.equals(((InboundReport) other).report)
                && receivedAt.equals(((InboundReport) other).receivedAt);
    }

    @Override
    public int hashCode() {
        return Objects.hash(report, receivedAt);
    }

    @Override
    public String toString() {
        return report + " received " + receivedAt;
    }
}
