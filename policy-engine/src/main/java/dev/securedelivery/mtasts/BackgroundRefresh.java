package dev.securedelivery.mtasts;

import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The engine's work between lookups, every sweep interval on one thread: answers of domains in use
 * are renewed a little before they go stale, so that deliveries never wait for DNS; cached policies
 * are fetched again before they expire, whatever their record says (RFC 8461 3.3, 10.2); answers
 * nobody asks for, expired policies and stale negative answers leave memory; the cache is brought
 * back within its bounds; expired policy files are deleted daily.
 */
final class BackgroundRefresh implements Runnable {
    /** A domain looked up this recently is kept fresh in the background. */
    static final long HOT_MILLIS = Duration.ofMinutes(10).toMillis();

    static final long STORE_CLEANING_MILLIS = Duration.ofDays(1).toMillis();
    /** Time left for a background renewal to finish before the answer it renews goes stale. */
    static final long RENEWAL_MARGIN_MILLIS = Duration.ofSeconds(5).toMillis();

    private static final Logger LOGGER = LoggerFactory.getLogger(MtaStsEngine.class);

    /** Starts the update of a domain unless one is running. */
    interface Renewal {
        void renew(String domain);
    }

    private final AnswerCache cache;
    private final PolicyUpdater updater;
    private final PolicyCache store;
    private final Renewal renewal;
    private final Clock clock;
    private final long idleEvictionMillis;
    private final long sweepIntervalMillis;
    private volatile long storeCleanedAt;

    /** @param store the policy files, or null */
    BackgroundRefresh(
            AnswerCache cache,
            PolicyUpdater updater,
            PolicyCache store,
            Renewal renewal,
            Clock clock,
            long idleEvictionMillis,
            long sweepIntervalMillis) {
        this.cache = cache;
        this.updater = updater;
        this.store = store;
        this.renewal = renewal;
        this.clock = clock;
        this.idleEvictionMillis = idleEvictionMillis;
        this.sweepIntervalMillis = sweepIntervalMillis;
        this.storeCleanedAt = clock.millis() - STORE_CLEANING_MILLIS;
    }

    @Override
    public void run() {
        try {
            long now = clock.millis();
            int minute = (int) (now / 60_000);
            for (Map.Entry<String, MtaStsLookup> entry : cache.entries()) {
                MtaStsLookup cached = entry.getValue();
                long idle = (minute - cached.lastUsedMinute) * 60_000L;
                boolean policy = cached.outcome() == MtaStsLookup.Outcome.POLICY;
                boolean hot = idle <= HOT_MILLIS;
                if (idle > idleEvictionMillis
                        || (policy && now >= cached.expiresAtMillis())
                        || (!policy && !hot && now >= cached.freshUntilMillis)) {
                    cache.remove(entry.getKey(), cached);
                    continue;
                }
                // Answers of domains in use are renewed a little before they go stale, so that
                // deliveries never wait for DNS; after a failure, not before the back-off ends.
                long renewAt = cached.failures == 0
                        ? cached.freshUntilMillis - sweepIntervalMillis - RENEWAL_MARGIN_MILLIS
                        : cached.freshUntilMillis;
                boolean due = (hot && now >= renewAt)
                        || (policy && now >= cached.freshUntilMillis && updater.refetchDue(cached, now));
                if (due) {
                    renewal.renew(entry.getKey());
                }
            }
            if (cache.overLimits()) {
                cache.evictLeastRecentlyUsed();
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
}
