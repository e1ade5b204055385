package dev.securedelivery.tlsrpt;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One entry of a received report's {@code policies} (RFC 8460 4.4): the policy the sender held its
 * sessions to, its {@code summary} counts and its {@code failure-details}.
 */
public final class ReceivedPolicy {
    private final ReportedPolicy policy;
    private final long successfulSessions;
    private final long failedSessions;
    private final List<ReceivedFailure> failures;

    ReceivedPolicy(
            ReportedPolicy policy, long successfulSessions, long failedSessions, List<ReceivedFailure> failures) {
        this.policy = Objects.requireNonNull(policy, "policy");
        this.successfulSessions = successfulSessions;
        this.failedSessions = failedSessions;
        this.failures = List.copyOf(failures);
    }

    public ReportedPolicy policy() {
        return policy;
    }

    /** {@code total-successful-session-count}. */
    public long successfulSessions() {
        return successfulSessions;
    }

    /** {@code total-failure-session-count}, as the report gives it. */
    public long failedSessions() {
        return failedSessions;
    }

    public List<ReceivedFailure> failures() {
        return failures;
    }

    /** The entry in RFC 8460 4.4's form. */
    public Map<String, Object> toJson() {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("policy", policy.toJson());
        Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("total-successful-session-count", successfulSessions);
        summary.put("total-failure-session-count", failedSessions);
        json.put("summary", summary);
        if (!failures.isEmpty()) {
            List<Map<String, Object>> details = new ArrayList<>();
            failures.forEach(failure -> details.add(failure.toJson()));
            json.put("failure-details", details);
        }
        return json;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof ReceivedPolicy && toJson().equals(((ReceivedPolicy) other).toJson());
    }

    @Override
    public int hashCode() {
        return toJson().hashCode();
    }

    @Override
    public String toString() {
        return policy + ": " + successfulSessions + " ok, " + failedSessions + " failed";
    }
}
