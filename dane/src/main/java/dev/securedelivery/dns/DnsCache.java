package dev.securedelivery.dns;

import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.xbill.DNS.Name;

/**
 * Answers kept for their TTL: records and negative answers (NXDOMAIN, NODATA; RFC 2308) alike,
 * each for at most a day, negative ones for at most an hour (as unbound's cache-max-ttl and
 * cache-max-negative-ttl default). Failures and bogus answers are never kept: the next delivery
 * attempt asks again. Bounded: beyond {@code maxEntries} the least recently used go.
 */
public final class DnsCache {
    static final long MAX_TTL_SECONDS = 86_400;
    static final long MAX_NEGATIVE_TTL_SECONDS = 3_600;

    private final int maxEntries;
    private final Clock clock;
    private final Map<Key, Cached> entries;

    public DnsCache(int maxEntries, Clock clock) {
        if (maxEntries < 1) {
            throw new IllegalArgumentException("maxEntries must be at least 1, got " + maxEntries);
        }
        this.maxEntries = maxEntries;
        this.clock = Objects.requireNonNull(clock, "clock");
        this.entries = new LinkedHashMap<>(16, 0.75f, true) {
            private static final long serialVersionUID = 1L;

            @Override
            protected boolean removeEldestEntry(Map.Entry<Key, Cached> eldest) {
                return size() > DnsCache.this.maxEntries;
            }
        };
    }

    /** The unexpired answer for {@code name} and {@code type}, or null. */
    DnsAnswer get(Name name, int type) {
        Key key = new Key(name, type);
        long now = clock.millis();
        synchronized (entries) {
            Cached entry = entries.get(key);
            if (entry == null) {
                return null;
            }
            if (now >= entry.expiresAtMillis) {
                entries.remove(key);
                return null;
            }
            return entry.answer;
        }
    }

    void put(DnsAnswer answer) {
        if (!answer.isAnswered() || answer.ttlSeconds() <= 0) {
            return;
        }
        long cap = answer.records().isEmpty() ? MAX_NEGATIVE_TTL_SECONDS : MAX_TTL_SECONDS;
        long expiresAt = clock.millis() + Math.min(answer.ttlSeconds(), cap) * 1000;
        synchronized (entries) {
            entries.put(new Key(answer.name(), answer.type()), new Cached(answer, expiresAt));
        }
    }

    public int size() {
        synchronized (entries) {
            return entries.size();
        }
    }

    private static final class Key {
        private final Name name;
        private final int type;

        Key(Name name, int type) {
            this.name = name;
            this.type = type;
        }

        @Override
        public boolean equals(Object other) {
            return other instanceof Key && type == ((Key) other).type && name.equals(((Key) other).name);
        }

        @Override
        public int hashCode() {
            return name.hashCode() * 31 + type;
        }
    }

    private static final class Cached {
        final DnsAnswer answer;
        final long expiresAtMillis;

        Cached(DnsAnswer answer, long expiresAtMillis) {
            this.answer = answer;
            this.expiresAtMillis = expiresAtMillis;
        }
    }
}
