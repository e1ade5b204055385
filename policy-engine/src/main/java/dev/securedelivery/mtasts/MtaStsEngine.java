package dev.securedelivery.mtasts;

import dev.securedelivery.dns.DnsResolver;
import dev.securedelivery.tlsrpt.ResultType;
import java.io.Closeable;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * The MTA-STS policy of any destination domain, in one call per delivery: {@link #lookup(String)}.
 *
 * <p>What it does, and where RFC 8461 asks for it:
 * <ul>
 *   <li>Discovery (3.1) through {@link MtaStsDiscovery} and fetch (3.3) through {@link
 *       MtaStsFetcher}; a DNS failure without a cached policy is a {@link
 *       MtaStsLookup.Outcome#TEMPORARY_FAILURE}, never "no policy".
 *   <li>A fetched policy applies until {@code max_age} (3.2). The TXT record is checked again when
 *       its TTL runs out (clamped to {@value PolicyUpdater#MIN_RECHECK_SECONDS} s to {@value
 *       PolicyUpdater#MAX_RECHECK_SECONDS} s), so a delivery costs no DNS query while the record is fresh and
 *       a changed {@code id} is seen within one TTL (8.1); then the policy is fetched again. A
 *       failed fetch, a missing record or a failed lookup leaves a cached policy in force (3.1,
 *       3.3) and is logged as a warning unless the policy's mode is {@code none} (3.3, 10.2).
 *   <li>Cached policies are fetched again in the background before they expire, whatever the TXT
 *       record says (3.3, 10.2): once per {@code refreshInterval} (daily by default) or after three
 *       quarters of {@code max_age} if sooner, spread by a per-domain jitter of up to a tenth.
 *       Records of domains in use are re-checked in the background before their TTL runs out.
 *   <li>Failed fetches are retried after 5 minutes (3.3 asks for at least that per id), doubling
 *       to an hour; failed DNS lookups after 30 seconds, doubling to 5 minutes. Until then every
 *       caller gets the last answer at once.
 *   <li>Policies are kept on disk when a cache directory is set, and read back after a restart.
 *   <li>{@link #refresh(String)} checks the record at once, for a sender about to fail a message
 *       permanently because of an enforce policy (5, 5.1).
 * </ul>
 *
 * <p>Concurrency: all callers for one domain share one update (one TXT lookup, at most one fetch);
 * updates of different domains run in parallel on a bounded pool ({@link UpdateThreads}), which
 * the TXT lookup does not hold (the policy host's address lookup is part of the fetch) and a slow
 * fetch leaves for a thread of its own; no caller waits longer than
 * {@code lookupTimeout}, after which it gets the cached policy if one is unexpired, else a
 * temporary failure, while the update goes on.
 *
 * <p>The parts: this class answers callers and runs one update per domain at a time; {@link
 * PolicyUpdater} decides each update (the RFC 8461 state machine); {@link AnswerCache} holds the
 * answers within their bounds; {@link PolicyCache} keeps policies beyond memory (on disk, or shared by the nodes); {@link BackgroundRefresh}
 * renews, refreshes and evicts between lookups.
 */
public final class MtaStsEngine implements Closeable {
    /** 64 MiB: 100,000 typical policies (a few hundred bytes each), or a thousand of the largest. */
    public static final long DEFAULT_MAX_BYTES = 64L * 1024 * 1024;
    /** 256 MiB on disk: 65,536 files of one block, far more policies than a server uses. */
    public static final long DEFAULT_MAX_STORE_BYTES = 256L * 1024 * 1024;
    /** How many domains' updates run at once (threads are made only as needed). */
    public static final int DEFAULT_UPDATE_THREADS = 64;
    /** How many slow fetches at once may each hold a thread of their own rather than a shared one. */
    public static final int DEFAULT_SLOW_FETCH_THREADS = 512;

    /**
     * The policy fetches that may run at once, for {@link MtaStsFetcher.Builder#maxConcurrentFetches}:
     * one for each thread that may fetch, the update threads and the slow-fetch ones.
     */
    public static int concurrentFetches(int updateThreads, int slowFetchThreads) {
        // Both are bounded where they are set; a sum past an int is no count of connections.
        return (int) Math.min(Integer.MAX_VALUE, (long) updateThreads + slowFetchThreads);
    }
    /**
     * When a fetch counts as slow: a policy fetch takes a few round trips (DNS, TCP, TLS, HTTP), well
     * under a second even across the world; one still running after this is most likely a host that
     * trickles or never answers.
     */
    public static final Duration DEFAULT_SLOW_FETCH_AFTER = Duration.ofSeconds(1);
    /** How long past its freshness a "no policy" answer is still served while its update runs. */
    static final long STALE_NO_POLICY_MILLIS = Duration.ofHours(1).toMillis();

    private static final Logger LOGGER = LoggerFactory.getLogger(MtaStsEngine.class);

    private final AnswerCache cache;
    private final ConcurrentHashMap<String, CompletableFuture<MtaStsLookup>> updates = new ConcurrentHashMap<>();
    private final PolicyUpdater updater;
    private final BackgroundRefresh background;
    private final MtaStsFetcher fetcher;
    private final PolicyCache store;
    private final Clock clock;
    private final long lookupTimeoutMillis;
    private final long staleWaitMillis;
    /** The logging MDC key that holds the domain a log line is about. */
    public static final String MDC_DOMAIN = "domain";

    private final UpdateThreads workers;
    private final ScheduledExecutorService sweeper;

    MtaStsEngine(MtaStsEngineBuilder builder, MtaStsFetcher fetcher, PolicyCache store) {
        this.fetcher = fetcher;
        this.store = store;
        this.clock = builder.clock;
        this.cache = new AnswerCache(builder.maxEntries, builder.maxBytes);
        // Threads are made as updates need them and end when idle. The TXT lookup holds none; a fetch
        // (the policy host's addresses included) holds one, and one that runs long (a policy host that trickles, a
        // black hole) moves to a thread of
        // its own from the slow budget, so that many such hosts at once do not starve other domains.
        this.workers = new UpdateThreads(
                builder.updateThreads,
                builder.slowFetchThreads,
                builder.slowFetchAfter.toMillis(),
                daemonThreads("mta-sts-update"),
                daemonThreads("mta-sts-slow-fetch-mark"));
        this.updater = new PolicyUpdater(
                new MtaStsDiscovery(builder.dns),
                fetcher,
                workers,
                builder.fetchListener,
                store,
                clock,
                builder.refreshInterval.toMillis());
        long sweepIntervalMillis = builder.sweepInterval.toMillis();
        this.background = new BackgroundRefresh(
                cache, updater, store, this::renew, clock, builder.idleEviction.toMillis(), sweepIntervalMillis);
        this.lookupTimeoutMillis = builder.lookupTimeout.toMillis();
        this.staleWaitMillis = Math.min(builder.staleWait.toMillis(), lookupTimeoutMillis);
        this.sweeper = Executors.newSingleThreadScheduledExecutor(daemonThreads("mta-sts-refresh"));
        if (builder.automaticSweeps) {
            sweeper.scheduleWithFixedDelay(background, sweepIntervalMillis, sweepIntervalMillis, TimeUnit.MILLISECONDS);
        }
    }

    public static MtaStsEngineBuilder builder(DnsResolver dns) {
        return new MtaStsEngineBuilder(dns);
    }

    /**
     * The policy of {@code domain} (the domain part of a recipient address, any case, U-labels or
     * A-labels). Answers from the cache while it is fresh; otherwise waits for the update, but
     * never longer than the lookup timeout, and no longer than the stale wait (2 s by default) where
     * the stale answer can still be served: an unexpired policy, or "no policy" stale for less than
     * an hour. A slow policy host or a busy update pool then costs a delivery seconds, not a deferral.
     */
    public MtaStsLookup lookup(String domain) {
        String key = DomainNames.normalize(domain);
        if (key == null) {
            return notADomain(domain);
        }
        MtaStsLookup cached = use(key);
        if (cached != null && clock.millis() < cached.freshUntilMillis) {
            return cached;
        }
        CompletableFuture<MtaStsLookup> update = update(key, false);
        return await(
                key,
                update,
                cached,
                servableWhileUpdating(cached, clock.millis()) ? staleWaitMillis : lookupTimeoutMillis);
    }

    /** {@link #lookup(String)} without blocking; the future completes within the lookup timeout. */
    public CompletableFuture<MtaStsLookup> lookupAsync(String domain) {
        String key = DomainNames.normalize(domain);
        if (key == null) {
            return CompletableFuture.completedFuture(notADomain(domain));
        }
        MtaStsLookup cached = use(key);
        if (cached != null && clock.millis() < cached.freshUntilMillis) {
            return CompletableFuture.completedFuture(cached);
        }
        CompletableFuture<MtaStsLookup> update = update(key, false);
        long wait = servableWhileUpdating(cached, clock.millis()) ? staleWaitMillis : lookupTimeoutMillis;
        return update.copy().completeOnTimeout(stillUpdating(key, cached), wait, TimeUnit.MILLISECONDS);
    }

    /**
     * Checks the TXT record of {@code domain} now, whatever its TTL, and fetches the policy again if
     * its id changed. RFC 8461 5 and 5.1 ask for this before a message is failed permanently
     * because of an enforce policy. Waits at most the lookup timeout.
     */
    public MtaStsLookup refresh(String domain) {
        String key = DomainNames.normalize(domain);
        if (key == null) {
            return notADomain(domain);
        }
        return await(key, update(key, true), cache.get(key), lookupTimeoutMillis);
    }

    /** The cached answer for {@code key}, noted as used now; null if there is none. */
    private MtaStsLookup use(String key) {
        MtaStsLookup cached = cache.get(key);
        if (cached != null) {
            cached.touch(clock.millis());
        }
        return cached;
    }

    /** Every cached answer, policies and negative answers alike. */
    public List<MtaStsLookup> cached() {
        return cache.values();
    }

    /** Forgets what is known of {@code domain}, on disk too. */
    public void purge(String domain) {
        String key = DomainNames.normalize(domain);
        if (key != null) {
            cache.remove(key);
            if (store != null) {
                store.delete(key);
            }
        }
    }

    /** Puts an answer in the cache as an update would; for the heap footprint report only. */
    void remember(MtaStsLookup lookup) {
        cache.put(lookup.domain(), lookup);
    }

    // ---- updates ----

    private CompletableFuture<MtaStsLookup> update(String key, boolean force) {
        CompletableFuture<MtaStsLookup> mine = new CompletableFuture<>();
        CompletableFuture<MtaStsLookup> running = updates.putIfAbsent(key, mine);
        if (running != null) {
            // A forced update must look at DNS after it was asked for; the running one may not.
            return force ? running.thenCompose(ignored -> update(key, true)) : running;
        }
        try {
            workers.execute(() -> withDomain(key, () -> runUpdate(key, force, mine)));
        } catch (RejectedExecutionException e) {
            updates.remove(key, mine);
            mine.complete(MtaStsLookup.temporaryFailure(
                    key, new MtaStsFailure(null, "the MTA-STS engine is shut down"), 0, 0));
        }
        return mine;
    }

    private void runUpdate(String key, boolean force, CompletableFuture<MtaStsLookup> mine) {
        MtaStsLookup inCache = cache.get(key);
        MtaStsLookup previous = inCache;
        try {
            if (!force && previous != null && clock.millis() < previous.freshUntilMillis) {
                // Another update finished between this caller's cache miss and its start.
                finish(key, inCache, previous, mine);
                return;
            }
            if (previous == null) {
                previous = updater.fromStore(key);
            }
        } catch (Throwable e) {
            failedUnexpectedly(key, inCache, previous, e, mine);
            return;
        }
        MtaStsLookup start = previous;
        // The TXT lookup holds no thread; the decision, and the fetch if one is due, come back to the pool.
        updater.discover(key, force)
                .thenAcceptAsync(txt -> decide(key, inCache, start, txt, mine), workers)
                .exceptionally(e -> {
                    // The lookup failed unexpectedly, or the pool refused the decision (shut down).
                    if (!mine.isDone()) {
                        withDomain(key, () -> failedUnexpectedly(key, inCache, start, unwrap(e), mine));
                    }
                    return null;
                });
    }

    private void decide(
            String key,
            MtaStsLookup inCache,
            MtaStsLookup previous,
            MtaStsDiscovery.Result txt,
            CompletableFuture<MtaStsLookup> mine) {
        withDomain(key, () -> {
            MtaStsLookup result;
            try {
                result = updater.decide(key, previous, txt);
            } catch (Throwable e) {
                failedUnexpectedly(key, inCache, previous, e, mine);
                return;
            }
            finish(key, inCache, result, mine);
        });
    }

    // Nothing escapes an update: an Error too ends in an answer, so that the domain is not stuck with an
    // update that never completes. A fatal one is passed on once the callers are answered.
    private void failedUnexpectedly(
            String key,
            MtaStsLookup inCache,
            MtaStsLookup previous,
            Throwable e,
            CompletableFuture<MtaStsLookup> mine) {
        MtaStsLookup result;
        if (e instanceof RejectedExecutionException) {
            result = MtaStsLookup.temporaryFailure(
                    key, new MtaStsFailure(null, "the MTA-STS engine is shut down"), 0, 0);
        } else {
            LOGGER.error("MTA-STS update of {} failed unexpectedly", key, e);
            result = updater.failed(
                    key,
                    previous,
                    new MtaStsFailure(null, "internal error: " + e.getClass().getName()),
                    clock.millis());
        }
        finish(key, inCache, result, mine);
        if (e instanceof VirtualMachineError) {
            throw (VirtualMachineError) e;
        }
    }

    private static Throwable unwrap(Throwable e) {
        Throwable cause = e;
        while (cause instanceof CompletionException && cause.getCause() != null) {
            cause = cause.getCause();
        }
        return cause;
    }

    // Log lines of an update carry the domain, as the delivery's lines do.
    private static void withDomain(String key, Runnable step) {
        MDC.put(MDC_DOMAIN, key);
        try {
            step.run();
        } finally {
            MDC.remove(MDC_DOMAIN);
        }
    }

    private void finish(String key, MtaStsLookup inCache, MtaStsLookup result, CompletableFuture<MtaStsLookup> mine) {
        try {
            // Whoever asked for this update uses the domain now, or used it when the entry was last touched.
            int lastUsed = inCache == null ? (int) (clock.millis() / 60_000) : inCache.lastUsedMinute;
            result.lastUsedMinute = Math.max(lastUsed, result.lastUsedMinute);
            cache.put(key, result);
        } finally {
            updates.remove(key, mine);
            mine.complete(result);
        }
        if (cache.overLimits()) {
            try {
                sweeper.execute(background);
            } catch (RejectedExecutionException e) {
                // Shut down: nothing to sweep for.
            }
        }
    }

    private MtaStsLookup await(
            String key, CompletableFuture<MtaStsLookup> update, MtaStsLookup cached, long waitMillis) {
        try {
            return update.get(waitMillis, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            return stillUpdating(key, cached);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return stillUpdating(key, cached);
        } catch (ExecutionException e) {
            return MtaStsLookup.temporaryFailure(key, new MtaStsFailure(null, "update failed: " + e.getCause()), 0, 0);
        }
    }

    // RFC 8461 3.3: an unexpired cached policy applies while no live one can be had.
    private MtaStsLookup stillUpdating(String key, MtaStsLookup cached) {
        if (servableWhileUpdating(cached, clock.millis())) {
            return cached;
        }
        return MtaStsLookup.temporaryFailure(
                key,
                new MtaStsFailure(
                        ResultType.STS_POLICY_FETCH_ERROR,
                        "MTA-STS discovery did not finish within " + lookupTimeoutMillis
                                + " ms; it goes on in the background"),
                0,
                0);
    }

    /**
     * Whether {@code cached}, gone stale, still answers when its update takes longer than the stale
     * wait, so that a slow update (a policy host that trickles, a busy pool) delays no delivery for
     * long: an unexpired policy (RFC 8461 3.3:
     * it applies until max_age), or "no policy" gone stale less than {@value #STALE_NO_POLICY_MILLIS} ms
     * ago. A temporary failure is not an answer, and an older "no policy" is not trusted over a wait.
     */
    private static boolean servableWhileUpdating(MtaStsLookup cached, long now) {
        if (cached == null) {
            return false;
        }
        if (cached.isUnexpiredPolicy(now)) {
            return true;
        }
        return cached.outcome() == MtaStsLookup.Outcome.NO_POLICY
                && now - cached.freshUntilMillis < STALE_NO_POLICY_MILLIS;
    }

    private static MtaStsLookup notADomain(String domain) {
        // RFC 8461 3.4: address literals, like anything that is not a domain name, have no policy.
        return MtaStsLookup.noPolicy(
                String.valueOf(domain), new MtaStsFailure(null, "\"" + domain + "\" is not a domain name"), 0, 0);
    }

    // The background refresh's way to start an update: not while one runs.
    private void renew(String domain) {
        if (!updates.containsKey(domain)) {
            update(domain, true);
        }
    }

    /** For tests: one run of the background refresh, now. */
    void sweep() {
        background.run();
    }

    /** Fetches now counted as slow, each on a thread of the slow budget; for tests. */
    int slowFetchesNow() {
        return workers.slowNow();
    }

    /** The estimated heap held by the cached answers. */
    long cachedBytes() {
        return cache.bytes();
    }

    @Override
    public void close() throws IOException {
        sweeper.shutdownNow();
        workers.shutdownNow();
        fetcher.close();
    }

    private static ThreadFactory daemonThreads(String name) {
        AtomicInteger count = new AtomicInteger();
        return runnable -> {
            Thread thread = new Thread(runnable, name + "-" + count.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        };
    }
}
