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
 * <p>Bounded, since whoever controls a destination's DNS chooses what its sessions are counted
 * under: new TLSA records or an MTA-STS policy (up to 64 KiB of text) at each lookup, and, for DANE,
 * new MX host names, each a policy domain of its own (the TLSA base domain, RFC 8460 4.4). RFC 8460
 * sets no limit; these are ours:
 * <ul>
 *   <li>Per policy domain, the first {@value #MAX_FULL_POLICIES} policies are listed with their
 *       text; a further one is counted without it ({@link ReportedPolicy#withoutText()}), and once
 *       {@value #MAX_POLICIES} are listed, under a listed policy of its type (a text-less one if
 *       there is one). Each policy's failure details are bounded as {@link PolicyResults} says.</li>
 *   <li>Per period, at most {@value #MAX_TEXT_CHARS} characters of policy text are listed; a
 *       policy beyond is counted without its text (a TLSA policy keeps its MX host name, a few hundred
 *       characters more).</li>
 *   <li>Per period, at most {@value #MAX_ENTRIES} policies and failure details are listed in all.
 *       Past that, a session is counted only under what is listed already (its policy, or one of
 *       the same type; a failure under a kind of its result type, which may still be added): a
 *       session of a policy domain not listed yet is not counted, and is counted in
 *       {@link #uncounted(ReportPeriod)} instead.</li>
 * </ul>
 * Every session counted is thus under its own policy domain, policy type and result type.
 */
public final class SessionCounts {
    /** Policies of one domain and period listed with their text. */
    static final int MAX_FULL_POLICIES = 50;
    /** Policies of one domain and period listed at most, besides one per policy type. */
    static final int MAX_POLICIES = 100;
    /** Policy text listed per period, in characters: 16 MiB held in memory. */
    static final long MAX_TEXT_CHARS = 8L * 1024 * 1024;
    /**
     * Policies and failure details listed per period (a few more: a new result type of a listed policy
     * still gets a detail). A detail holds at most about 1 KiB of text, so some 100 MiB at the most.
     */
    static final long MAX_ENTRIES = 100_000;

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

    /** One period's counts, with what bounds them. */
    private static final class Period {
        // policy domain -> policy -> results
        final Map<String, Map<ReportedPolicy, PolicyResults>> domains = new TreeMap<>();
        long entries;
        long textChars;
        long uncounted;

        boolean full() {
            return entries >= MAX_ENTRIES;
        }
    }

    private final Duration periodLength;
    private final Map<ReportPeriod, Period> periods = new LinkedHashMap<>();

    public SessionCounts(Duration periodLength) {
        this.periodLength = ReportPeriod.requireDividesDay(periodLength);
    }

    /** A session that met {@code policy} at {@code at}; what it was counted under, or null if it was not. */
    public synchronized Counted success(ReportedPolicy policy, Instant at) {
        Period period = period(at);
        ReportedPolicy counted = countedAs(policy, period);
        if (counted == null) {
            period.uncounted++;
            return null;
        }
        results(period, counted).success();
        return new Counted(counted, null);
    }

    /**
     * A session held to {@code policy} that failed as {@code detail} says; what it was counted under,
     * or null if it was not.
     */
    public synchronized Counted failure(ReportedPolicy policy, FailureDetail detail, Instant at) {
        Period period = period(at);
        ReportedPolicy counted = countedAs(policy, period);
        if (counted == null) {
            period.uncounted++;
            return null;
        }
        PolicyResults results = results(period, counted);
        FailureDetail countedDetail = results.countedAs(detail, period.full());
        if (!results.lists(countedDetail)) {
            period.entries++;
        }
        results.failure(countedDetail);
        return new Counted(counted, countedDetail);
    }

    private Period period(Instant at) {
        return periods.computeIfAbsent(ReportPeriod.containing(at, periodLength), start -> new Period());
    }

    private static ReportedPolicy countedAs(ReportedPolicy policy, Period period) {
        Map<ReportedPolicy, PolicyResults> policies = period.domains.get(policy.policyDomain());
        if (policies == null) {
            if (period.full()) {
                return null;
            }
            policies = Map.of();
        }
        if (policies.containsKey(policy)) {
            return policy;
        }
        boolean full = period.full();
        if (!full && policies.size() < MAX_FULL_POLICIES && period.textChars + policy.textChars() <= MAX_TEXT_CHARS) {
            return policy;
        }
        ReportedPolicy withoutText = policy.withoutText();
        if (policies.containsKey(withoutText) || (!full && policies.size() < MAX_POLICIES)) {
            return withoutText;
        }
        ReportedPolicy sameType = null;
        for (ReportedPolicy listed : policies.keySet()) {
            if (listed.type() == policy.type()) {
                if (listed.policyStrings().isEmpty()) {
                    return listed;
                }
                if (sameType == null) {
                    sameType = listed;
                }
            }
        }
        if (sameType != null) {
            return sameType;
        }
        // A policy type the domain has not listed yet: at most three such entries a domain.
        return full ? null : withoutText;
    }

    private static PolicyResults results(Period period, ReportedPolicy policy) {
        Map<ReportedPolicy, PolicyResults> policies =
                period.domains.computeIfAbsent(policy.policyDomain(), domain -> new LinkedHashMap<>());
        PolicyResults results = policies.get(policy);
        if (results == null) {
            results = new PolicyResults();
            policies.put(policy, results);
            period.entries++;
            period.textChars += policy.textChars();
        }
        return results;
    }

    /** A copy of what {@code policyDomain}'s report for {@code period} holds (empty if nothing). */
    public synchronized Map<ReportedPolicy, PolicyResults> of(ReportPeriod period, String policyDomain) {
        Map<ReportedPolicy, PolicyResults> copy = new LinkedHashMap<>();
        Period counts = periods.get(period);
        if (counts != null) {
            counts.domains
                    .getOrDefault(policyDomain, Map.of())
                    .forEach((policy, results) -> copy.put(policy, results.copy()));
        }
        return copy;
    }

    /** The policy domains with sessions in {@code period}. */
    public synchronized Iterable<String> domains(ReportPeriod period) {
        Period counts = periods.get(period);
        return counts == null ? List.of() : new ArrayList<>(counts.domains.keySet());
    }

    /** Sessions of {@code period} not counted because it held all it may ({@value #MAX_ENTRIES} entries). */
    public synchronized long uncounted(ReportPeriod period) {
        Period counts = periods.get(period);
        return counts == null ? 0 : counts.uncounted;
    }

    /** The periods with sessions, oldest first. */
    public synchronized List<ReportPeriod> periods() {
        List<ReportPeriod> list = new ArrayList<>(periods.keySet());
        list.sort(Comparator.comparing(ReportPeriod::start));
        return list;
    }

    /**
     * Adds {@code results}, counted elsewhere under {@code policy} (a batch that could not be written
     * where it was going), as they are: they were held to these bounds when they were counted.
     */
    public synchronized void add(ReportPeriod period, ReportedPolicy policy, PolicyResults results) {
        Period counts = periods.computeIfAbsent(period, start -> new Period());
        PolicyResults into = results(counts, policy);
        into.add(results);
    }

    /** Adds {@code sessions} not counted in {@code period} (see {@link #uncounted}). */
    public synchronized void addUncounted(ReportPeriod period, long sessions) {
        periods.computeIfAbsent(period, start -> new Period()).uncounted += sessions;
    }

    /** Whether no session is counted here. */
    public synchronized boolean isEmpty() {
        return periods.isEmpty();
    }

    /** Forgets {@code period}, once its reports are out. */
    public synchronized void forget(ReportPeriod period) {
        periods.remove(period);
    }

    public Duration periodLength() {
        return periodLength;
    }
}
