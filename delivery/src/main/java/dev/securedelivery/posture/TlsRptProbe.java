package dev.securedelivery.posture;

import dev.securedelivery.reportingpolicy.TlsRptDiscovery;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether the domains mail goes to publish a TLS-RPT record (RFC 8460 3), for the posture
 * history: a delivery plan holds no {@code _smtp._tls} lookup, so this asks on the side. A domain
 * is asked once a day, again at most {@link #ASK_AGAIN_AFTER} later, and the answer goes to the
 * domain's counts of the day when it comes ({@link PostureHistory#published(String, Publication)}).
 * No delivery waits for it. A failed or bogus lookup leaves the answer unknown.
 */
public final class TlsRptProbe {
    private static final Logger LOGGER = LoggerFactory.getLogger(TlsRptProbe.class);

    /** How long an answer stands before the domain's next message asks again. */
    public static final Duration ASK_AGAIN_AFTER = Duration.ofHours(1);

    /** Domains remembered as asked; beyond, those with no message for longest are forgotten (and asked again). */
    static final int MAX_DOMAINS = 10_000;

    private final TlsRptDiscovery discovery;
    private final PostureHistory store;
    private final Clock clock;
    private final Map<String, Instant> asked = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Instant> eldest) {
            return size() > MAX_DOMAINS;
        }
    };

    public TlsRptProbe(TlsRptDiscovery discovery, PostureHistory store, Clock clock) {
        this.discovery = Objects.requireNonNull(discovery, "discovery");
        this.store = Objects.requireNonNull(store, "store");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /**
     * A message to {@code domain} was just counted: asks whether it publishes TLS-RPT, unless asked
     * lately. Returns at once, and never throws: the counting it follows sits between a message's fates.
     *
     * @return done once the answer, if any, is kept
     */
    public CompletableFuture<Void> messageCounted(String domain) {
        // A domain counted in the "other" bucket has no row of its own to keep the answer in.
        if (!store.countsToday(domain) || !due(domain)) {
            return CompletableFuture.completedFuture(null);
        }
        try {
            return discovery
                    .discover(domain)
                    .thenAccept(result -> result.publishes()
                            .ifPresent(publishes -> store.published(domain, Publication.ofTlsRpt(publishes))))
                    .exceptionally(e -> {
                        LOGGER.debug("secure-delivery: TLS-RPT answer for {} not kept: {}", domain, e.toString());
                        return null;
                    });
        } catch (RuntimeException e) {
            // discover handles every failure of a lookup; this is a guard for the counting it follows.
            LOGGER.debug("secure-delivery: no TLS-RPT lookup for {}: {}", domain, e.toString());
            return CompletableFuture.completedFuture(null);
        }
    }

    // Due when never asked, asked on an earlier UTC day (a new day's counts start unknown), or an hour ago.
    private boolean due(String domain) {
        Instant now = clock.instant();
        synchronized (asked) {
            Instant last = asked.get(domain);
            if (last != null
                    && day(last).equals(day(now))
                    && last.plus(ASK_AGAIN_AFTER).isAfter(now)) {
                return false;
            }
            asked.put(domain, now);
            return true;
        }
    }

    private static LocalDate day(Instant instant) {
        return LocalDate.ofInstant(instant, ZoneOffset.UTC);
    }
}
