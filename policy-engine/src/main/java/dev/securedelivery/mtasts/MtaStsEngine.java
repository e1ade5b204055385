package dev.securedelivery.mtasts;

import dev.securedelivery.dns.DnsResolver;
import dev.securedelivery.peertext.PeerText;
import dev.securedelivery.tlsrpt.ResultType;
import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
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
 *       its TTL runs out (clamped to {@value #MIN_RECHECK_SECONDS} s to {@value
 *       #MAX_RECHECK_SECONDS} s), so a delivery costs no DNS query while the record is fresh and
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
 * updates of different domains run in parallel on a bounded pool; no caller waits longer than
 * {@code lookupTimeout}, after which it gets the cached policy if one is unexpired, else a
 * temporary failure, while the update goes on.
 */
public final class MtaStsEngine implements Closeable {
    static final long MIN_RECHECK_SECONDS = 60;
    static final long MAX_RECHECK_SECONDS = 3600;
    static final long FETCH_RETRY_MILLIS = Duration.ofMinutes(5).toMillis();
    static final long MAX_FETCH_RETRY_MILLIS = Duration.ofHours(1).toMillis();
    static final long DNS_RETRY_MILLIS = Duration.ofSeconds(30).toMillis();
    static final long MAX_DNS_RETRY_MILLIS = Duration.ofMinutes(5).toMillis();
    /** 64 MiB: 100,000 typical policies (a few hundred bytes each), or a thousand of the largest. */
    public static final long DEFAULT_MAX_BYTES = 64L * 1024 * 1024;
    /** 256 MiB on disk: 65,536 files of one block, far more policies than a server uses. */
    public static final long DEFAULT_MAX_STORE_BYTES = 256L * 1024 * 1024;
    /** A domain looked up this recently is kept fresh in the background. */
    static final long HOT_MILLIS = Duration.ofMinutes(10).toMillis();
    static final long STORE_CLEANING_MILLIS = Duration.ofDays(1).toMillis();
    /** How long past its freshness a "no policy" answer is still served while its update runs. */
    static final long STALE_NO_POLICY_MILLIS = Duration.ofHours(1).toMillis();
    /** Time left for a background renewal to finish before the answer it renews goes stale. */
    static final long RENEWAL_MARGIN_MILLIS = Duration.ofSeconds(5).toMillis();

    private static final Logger LOGGER = LoggerFactory.getLogger(MtaStsEngine.class);

    private final ConcurrentHashMap<String, MtaStsLookup> cache = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, CompletableFuture<MtaStsLookup>> updates = new ConcurrentHashMap<>();
    private final MtaStsDiscovery discovery;
    private final MtaStsFetcher fetcher;
    private final FetchListener fetchListener;
    private final PolicyStore store;
    private final Clock clock;
    private final long lookupTimeoutMillis;
    private final long staleWaitMillis;
    private final long refreshIntervalMillis;
    private final long idleEvictionMillis;
    private final int maxEntries;
    private final long maxBytes;
    private final AtomicLong bytes = new AtomicLong();
    private final long sweepIntervalMillis;
    /** The logging MDC key that holds the domain a log line is about. */
    public static final String MDC_DOMAIN = "domain";

    private final ExecutorService workers;
    private final ScheduledExecutorService sweeper;
    private volatile long storeCleanedAt;

    private MtaStsEngine(Builder builder, MtaStsFetcher fetcher, PolicyStore store) {
        this.discovery = new MtaStsDiscovery(builder.dns);
        this.fetcher = fetcher;
        this.fetchListener = builder.fetchListener;
        this.store = store;
        this.clock = builder.clock;
        this.lookupTimeoutMillis = builder.lookupTimeout.toMillis();
        this.staleWaitMillis = Math.min(builder.staleWait.toMillis(), lookupTimeoutMillis);
        this.refreshIntervalMillis = builder.refreshInterval.toMillis();
        this.idleEvictionMillis = builder.idleEviction.toMillis();
        this.maxEntries = builder.maxEntries;
        this.maxBytes = builder.maxBytes;
        this.sweepIntervalMillis = builder.sweepInterval.toMillis();
        // Threads are made as updates need them, up to updateThreads, and end when idle: many slow
        // policy hosts at once take threads, not the places of other domains' updates in a short queue.
        ThreadPoolExecutor pool = new ThreadPoolExecutor(builder.updateThreads, builder.updateThreads, 60,
                TimeUnit.SECONDS, new LinkedBlockingQueue<>(), daemonThreads("mta-sts-update"));
        pool.allowCoreThreadTimeOut(true);
        this.workers = pool;
        this.sweeper = Executors.newSingleThreadScheduledExecutor(daemonThreads("mta-sts-refresh"));
        this.storeCleanedAt = clock.millis() - STORE_CLEANING_MILLIS;
        if (builder.automaticSweeps) {
            sweeper.scheduleWithFixedDelay(this::sweep, sweepIntervalMillis, sweepIntervalMillis, TimeUnit.MILLISECONDS);
        }
    }

    public static Builder builder(DnsResolver dns) {
        return new Builder(dns);
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
        return await(key, update, cached, servableWhileUpdating(cached, clock.millis()) ? staleWaitMillis
                : lookupTimeoutMillis);
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
        return new ArrayList<>(cache.values());
    }

    /** Forgets what is known of {@code domain}, on disk too. */
    public void purge(String domain) {
        String key = DomainNames.normalize(domain);
        if (key != null) {
            MtaStsLookup removed = cache.remove(key);
            if (removed != null) {
                bytes.addAndGet(-removed.estimatedBytes());
            }
            if (store != null) {
                store.delete(key);
            }
        }
    }

    /** Puts an answer in the cache as an update would; for the heap footprint report only. */
    void remember(MtaStsLookup lookup) {
        store(lookup.domain(), lookup);
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
            workers.execute(() -> {
                // Log lines of this update carry the domain, as the delivery's lines do.
                MDC.put(MDC_DOMAIN, key);
                try {
                    runUpdate(key, force, mine);
                } finally {
                    MDC.remove(MDC_DOMAIN);
                }
            });
        } catch (RejectedExecutionException e) {
            updates.remove(key, mine);
            mine.complete(MtaStsLookup.temporaryFailure(key,
                    new MtaStsFailure(null, "the MTA-STS engine is shut down"), 0, 0));
        }
        return mine;
    }

    private void runUpdate(String key, boolean force, CompletableFuture<MtaStsLookup> mine) {
        MtaStsLookup inCache = cache.get(key);
        MtaStsLookup previous = inCache;
        MtaStsLookup result;
        try {
            long now = clock.millis();
            if (!force && previous != null && now < previous.freshUntilMillis) {
                // Another update finished between this caller's cache miss and its start.
                result = previous;
            } else {
                if (previous == null) {
                    previous = fromStore(key);
                }
                result = decide(key, previous, force);
            }
        } catch (Throwable e) {
            // Nothing escapes an update: an Error too ends in an answer, so that the domain is not stuck
            // with an update that never completes. A fatal one is passed on once the callers are answered.
            LOGGER.error("MTA-STS update of {} failed unexpectedly", key, e);
            result = failed(key, previous, new MtaStsFailure(null, "internal error: " + e.getClass().getName()),
                    clock.millis());
            if (e instanceof VirtualMachineError) {
                finish(key, inCache, result, mine);
                throw (VirtualMachineError) e;
            }
        }
        finish(key, inCache, result, mine);
    }

    private void finish(String key, MtaStsLookup inCache, MtaStsLookup result, CompletableFuture<MtaStsLookup> mine) {
        try {
            // Whoever asked for this update uses the domain now, or used it when the entry was last touched.
            int lastUsed = inCache == null ? (int) (clock.millis() / 60_000) : inCache.lastUsedMinute;
            result.lastUsedMinute = Math.max(lastUsed, result.lastUsedMinute);
            store(key, result);
        } finally {
            updates.remove(key, mine);
            mine.complete(result);
        }
        if (cache.size() > maxEntries || bytes.get() > maxBytes) {
            try {
                sweeper.execute(this::sweep);
            } catch (RejectedExecutionException e) {
                // Shut down: nothing to sweep for.
            }
        }
    }

    private MtaStsLookup fromStore(String key) {
        if (store == null) {
            return null;
        }
        PolicyStore.Stored stored = store.load(key);
        if (stored == null || stored.expiresAtMillis() <= clock.millis()) {
            return null;
        }
        // Fresh until now: the record is checked before the stored policy is relied on.
        return MtaStsLookup.policy(key, stored.policy, stored.id, stored.fetchedAtMillis, 0);
    }

    /** The new answer for {@code key}, from a TXT lookup and, if needed, a fetch. */
    private MtaStsLookup decide(String key, MtaStsLookup previous, boolean force) {
        // A forced update must see the record as DNS has it now, not as the resolver cached it.
        MtaStsDiscovery.Result txt = discovery.discover(key, force).join();
        long now = clock.millis();
        boolean cachedValid = previous != null && previous.isUnexpiredPolicy(now);
        boolean refetchDue = cachedValid && refetchDue(previous, now);
        switch (txt.kind()) {
            case FOUND: {
                String id = txt.record().id();
                long freshUntil = now + recheckMillis(txt.ttlSeconds());
                if (cachedValid && id.equals(previous.policyId().orElse(null)) && !refetchDue) {
                    return previous.refreshed(freshUntil, 0, null);
                }
                return fetch(key, id, cachedValid ? previous : null, previous, freshUntil);
            }
            case ABSENT: {
                long freshUntil = now + recheckMillis(txt.ttlSeconds());
                if (!cachedValid) {
                    LOGGER.debug("{}: no MTA-STS policy: {}", key, txt.failure());
                    return MtaStsLookup.noPolicy(key, txt.failure(), freshUntil, 0);
                }
                if (refetchDue) {
                    // RFC 8461 10.2: refresh the live policy whatever the state of the record.
                    return fetch(key, previous.policyId().orElseThrow(), previous, previous, freshUntil);
                }
                warnUnlessNone(previous, "{}: {}; the cached MTA-STS policy (id {}) applies until {} (RFC 8461 3.1)",
                        key, txt.failure(), previous.policyId().orElse(""), previous.expiresAt().orElse(null));
                return previous.refreshed(freshUntil, 0, txt.failure());
            }
            default: {
                if (cachedValid && refetchDue) {
                    return fetch(key, previous.policyId().orElseThrow(), previous, previous,
                            now + recheckMillis(MIN_RECHECK_SECONDS));
                }
                if (cachedValid) {
                    warnUnlessNone(previous, "{}: {}; the cached MTA-STS policy (id {}) applies until {}",
                            key, txt.failure(), previous.policyId().orElse(""), previous.expiresAt().orElse(null));
                } else {
                    LOGGER.warn("{}: {}; deliveries wait until it can be told whether an MTA-STS policy exists"
                            + " (RFC 8461 3.1)", key, txt.failure());
                }
                return failed(key, previous, txt.failure(), now);
            }
        }
    }

    /**
     * Fetches the policy published under {@code id}.
     *
     * @param cached the unexpired cached policy, kept if the fetch fails; null if there is none
     * @param previous the previous answer of any kind, for the failure count
     */
    private MtaStsLookup fetch(String key, String id, MtaStsLookup cached, MtaStsLookup previous, long freshUntil) {
        FetchListener.Completion completion = fetchListener.started(key);
        try {
            FetchedPolicy fetched = fetcher.fetch(key);
            completion.ended(null);
            long now = clock.millis();
            MtaStsLookup result = MtaStsLookup.policy(key, fetched.policy(), id, now, freshUntil);
            boolean changed = cached == null || !cached.policy().orElseThrow().equals(fetched.policy())
                    || !id.equals(cached.policyId().orElse(null));
            if (changed) {
                LOGGER.info("{}: MTA-STS policy id {}: mode {}, mx {}, max_age {}{}", key, id,
                        fetched.policy().mode(), fetched.policy().mxPatterns(), fetched.policy().maxAgeSeconds(),
                        fetched.warnings().isEmpty() ? "" : " (" + PeerText.clean(String.join("; ", fetched.warnings()))
                        + ")");
            } else {
                LOGGER.debug("{}: MTA-STS policy id {} refreshed unchanged", key, id);
            }
            if (store != null) {
                store.save(key, id, now, fetched.text());
            }
            return result;
        } catch (PolicyFetchException e) {
            completion.ended(e.resultType());
            long now = clock.millis();
            int failures = (previous == null ? 0 : previous.failures) + 1;
            long retryAt = now + backoff(FETCH_RETRY_MILLIS, MAX_FETCH_RETRY_MILLIS, failures);
            MtaStsFailure failure = new MtaStsFailure(e.resultType(), e.getMessage());
            if (cached != null) {
                warnUnlessNone(cached, "{}: could not refresh the MTA-STS policy: {}; the cached policy (id {})"
                        + " applies until {}; next attempt at {}", key, failure, cached.policyId().orElse(""),
                        cached.expiresAt().orElse(null), Instant.ofEpochMilli(retryAt));
                return cached.refreshed(retryAt, failures, failure);
            }
            LOGGER.warn("{}: publishes an MTA-STS record (id {}) but its policy could not be fetched: {};"
                    + " delivering as without MTA-STS (RFC 8461 3.3); next attempt at {}", key, id, failure,
                    Instant.ofEpochMilli(retryAt));
            return MtaStsLookup.noPolicy(key, failure, retryAt, failures);
        }
    }

    /** After a failed lookup: the cached policy if it still applies, else a temporary failure. */
    private MtaStsLookup failed(String key, MtaStsLookup previous, MtaStsFailure failure, long now) {
        int failures = (previous == null ? 0 : previous.failures) + 1;
        long retryAt = now + backoff(DNS_RETRY_MILLIS, MAX_DNS_RETRY_MILLIS, failures);
        if (previous != null && previous.isUnexpiredPolicy(now)) {
            return previous.refreshed(retryAt, failures, failure);
        }
        return MtaStsLookup.temporaryFailure(key, failure, retryAt, failures);
    }

    // RFC 8461 3.3 and 10.2: refresh before expiry, daily by default; per-domain jitter spreads
    // the refreshes of policies fetched together (after a restart, say).
    private boolean refetchDue(MtaStsLookup cached, long now) {
        long interval = Math.min(refreshIntervalMillis, cached.policy().orElseThrow().maxAgeSeconds() * 750);
        long jitter = interval / 10 * Math.floorMod(cached.domain().hashCode(), 1000) / 1000;
        return now >= cached.fetchedAtMillis() + interval - jitter;
    }

    private static long recheckMillis(long ttlSeconds) {
        return Math.max(MIN_RECHECK_SECONDS, Math.min(MAX_RECHECK_SECONDS, ttlSeconds)) * 1000;
    }

    static long backoff(long first, long max, int failures) {
        long delay = first << Math.min(Math.max(failures - 1, 0), 20);
        return Math.min(delay, max);
    }

    private MtaStsLookup await(String key, CompletableFuture<MtaStsLookup> update, MtaStsLookup cached,
            long waitMillis) {
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
        return MtaStsLookup.temporaryFailure(key, new MtaStsFailure(ResultType.STS_POLICY_FETCH_ERROR,
                "MTA-STS discovery did not finish within " + lookupTimeoutMillis + " ms; it goes on in the background"),
                0, 0);
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
        return MtaStsLookup.noPolicy(String.valueOf(domain),
                new MtaStsFailure(null, "\"" + domain + "\" is not a domain name"), 0, 0);
    }

    private static void warnUnlessNone(MtaStsLookup cached, String format, Object... arguments) {
        // RFC 8461 3.3 and 10.2: alert on refresh failures, except for mode none (clean removal, 8.3).
        if (cached.policy().orElseThrow().mode() == MtaStsMode.NONE) {
            LOGGER.debug(format, arguments);
        } else {
            LOGGER.warn(format, arguments);
        }
    }

    // ---- background work ----

    /**
     * Keeps domains in use fresh, refreshes policies before they expire, and evicts what is unused:
     * runs every sweep interval on one thread.
     */
    void sweep() {
        try {
            long now = clock.millis();
            int minute = (int) (now / 60_000);
            for (Map.Entry<String, MtaStsLookup> entry : cache.entrySet()) {
                MtaStsLookup cached = entry.getValue();
                long idle = (minute - cached.lastUsedMinute) * 60_000L;
                boolean policy = cached.outcome() == MtaStsLookup.Outcome.POLICY;
                boolean hot = idle <= HOT_MILLIS;
                if (idle > idleEvictionMillis
                        || (policy && now >= cached.expiresAtMillis())
                        || (!policy && !hot && now >= cached.freshUntilMillis)) {
                    drop(entry.getKey(), cached);
                    continue;
                }
                // Answers of domains in use are renewed a little before they go stale, so that
                // deliveries never wait for DNS; after a failure, not before the back-off ends.
                long renewAt = cached.failures == 0
                        ? cached.freshUntilMillis - sweepIntervalMillis - RENEWAL_MARGIN_MILLIS
                        : cached.freshUntilMillis;
                boolean due = (hot && now >= renewAt)
                        || (policy && now >= cached.freshUntilMillis && refetchDue(cached, now));
                if (due && !updates.containsKey(entry.getKey())) {
                    update(entry.getKey(), true);
                }
            }
            if (cache.size() > maxEntries || bytes.get() > maxBytes) {
                evictLeastRecentlyUsed();
            }
            if (store != null && now - storeCleanedAt >= STORE_CLEANING_MILLIS) {
                storeCleanedAt = now;
                store.deleteExpired(now);
            }
        } catch (RuntimeException e) {
            // Never let one bad sweep stop the schedule.
            LOGGER.error("MTA-STS cache sweep failed", e);
        }
    }

    private void evictLeastRecentlyUsed() {
        List<Map.Entry<String, MtaStsLookup>> entries = new ArrayList<>(cache.entrySet());
        long[] order = new long[entries.size()];
        for (int i = 0; i < order.length; i++) {
            order[i] = ((long) entries.get(i).getValue().lastUsedMinute << 32) | i;
        }
        Arrays.sort(order);
        // Down to nine tenths, so that the next few inserts do not each trigger an eviction.
        int excess = entries.size() - maxEntries * 9 / 10;
        for (int i = 0; i < order.length && (i < excess || bytes.get() > maxBytes / 10 * 9); i++) {
            Map.Entry<String, MtaStsLookup> oldest = entries.get((int) order[i]);
            drop(oldest.getKey(), oldest.getValue());
        }
    }

    // Every change of the cache goes through store and drop, which keep its size in bytes.
    private void store(String key, MtaStsLookup lookup) {
        MtaStsLookup before = cache.put(key, lookup);
        bytes.addAndGet(lookup.estimatedBytes() - (before == null ? 0 : before.estimatedBytes()));
    }

    private void drop(String key, MtaStsLookup lookup) {
        if (cache.remove(key, lookup)) {
            bytes.addAndGet(-lookup.estimatedBytes());
        }
    }

    /** The estimated heap held by the cached answers. */
    long cachedBytes() {
        return bytes.get();
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

    /** Settings of an engine; every one but the DNS resolver has a default. */
    public static final class Builder {
        private final DnsResolver dns;
        private MtaStsFetcher fetcher;
        private Path cacheDirectory;
        private long maxStoreBytes = DEFAULT_MAX_STORE_BYTES;
        private Clock clock = Clock.systemUTC();
        private Duration lookupTimeout = Duration.ofSeconds(30);
        private Duration staleWait = Duration.ofSeconds(2);
        private Duration refreshInterval = Duration.ofDays(1);
        private Duration idleEviction = Duration.ofDays(30);
        private int maxEntries = 100_000;
        private long maxBytes = DEFAULT_MAX_BYTES;
        private Duration sweepInterval = Duration.ofSeconds(30);
        private int updateThreads = 64;
        private boolean automaticSweeps = true;
        private FetchListener fetchListener = FetchListener.NONE;

        private Builder(DnsResolver dns) {
            this.dns = Objects.requireNonNull(dns, "dns");
        }

        /**
         * The fetcher for policies; the engine closes it. Without one, the engine builds one with
         * the defaults of {@link MtaStsFetcher.Builder} and one connection per update thread.
         */
        public Builder fetcher(MtaStsFetcher fetcher) {
            this.fetcher = Objects.requireNonNull(fetcher, "fetcher");
            return this;
        }

        /** Where policies are kept across restarts; in memory only if unset. */
        public Builder cacheDirectory(Path directory) {
            this.cacheDirectory = Objects.requireNonNull(directory, "directory");
            return this;
        }

        /** The most the cache directory may hold, counted in 4 KiB blocks; the oldest files go first. */
        public Builder maxStoreBytes(long maxBytes) {
            if (maxBytes < 1024 * 1024) {
                throw new IllegalArgumentException("maxStoreBytes must be at least 1 MiB, got " + maxBytes);
            }
            this.maxStoreBytes = maxBytes;
            return this;
        }

        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /** The longest a caller waits for discovery before it gets the cached policy or a temporary failure. */
        public Builder lookupTimeout(Duration timeout) {
            this.lookupTimeout = positive(timeout, "lookup timeout");
            return this;
        }

        /**
         * The longest a caller waits for the update of a stale answer that can still be served (see
         * {@link MtaStsEngine#lookup}) before it gets that answer; never more than the lookup timeout.
         */
        public Builder staleWait(Duration wait) {
            this.staleWait = positive(wait, "stale wait");
            return this;
        }

        /** How often a cached policy in use is fetched again, whatever its record says. */
        public Builder refreshInterval(Duration interval) {
            this.refreshInterval = positive(interval, "refresh interval");
            return this;
        }

        /** How long an answer nobody asks for stays in memory (a stored policy stays on disk). */
        public Builder idleEviction(Duration idle) {
            this.idleEviction = positive(idle, "idle eviction");
            return this;
        }

        /** The most answers kept in memory; the least recently used go first. */
        public Builder maxEntries(int maxEntries) {
            if (maxEntries < 1) {
                throw new IllegalArgumentException("maxEntries must be at least 1, got " + maxEntries);
            }
            this.maxEntries = maxEntries;
            return this;
        }

        /**
         * The most heap the answers kept in memory may hold, estimated from what each holds (a policy
         * is at most 64 KiB of patterns); the least recently used go first.
         */
        public Builder maxBytes(long maxBytes) {
            if (maxBytes < 64 * 1024) {
                throw new IllegalArgumentException("maxBytes must be at least 65536, got " + maxBytes);
            }
            this.maxBytes = maxBytes;
            return this;
        }

        /** How often the background refresh and eviction run. */
        public Builder sweepInterval(Duration interval) {
            this.sweepInterval = positive(interval, "sweep interval");
            return this;
        }

        /** Told of every policy fetch, for metrics. */
        public Builder fetchListener(FetchListener listener) {
            this.fetchListener = Objects.requireNonNull(listener, "listener");
            return this;
        }

        /** For tests: sweeps run only when the test calls {@link MtaStsEngine#sweep()}. */
        Builder manualSweeps() {
            this.automaticSweeps = false;
            return this;
        }

        /**
         * How many domains are discovered and fetched at once (64 by default; threads are made only as
         * needed): a policy host that trickles its answer holds one for up to the fetch deadline.
         */
        public Builder updateThreads(int threads) {
            if (threads < 1) {
                throw new IllegalArgumentException("updateThreads must be at least 1, got " + threads);
            }
            this.updateThreads = threads;
            return this;
        }

        /**
         * Builds the engine.
         *
         * @throws IOException if the cache directory cannot be created or written
         */
        public MtaStsEngine build() throws IOException {
            PolicyStore store = cacheDirectory == null ? null : new PolicyStore(cacheDirectory, maxStoreBytes);
            MtaStsFetcher policyFetcher = fetcher != null
                    ? fetcher
                    : MtaStsFetcher.builder(dns).maxConcurrentFetches(updateThreads).build();
            return new MtaStsEngine(this, policyFetcher, store);
        }

        private static Duration positive(Duration duration, String what) {
            if (duration.isZero() || duration.isNegative()) {
                throw new IllegalArgumentException(what + " must be positive, got " + duration);
            }
            return duration;
        }
    }
}
