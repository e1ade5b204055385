package dev.securedelivery.owndomains;

import java.io.Closeable;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The {@link DomainCheck} of every domain we receive mail for, at start and then every interval, on a
 * thread of its own, one domain after the other: what an outside sender sees now, kept until the
 * next check, and what changed. A finding that needs action and was not there at the last check is
 * told to the {@link Listener} once (a WARN line), not at every check; one that went away is told as
 * resolved.
 */
public final class SelfCheck implements Closeable {
    /** Told of what changed between two checks of a domain. */
    public interface Listener {
        /** A warning or problem not found at the domain's last check. */
        void found(String domain, Finding finding);

        /** A warning or problem of the last check no longer found. */
        void resolved(String domain, Finding finding);

        /** Domains beyond the bound, not checked. */
        void notChecked(List<String> domains);

        /** The domains could not be had (the domain list is not ready, or failed): checked at the next run. */
        default void domainsUnavailable(String why) {}
    }

    /** One domain's last check. */
    public static final class Result {
        private final Instant checkedAt;
        private final Findings findings;

        public Result(Instant checkedAt, Findings findings) {
            this.checkedAt = checkedAt;
            this.findings = findings;
        }

        public Instant checkedAt() {
            return checkedAt;
        }

        public Findings findings() {
            return findings;
        }
    }

    private final DomainCheck check;
    private final Supplier<List<String>> domains;
    private final int maxDomains;
    private final Clock clock;
    private final Listener listener;
    private final Map<String, Result> results = new TreeMap<>();
    private final ScheduledExecutorService thread;
    private volatile Duration retryAfter = Duration.ofMinutes(1);
    private volatile Duration interval = Duration.ofHours(1);

    /**
     * @param domains the domains to check (James's domain list), asked again at every check
     * @param maxDomains the most checked; the rest are told to the listener
     */
    public SelfCheck(
            DomainCheck check, Supplier<List<String>> domains, int maxDomains, Clock clock, Listener listener) {
        this.check = check;
        this.domains = domains;
        this.maxDomains = maxDomains;
        this.clock = clock;
        this.listener = listener;
        this.thread = Executors.newSingleThreadScheduledExecutor(task -> {
            Thread checker = new Thread(task, "secure-delivery-self-check");
            checker.setDaemon(true);
            return checker;
        });
    }

    /**
     * Checks after {@code firstAfter}, then every {@code interval}; while the domains cannot be had,
     * again after {@code firstAfter}.
     */
    public SelfCheck start(Duration firstAfter, Duration interval) {
        this.retryAfter = firstAfter;
        this.interval = interval;
        thread.schedule(this::scheduledRun, firstAfter.toMillis(), TimeUnit.MILLISECONDS);
        return this;
    }

    private void scheduledRun() {
        Duration next = interval;
        try {
            runNow();
        } catch (RuntimeException e) {
            listener.domainsUnavailable(e.getMessage());
            next = retryAfter;
        }
        try {
            thread.schedule(this::scheduledRun, next.toMillis(), TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // Closed.
        }
    }

    /** Checks every domain now, on the caller's thread (WebAdmin's refresh, tests). */
    public synchronized void runNow() {
        List<String> all = domains.get();
        List<String> checked = all.subList(0, Math.min(all.size(), maxDomains));
        if (all.size() > maxDomains) {
            listener.notChecked(List.copyOf(all.subList(maxDomains, all.size())));
        }
        Set<String> seen = new HashSet<>();
        for (String domain : checked) {
            seen.add(domain);
            Findings findings = check.check(domain);
            Result previous;
            synchronized (results) {
                previous = results.put(domain, new Result(clock.instant(), findings));
            }
            changes(domain, previous == null ? null : previous.findings, findings);
        }
        synchronized (results) {
            results.keySet().retainAll(seen);
        }
    }

    private void changes(String domain, Findings before, Findings now) {
        Map<String, Finding> earlier = needingAction(before);
        Map<String, Finding> current = needingAction(now);
        current.forEach((identity, finding) -> {
            if (!earlier.containsKey(identity)) {
                listener.found(domain, finding);
            }
        });
        earlier.forEach((identity, finding) -> {
            if (!current.containsKey(identity)) {
                listener.resolved(domain, finding);
            }
        });
    }

    private static Map<String, Finding> needingAction(Findings findings) {
        Map<String, Finding> byIdentity = new LinkedHashMap<>();
        if (findings != null) {
            for (Finding finding : findings.all()) {
                if (finding.severity().needsAction()) {
                    byIdentity.put(finding.identity(), finding);
                }
            }
        }
        return byIdentity;
    }

    /** Every domain's last check, by domain. */
    public Map<String, Result> results() {
        synchronized (results) {
            return Collections.unmodifiableMap(new TreeMap<>(results));
        }
    }

    @Override
    public void close() {
        thread.shutdownNow();
    }
}
