package dev.securedelivery.mtasts;

import dev.securedelivery.dns.DnsResolver;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;

/** The settings of an {@link MtaStsEngine}, every one but the DNS resolver with a default, and the engine they make. */
public final class MtaStsEngineBuilder {
    final DnsResolver dns;
    MtaStsFetcher fetcher;
    Path cacheDirectory;
    PolicyCache policyCache;
    long maxStoreBytes = MtaStsEngine.DEFAULT_MAX_STORE_BYTES;
    Clock clock = Clock.systemUTC();
    Duration lookupTimeout = Duration.ofSeconds(30);
    Duration staleWait = Duration.ofSeconds(2);
    Duration refreshInterval = Duration.ofDays(1);
    Duration idleEviction = Duration.ofDays(30);
    int maxEntries = 100_000;
    long maxBytes = MtaStsEngine.DEFAULT_MAX_BYTES;
    Duration sweepInterval = Duration.ofSeconds(30);
    int updateThreads = MtaStsEngine.DEFAULT_UPDATE_THREADS;
    int slowFetchThreads = MtaStsEngine.DEFAULT_SLOW_FETCH_THREADS;
    Duration slowFetchAfter = MtaStsEngine.DEFAULT_SLOW_FETCH_AFTER;
    boolean automaticSweeps = true;
    FetchListener fetchListener = FetchListener.NONE;

    MtaStsEngineBuilder(DnsResolver dns) {
        this.dns = Objects.requireNonNull(dns, "dns");
    }

    /**
     * The fetcher for policies; the engine closes it. Without one, the engine builds one with
     * the defaults of {@link MtaStsFetcher.Builder} and one connection per update thread and per
     * slow fetch thread; a fetcher given here should allow as many.
     */
    public MtaStsEngineBuilder fetcher(MtaStsFetcher fetcher) {
        this.fetcher = Objects.requireNonNull(fetcher, "fetcher");
        return this;
    }

    /**
     * Keeps fetched policies in {@code cache} (a cache the nodes of a cluster share) instead of the
     * {@linkplain #cacheDirectory directory}'s files.
     */
    public MtaStsEngineBuilder policyCache(PolicyCache cache) {
        this.policyCache = Objects.requireNonNull(cache, "cache");
        return this;
    }

    /** Where policies are kept across restarts; in memory only if unset. */
    public MtaStsEngineBuilder cacheDirectory(Path directory) {
        this.cacheDirectory = Objects.requireNonNull(directory, "directory");
        return this;
    }

    /** The most the cache directory may hold, counted in 4 KiB blocks; the oldest files go first. */
    public MtaStsEngineBuilder maxStoreBytes(long maxBytes) {
        if (maxBytes < 1024 * 1024) {
            throw new IllegalArgumentException("maxStoreBytes must be at least 1 MiB, got " + maxBytes);
        }
        this.maxStoreBytes = maxBytes;
        return this;
    }

    public MtaStsEngineBuilder clock(Clock clock) {
        this.clock = Objects.requireNonNull(clock, "clock");
        return this;
    }

    /** The longest a caller waits for discovery before it gets the cached policy or a temporary failure. */
    public MtaStsEngineBuilder lookupTimeout(Duration timeout) {
        this.lookupTimeout = positive(timeout, "lookup timeout");
        return this;
    }

    /**
     * The longest a caller waits for the update of a stale answer that can still be served (see
     * {@link MtaStsEngine#lookup}) before it gets that answer; never more than the lookup timeout.
     */
    public MtaStsEngineBuilder staleWait(Duration wait) {
        this.staleWait = positive(wait, "stale wait");
        return this;
    }

    /** How often a cached policy in use is fetched again, whatever its record says. */
    public MtaStsEngineBuilder refreshInterval(Duration interval) {
        this.refreshInterval = positive(interval, "refresh interval");
        return this;
    }

    /** How long an answer nobody asks for stays in memory (a stored policy stays on disk). */
    public MtaStsEngineBuilder idleEviction(Duration idle) {
        this.idleEviction = positive(idle, "idle eviction");
        return this;
    }

    /** The most answers kept in memory; the least recently used go first. */
    public MtaStsEngineBuilder maxEntries(int maxEntries) {
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
    public MtaStsEngineBuilder maxBytes(long maxBytes) {
        if (maxBytes < 64 * 1024) {
            throw new IllegalArgumentException("maxBytes must be at least 65536, got " + maxBytes);
        }
        this.maxBytes = maxBytes;
        return this;
    }

    /** How often the background refresh and eviction run. */
    public MtaStsEngineBuilder sweepInterval(Duration interval) {
        this.sweepInterval = positive(interval, "sweep interval");
        return this;
    }

    /** Told of every policy fetch, for metrics. */
    public MtaStsEngineBuilder fetchListener(FetchListener listener) {
        this.fetchListener = Objects.requireNonNull(listener, "listener");
        return this;
    }

    /** For tests: sweeps run only when the test calls {@link MtaStsEngine#sweep()}. */
    MtaStsEngineBuilder manualSweeps() {
        this.automaticSweeps = false;
        return this;
    }

    /**
     * How many domains are discovered and fetched at once (64 by default; threads are made only as
     * needed): a policy host that trickles its answer holds one for up to the fetch deadline.
     */
    public MtaStsEngineBuilder updateThreads(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("updateThreads must be at least 1, got " + threads);
        }
        this.updateThreads = threads;
        return this;
    }

    /**
     * How many fetches that run longer than {@link #slowFetchAfter} (a second by default) may each
     * move to a thread of their own, made for them, leaving the {@link #updateThreads} to other
     * domains (512 by default; 0: slow fetches keep their update thread). Past that number a slow
     * fetch keeps its update thread: there are never more than both numbers together.
     */
    public MtaStsEngineBuilder slowFetchThreads(int threads) {
        if (threads < 0) {
            throw new IllegalArgumentException("slowFetchThreads must be at least 0, got " + threads);
        }
        this.slowFetchThreads = threads;
        return this;
    }

    /** How long a fetch runs before it counts as slow (see {@link #slowFetchThreads}). */
    public MtaStsEngineBuilder slowFetchAfter(Duration after) {
        this.slowFetchAfter = positive(after, "slow fetch threshold");
        return this;
    }

    /**
     * Builds the engine.
     *
     * @throws IOException if the cache directory cannot be created or written
     */
    public MtaStsEngine build() throws IOException {
        PolicyCache store = policyCache != null
                ? policyCache
                : cacheDirectory == null ? null : new PolicyStore(cacheDirectory, maxStoreBytes);
        MtaStsFetcher policyFetcher = fetcher != null
                ? fetcher
                : MtaStsFetcher.builder(dns)
                        .maxConcurrentFetches(MtaStsEngine.concurrentFetches(updateThreads, slowFetchThreads))
                        .build();
        return new MtaStsEngine(this, policyFetcher, store);
    }

    private static Duration positive(Duration duration, String what) {
        if (duration.isZero() || duration.isNegative()) {
            throw new IllegalArgumentException(what + " must be positive, got " + duration);
        }
        return duration;
    }
}
