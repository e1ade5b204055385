package dev.securedelivery.mtasts;

import dev.securedelivery.peertext.PeerText;
import dev.securedelivery.tlsrpt.ResultType;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The next answer for one domain, from the answer before it (RFC 8461 3.1, 3.3, 10.2): the TXT
 * record is looked up; the policy is fetched when the record's id changed, when none is cached, or
 * when a refresh is due; and a failure leaves an unexpired cached policy in force, or else becomes
 * "no policy" (a failed fetch, 3.3) or a temporary failure (a failed lookup, 3.1), each with its
 * back-off. One call is one update; {@link MtaStsEngine} makes sure there is one at a time per domain.
 */
final class PolicyUpdater {
    static final long MIN_RECHECK_SECONDS = 60;
    static final long MAX_RECHECK_SECONDS = 3600;
    static final long FETCH_RETRY_MILLIS = Duration.ofMinutes(5).toMillis();
    static final long MAX_FETCH_RETRY_MILLIS = Duration.ofHours(1).toMillis();
    static final long DNS_RETRY_MILLIS = Duration.ofSeconds(30).toMillis();
    static final long MAX_DNS_RETRY_MILLIS = Duration.ofMinutes(5).toMillis();
    /** How long one node of a cluster may fetch a policy before another takes over: a fetch's longest run and more. */
    static final Duration FETCH_LEASE = Duration.ofSeconds(75);

    private static final long SHARED_POLL_MILLIS = 200;

    private static final Logger LOGGER = LoggerFactory.getLogger(MtaStsEngine.class);

    private final MtaStsDiscovery discovery;
    private final MtaStsFetcher fetcher;
    private final UpdateThreads threads;
    private final FetchListener fetchListener;
    private final PolicyCache store;
    private final Clock clock;
    private final long refreshIntervalMillis;

    /** @param store where fetched policies are kept across restarts, or null */
    PolicyUpdater(
            MtaStsDiscovery discovery,
            MtaStsFetcher fetcher,
            UpdateThreads threads,
            FetchListener fetchListener,
            PolicyCache store,
            Clock clock,
            long refreshIntervalMillis) {
        this.discovery = discovery;
        this.fetcher = fetcher;
        this.threads = threads;
        this.fetchListener = fetchListener;
        this.store = store;
        this.clock = clock;
        this.refreshIntervalMillis = refreshIntervalMillis;
    }

    /** The stored policy of {@code key} still in force, to start from when memory holds nothing. */
    MtaStsLookup fromStore(String key) {
        if (store == null) {
            return null;
        }
        PolicyCache.Stored stored = store.load(key);
        if (stored == null || stored.expiresAtMillis() <= clock.millis()) {
            return null;
        }
        // Fresh until now: the record is checked before the stored policy is relied on.
        return MtaStsLookup.policy(key, stored.policy, stored.id, stored.fetchedAtMillis, 0);
    }

    /**
     * The TXT record of {@code key}, without holding a thread while DNS answers; {@code force} looks
     * past the resolver's cache, so that a forced update sees the record as DNS has it now.
     */
    CompletableFuture<MtaStsDiscovery.Result> discover(String key, boolean force) {
        return discovery.discover(key, force);
    }

    /** The new answer for {@code key}, from its TXT lookup and, if needed, a fetch (on this thread). */
    MtaStsLookup decide(String key, MtaStsLookup previous, MtaStsDiscovery.Result txt) {
        long now = clock.millis();
        boolean cachedValid = previous != null && previous.isUnexpiredPolicy(now);
        boolean refetchDue = cachedValid && refetchDue(previous, now);
        switch (txt.kind()) {
            case FOUND: {
                String id = txt.record().id();
                long freshUntil = now + recheckMillis(txt.ttlSeconds());
                if (cachedValid && id.equals(previous.policyId().orElse(null)) && !refetchDue) {
                    // In a cluster, another node may have refreshed it meanwhile (same id, new text:
                    // postfix-mta-sts-resolver issue 113): every node takes up the newest.
                    MtaStsLookup shared =
                            store != null && store.isShared() ? fromShared(key, id, previous, freshUntil) : null;
                    return shared != null ? shared : previous.refreshed(freshUntil, 0, null);
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
                warnUnlessNone(
                        previous,
                        "{}: {}; the cached MTA-STS policy (id {}) applies until {} (RFC 8461 3.1)",
                        key,
                        txt.failure(),
                        previous.policyId().orElse(""),
                        previous.expiresAt().orElse(null));
                return previous.refreshed(freshUntil, 0, txt.failure());
            }
            default: {
                if (cachedValid && refetchDue) {
                    return fetch(
                            key,
                            previous.policyId().orElseThrow(),
                            previous,
                            previous,
                            now + recheckMillis(MIN_RECHECK_SECONDS));
                }
                if (cachedValid) {
                    warnUnlessNone(
                            previous,
                            "{}: {}; the cached MTA-STS policy (id {}) applies until {}",
                            key,
                            txt.failure(),
                            previous.policyId().orElse(""),
                            previous.expiresAt().orElse(null));
                } else {
                    LOGGER.warn(
                            "{}: {}; deliveries wait until it can be told whether an MTA-STS policy exists"
                                    + " (RFC 8461 3.1)",
                            key,
                            txt.failure());
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
        if (store != null && store.isShared()) {
            // One fetch for the cluster: another node's may be there already, or under way.
            MtaStsLookup shared = fromShared(key, id, cached, freshUntil);
            if (shared != null) {
                return shared;
            }
            if (!store.claimFetch(key, clock.millis(), FETCH_LEASE)) {
                return awaitShared(key, id, cached, previous, freshUntil);
            }
        }
        FetchListener.Completion completion = fetchListener.started(key);
        try {
            FetchedPolicy fetched = threads.fetch(() -> fetcher.fetch(key));
            completion.ended(null);
            long now = clock.millis();
            MtaStsLookup result = MtaStsLookup.policy(key, fetched.policy(), id, now, freshUntil);
            boolean changed = cached == null
                    || !cached.policy().orElseThrow().equals(fetched.policy())
                    || !id.equals(cached.policyId().orElse(null));
            if (changed) {
                LOGGER.info(
                        "{}: MTA-STS policy id {}: mode {}, mx {}, max_age {}{}",
                        key,
                        id,
                        fetched.policy().mode(),
                        fetched.policy().mxPatterns(),
                        fetched.policy().maxAgeSeconds(),
                        fetched.warnings().isEmpty()
                                ? ""
                                : " (" + PeerText.clean(String.join("; ", fetched.warnings())) + ")");
            } else {
                LOGGER.debug("{}: MTA-STS policy id {} refreshed unchanged", key, id);
            }
            if (store != null) {
                store.save(key, id, now, fetched.text());
            }
            return result;
        } catch (PolicyFetchException e) {
            completion.ended(e.resultType());
            if (store != null) {
                store.fetchFailed(key);
            }
            return fetchFailed(key, id, cached, previous, new MtaStsFailure(e.resultType(), e.getMessage()));
        }
    }

    /**
     * The policy another node of the cluster stored under {@code id}, if it is newer than {@code cached}
     * and no refetch of it is due; else null. A node that adopts it enforces the same policy as the node
     * that fetched it.
     */
    private MtaStsLookup fromShared(String key, String id, MtaStsLookup cached, long freshUntil) {
        PolicyCache.Stored stored = store.load(key);
        long now = clock.millis();
        if (stored == null || !stored.id.equals(id) || stored.expiresAtMillis() <= now) {
            return null;
        }
        if (cached != null && stored.fetchedAtMillis <= cached.fetchedAtMillis()) {
            return null;
        }
        MtaStsLookup shared = MtaStsLookup.policy(key, stored.policy, stored.id, stored.fetchedAtMillis, freshUntil);
        if (refetchDue(shared, now)) {
            return null;
        }
        if (cached == null || !cached.policy().orElseThrow().equals(stored.policy)) {
            LOGGER.info(
                    "{}: MTA-STS policy id {} as another node fetched it: mode {}, mx {}, max_age {}",
                    key,
                    id,
                    stored.policy.mode(),
                    stored.policy.mxPatterns(),
                    stored.policy.maxAgeSeconds());
        }
        return shared;
    }

    // Another node is fetching: its policy is waited for (on this update's thread, no delivery's), as
    // long as its lease holds; a fetch that failed there, or never came, failed here too.
    private MtaStsLookup awaitShared(
            String key, String id, MtaStsLookup cached, MtaStsLookup previous, long freshUntil) {
        long deadline = clock.millis() + FETCH_LEASE.toMillis();
        while (clock.millis() < deadline) {
            try {
                Thread.sleep(SHARED_POLL_MILLIS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            MtaStsLookup shared = fromShared(key, id, cached, freshUntil);
            if (shared != null) {
                return shared;
            }
            if (!store.isBeingFetched(key, clock.millis())) {
                break;
            }
        }
        return fetchFailed(
                key,
                id,
                cached,
                previous,
                new MtaStsFailure(
                        ResultType.STS_POLICY_FETCH_ERROR,
                        "another node of the cluster was fetching the policy, and did not store it"));
    }

    private MtaStsLookup fetchFailed(
            String key, String id, MtaStsLookup cached, MtaStsLookup previous, MtaStsFailure failure) {
        long now = clock.millis();
        int failures = (previous == null ? 0 : previous.failures) + 1;
        long retryAt = now + backoff(FETCH_RETRY_MILLIS, MAX_FETCH_RETRY_MILLIS, failures);
        if (cached != null) {
            warnUnlessNone(
                    cached,
                    "{}: could not refresh the MTA-STS policy: {}; the cached policy (id {})"
                            + " applies until {}; next attempt at {}",
                    key,
                    failure,
                    cached.policyId().orElse(""),
                    cached.expiresAt().orElse(null),
                    Instant.ofEpochMilli(retryAt));
            return cached.refreshed(retryAt, failures, failure);
        }
        LOGGER.warn(
                "{}: publishes an MTA-STS record (id {}) but its policy could not be fetched: {};"
                        + " delivering as without MTA-STS (RFC 8461 3.3); next attempt at {}",
                key,
                id,
                failure,
                Instant.ofEpochMilli(retryAt));
        return MtaStsLookup.noPolicy(key, failure, retryAt, failures);
    }

    /** After a failed lookup: the cached policy if it still applies, else a temporary failure. */
    MtaStsLookup failed(String key, MtaStsLookup previous, MtaStsFailure failure, long now) {
        int failures = (previous == null ? 0 : previous.failures) + 1;
        long retryAt = now + backoff(DNS_RETRY_MILLIS, MAX_DNS_RETRY_MILLIS, failures);
        if (previous != null && previous.isUnexpiredPolicy(now)) {
            return previous.refreshed(retryAt, failures, failure);
        }
        return MtaStsLookup.temporaryFailure(key, failure, retryAt, failures);
    }

    // RFC 8461 3.3 and 10.2: refresh before expiry, daily by default; per-domain jitter spreads
    // the refreshes of policies fetched together (after a restart, say).
    boolean refetchDue(MtaStsLookup cached, long now) {
        long interval =
                Math.min(refreshIntervalMillis, cached.policy().orElseThrow().maxAgeSeconds() * 750);
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

    private static void warnUnlessNone(MtaStsLookup cached, String format, Object... arguments) {
        // RFC 8461 3.3 and 10.2: alert on refresh failures, except for mode none (clean removal, 8.3).
        if (cached.policy().orElseThrow().mode() == MtaStsMode.NONE) {
            LOGGER.debug(format, arguments);
        } else {
            LOGGER.warn(format, arguments);
        }
    }
}
