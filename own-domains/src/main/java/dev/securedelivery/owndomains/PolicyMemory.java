package dev.securedelivery.owndomains;

import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The MTA-STS policy last seen for each domain, by its {@code id} and text: how a later check sees a
 * policy changed under the same id, which senders that cached it never fetch again (RFC 8461 3.1: the
 * id MUST change when the policy does; postfix-mta-sts-resolver issue 113); and since when the TLSA
 * record of a key change has been seen, from which its TTL counts (RFC 7671 8.1). Bounded by the
 * domains and MX hosts checked: one entry each.
 */
public final class PolicyMemory {
    /** A check that remembers nothing (the command line's single run). */
    public static final PolicyMemory NONE = new PolicyMemory(false);

    private final boolean remembers;
    private final Map<String, Seen> seen = new ConcurrentHashMap<>();
    // When a TLSA record of a key change was first seen, by MX host and record: the TTL counts from then.
    private final Map<String, java.time.Instant> keysSeen = new ConcurrentHashMap<>();

    private PolicyMemory(boolean remembers) {
        this.remembers = remembers;
    }

    /** A memory that keeps each domain's last policy. */
    public static PolicyMemory remembering() {
        return new PolicyMemory(true);
    }

    /** The policy seen at the last check of {@code domain}, if any. */
    Optional<Seen> last(String domain) {
        return Optional.ofNullable(seen.get(domain));
    }

    void remember(String domain, String id, String text) {
        if (remembers) {
            seen.put(domain, new Seen(id, text));
        }
    }

    /**
     * Since when the TLSA record {@code record} of {@code host} has been seen; {@code now} the first
     * time (or always, where nothing is remembered). One entry per host: a new record replaces it.
     */
    java.time.Instant keySeenSince(String host, String record, java.time.Instant now) {
        if (!remembers) {
            return now;
        }
        String key = host + " " + record;
        keysSeen.keySet().removeIf(known -> known.startsWith(host + " ") && !known.equals(key));
        return keysSeen.computeIfAbsent(key, known -> now);
    }

    /** A policy as seen: the id of its record and the text served. */
    static final class Seen {
        final String id;
        final String text;

        Seen(String id, String text) {
            this.id = id;
            this.text = text;
        }
    }
}
