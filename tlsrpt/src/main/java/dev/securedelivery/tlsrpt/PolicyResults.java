package dev.securedelivery.tlsrpt;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The sessions of one period held to one policy: RFC 8460 4.4's {@code summary} and
 * {@code failure-details}. Not thread-safe: {@link SessionCounts} guards it.
 *
 * <p>Bounded: each failed session is one more kind of failure if its MX chose a new HELO name, reply
 * or address, so a hostile MX could grow the list by a kind per session. The first
 * {@value #MAX_FULL_DETAILS} kinds are listed as they are; a further kind is counted without its
 * connection's fields ({@link FailureDetail#withoutConnectionFields()}), and once
 * {@value #MAX_DETAILS} kinds are listed (or the period holds all it may, see {@link SessionCounts}),
 * under a listed kind of its result type, one without connection fields if there is one. A result type
 * not listed yet always gets a kind of its own (there are a dozen). Every failed session is thus in the
 * details under its own result type, and the details add up to the failure count, as receivers' tools
 * check.
 */
public final class PolicyResults {
    /** Kinds of failure listed with every field. */
    static final int MAX_FULL_DETAILS = 50;
    /** Kinds of failure listed at most, besides one per result type. */
    static final int MAX_DETAILS = 100;

    private long successes;
    private final Map<FailureDetail, Long> failureDetails = new LinkedHashMap<>();

    /** Results with these counts: {@code successes} sessions, and failed ones per detail. */
    public static PolicyResults of(long successes, Map<FailureDetail, Long> failureDetails) {
        PolicyResults results = new PolicyResults();
        results.successes = successes;
        results.failureDetails.putAll(failureDetails);
        return results;
    }

    void success() {
        successes++;
    }

    void add(PolicyResults other) {
        successes += other.successes;
        other.failureDetails.forEach((detail, count) -> failureDetails.merge(detail, count, Long::sum));
    }

    /** Counts a failed session under {@code counted}, which {@link #countedAs} chose. */
    void failure(FailureDetail counted) {
        failureDetails.merge(counted, 1L, Long::sum);
    }

    /** Whether {@code detail} is listed already. */
    boolean lists(FailureDetail detail) {
        return failureDetails.containsKey(detail);
    }

    /** What a failed session as {@code detail} is counted under; {@code periodFull} if no new kind may be added. */
    FailureDetail countedAs(FailureDetail detail, boolean periodFull) {
        if (lists(detail) || (!periodFull && failureDetails.size() < MAX_FULL_DETAILS)) {
            return detail;
        }
        FailureDetail coarse = detail.withoutConnectionFields();
        if (lists(coarse) || (!periodFull && failureDetails.size() < MAX_DETAILS)) {
            return coarse;
        }
        FailureDetail sameType = null;
        for (FailureDetail listed : failureDetails.keySet()) {
            if (listed.resultType().equals(detail.resultType())) {
                if (listed.equals(listed.withoutConnectionFields())) {
                    return listed;
                }
                if (sameType == null) {
                    sameType = listed;
                }
            }
        }
        return sameType != null ? sameType : coarse;
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
