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
 */
public final class SessionCounts {
    private final Duration periodLength;
    // period -> policy domain -> policy -> results
    private final Map<ReportPeriod, Map<String, Map<ReportedPolicy, PolicyResults>>> periods = new LinkedHashMap<>();

    public SessionCounts(Duration periodLength) {
        this.periodLength = ReportPeriod.requireDividesDay(periodLength);
    }

    /** A session that met {@code policy} at {@code at}. */
    public synchronized void success(ReportedPolicy policy, Instant at) {
        results(policy, at).success();
    }

    /** A session held to {@code policy} that failed as {@code detail} says. */
    public synchronized void failure(ReportedPolicy policy, FailureDetail detail, Instant at) {
        results(policy, at).failure(detail);
    }

    private PolicyResults results(ReportedPolicy policy, Instant at) {
        return periods.computeIfAbsent(ReportPeriod.containing(at, periodLength), period -> new TreeMap<>())
                .computeIfAbsent(policy.policyDomain(), domain -> new LinkedHashMap<>())
                .computeIfAbsent(policy, key -> new PolicyResults());
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
