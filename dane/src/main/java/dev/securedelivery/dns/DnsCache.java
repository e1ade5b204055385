package dev.securedelivery.dns;

import java.time.Clock;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;

/**
 * Answers kept for their TTL: records and negative answers (NXDOMAIN, NODATA; RFC 2308) alike,
 * each for at most a day, negative ones for at most an hour (as unbound's cache-max-ttl and
 * cache-max-negative-ttl default). Failures and bogus answers are never kept: the next delivery
 * attempt asks again. Bounded in entries and in bytes: whoever controls a domain chooses how large
 * its answers are (a TLSA RRset of thousands of records), so beyond {@code maxEntries} answers or
 * {@code maxBytes} of them (their wire size, an estimate of what they hold) the least recently used
 * go, and an answer larger than a tenth of the budget is not kept at all.
 */
public final class DnsCache {
    static final long MAX_TTL_SECONDS = 86_400;
    static final long MAX_NEGATIVE_TTL_SECONDS = 3_600;
    /** 64 MiB: 10,000 answers of 6 KiB each, far more than the usual few hundred bytes. */
    public static final long DEFAULT_MAX_BYTES = 64L * 1024 * 1024;
    /** What an answer costs besides its records: the key, the answer object, the map entry. */
    private static final int ENTRY_OVERHEAD_BYTES = 200;

    private final int maxEntries;
    private final long maxBytes;
    private final Clock clock;
    private final LinkedHashMap<Key, Cached> entries = new LinkedHashMap<>(16, 0.75f, true);
    private long bytes;

    public DnsCache(int maxEntries, Clock clock) {
        this(maxEntries, DEFAULT_MAX_BYTES, clock);
    }

    public DnsCache(int maxEntries, long maxBytes, Clock clock) {
        if (maxEntries < 1) {
            throw new IllegalArgumentException("maxEntries must be at least 1, got " + maxEntries);
        }
        if (maxBytes < 1024) {
            throw new IllegalArgumentException("maxBytes must be at least 1024, got " + maxBytes);
        }
        this.maxEntries = maxEntries;
        this.maxBytes = maxBytes;
        this.clock = Objects.requireNonNull(clock, "clock");
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
                remove(key);
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
        long size = sizeOf(answer);
        if (size > maxBytes / 10) {
            return;
        }
        Key key = new Key(answer.name(), answer.type());
        synchronized (entries) {
            remove(key);
            entries.put(key, new Cached(answer, expiresAt, size));
            bytes += size;
            Iterator<Map.Entry<Key, Cached>> eldest = entries.entrySet().iterator();
            while ((entries.size() > maxEntries || bytes > maxBytes) && eldest.hasNext()) {
                bytes -= eldest.next().getValue().bytes;
                eldest.remove();
            }
        }
    }

    private void remove(Key key) {
        Cached removed = entries.remove(key);
        if (removed != null) {
            bytes -= removed.bytes;
        }
    }

    private static long sizeOf(DnsAnswer answer) {
        long size = ENTRY_OVERHEAD_BYTES + answer.name().length();
        for (Record record : answer.records()) {
            size += record.getName().length() + 10 + record.rdataToWireCanonical().length;
        }
        return size;
    }

    public int size() {
        synchronized (entries) {
            return entries.size();
        }
    }

    /** The estimated bytes of the answers kept. */
    public long bytes() {
        synchronized (entries) {
            return bytes;
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
        final long bytes;

        Cached(DnsAnswer answer, long expiresAtMillis, long bytes) {
            this.answer = answer;
            this.expiresAtMillis = expiresAtMillis;
            this.bytes = bytes;
        }
    }
}
