package dev.securedelivery.tlsrpt;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The sessions of one period held to one policy: RFC 8460 4.4's {@code summary} and
 * {@code failure-details}. Not thread-safe: {@link SessionCounts} guards it.
 */
public final class PolicyResults {
    private long successes;
    private final Map<FailureDetail, Long> failureDetails = new LinkedHashMap<>();

    void success() {
        successes++;
    }

    void failure(FailureDetail detail) {
        failureDetails.merge(detail, 1L, Long::sum);
    }

    PolicyResults copy() {
        PolicyResults copy = new PolicyResults();
        copy.successes = successes;
        copy.failureDetails.putAll(failureDetails);
        return copy;
    }

    public long successfulSessions() {
        return successes;
    }

    public long failedSessions() {
        long failures = 0;
        for (long count : failureDetails.values()) {
            failures += count;
        }
        return failures;
    }

    public Map<FailureDetail, Long> failureDetails() {
        return Collections.unmodifiableMap(failureDetails);
    }
}
