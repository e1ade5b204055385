package dev.securedelivery.tlsrpt;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Every session of every period, counted per policy domain and per policy (RFC 8460 4): what a
 * daily report of each domain is built from. Counting is a map update under a lock: the delivery
 * path never waits for I/O here.
 *
 * <p>Bounded per domain and period: a domain that changes its TLSA records or MTA-STS policy at each
 * lookup would otherwise add a policy, with up to 64 KiB of text, per session. The first
 * {@value #MAX_FULL_POLICIES} policies are listed with their text; a further one is counted without
 * it ({@link ReportedPolicy#withoutText()}), and once {@value #MAX_POLICIES} are listed, under the
 * first listed policy of its type (a new type still gets one). Each policy's failure details are
 * bounded as {@link PolicyResults} says. Every session is counted, under its own policy type.
 */
public final class SessionCounts {
    /** Policies of one domain and period listed with their text. */
    static final int MAX_FULL_POLICIES = 50;
    /** Policies of one domain and period listed at most, besides one per policy type. */
    static final int MAX_POLICIES = 100;

    /** What a session was counted under: its policy and failure detail, or others that bound them. */
    public static final class Counted {
        private final ReportedPolicy policy;
        private final FailureDetail detail;

        private Counted(ReportedPolicy policy, FailureDetail detail) {
            this.policy = policy;
            this.detail = detail;
        }

        public ReportedPolicy policy() {
            return policy;
        }

        /** Null for a successful session. */
        public FailureDetail detail() {
            return detail;
        }
    }

    private final Duration periodLength;
    // period -> policy domain -> policy -> results
    private final Map<ReportPeriod, Map<String, Map<ReportedPolicy, PolicyResults>>> periods = new LinkedHashMap<>();

    public SessionCounts(Duration periodLength) {
        this.periodLength = ReportPeriod.requireDividesDay(periodLength);
    }

    /** A session that met {@code policy} at {@code at}. */
    public synchronized Counted success(ReportedPolicy policy, Instant at) {
        Map<ReportedPolicy, PolicyResults> policies = policies(policy, at);
        ReportedPolicy counted = countedAs(policy, policies);
        policies.computeIfAbsent(counted, key -> new PolicyResults()).success();
        return new Counted(counted, null);
    }

    /** A session held to {@code policy} that failed as {@code detail} says. */
    public synchronized Counted failure(ReportedPolicy policy, FailureDetail detail, Instant at) {
        Map<ReportedPolicy, PolicyResults> policies = policies(policy, at);
        ReportedPolicy counted = countedAs(policy, policies);
        return new Counted(
                counted,
                policies.computeIfAbsent(counted, key -> new PolicyResults()).failure(detail));
    }

    private Map<ReportedPolicy, PolicyResults> policies(ReportedPolicy policy, Instant at) {
        return periods.computeIfAbsent(ReportPeriod.containing(at, periodLength), period -> new TreeMap<>())
                .computeIfAbsent(policy.policyDomain(), domain -> new LinkedHashMap<>());
    }

    private static ReportedPolicy countedAs(ReportedPolicy policy, Map<ReportedPolicy, PolicyResults> policies) {
        if (policies.containsKey(policy) || policies.size() < MAX_FULL_POLICIES) {
            return policy;
        }
        ReportedPolicy withoutText = policy.withoutText();
        if (policies.containsKey(withoutText) || policies.size() < MAX_POLICIES) {
            return withoutText;
        }
        for (ReportedPolicy listed : policies.keySet()) {
            if (listed.type() == policy.type()) {
                return listed;
            }
        }
        return withoutText;
    }

    /** A copy of what {@code policyDomain}'s report for {@code period} holds (empty if nothing). */
    public synchronized Map<ReportedPolicy, PolicyResults> of(ReportPeriod period, String policyDomain) {
        Map<ReportedPolicy, PolicyResults> copy = new LinkedHashMap<>();
        periods.getOrDefault(period, Map.of())
                .getOrDefault(policyDomain, Map.of())
                .forEach((policy, results) -> copy.put(policy, results.copy()));
        return copy;
    }

    /** The policy domains with sessions in {@code period}. */
    public synchronized Iterable<String> domains(ReportPeriod period) {
        return new ArrayList<>(periods.getOrDefault(period, Map.of()).keySet());
    }

    /** The periods with sessions, oldest first. */
    public synchronized List<ReportPeriod> periods() {
        List<ReportPeriod> list = new ArrayList<>(periods.keySet());
        list.sort(Comparator.comparing(ReportPeriod::start));
        return list;
    }

    /** Forgets {@code period}, once its reports are out. */
    public synchronized void forget(ReportPeriod period) {
        periods.remove(period);
    }

    public Duration periodLength() {
        return periodLength;
    }
}
