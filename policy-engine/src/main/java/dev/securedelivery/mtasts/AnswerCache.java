package dev.securedelivery.mtasts;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The engine's answers in memory, one per domain, bounded in entries and in estimated bytes (a policy
 * may hold 64 KiB of patterns, and anyone can make us look up many domains): beyond either bound the
 * least recently used go, down to nine tenths so that the next few answers do not each evict.
 */
final class AnswerCache {
    private final ConcurrentHashMap<String, MtaStsLookup> answers = new ConcurrentHashMap<>();
    private final AtomicLong bytes = new AtomicLong();
    private final int maxEntries;
    private final long maxBytes;

    AnswerCache(int maxEntries, long maxBytes) {
        this.maxEntries = maxEntries;
        this.maxBytes = maxBytes;
    }

    MtaStsLookup get(String domain) {
        return answers.get(domain);
    }

    // Every change goes through put and remove, which keep the size in bytes.
    void put(String domain, MtaStsLookup answer) {
        MtaStsLookup before = answers.put(domain, answer);
        bytes.addAndGet(answer.estimatedBytes() - (before == null ? 0 : before.estimatedBytes()));
    }

    /** Removes {@code answer} if it is still the one held for {@code domain}. */
    void remove(String domain, MtaStsLookup answer) {
        if (answers.remove(domain, answer)) {
            bytes.addAndGet(-answer.estimatedBytes());
        }
    }

    void remove(String domain) {
        MtaStsLookup removed = answers.remove(domain);
        if (removed != null) {
            bytes.addAndGet(-removed.estimatedBytes());
        }
    }

    /** A snapshot of the answers, by domain. */
    List<Map.Entry<String, MtaStsLookup>> entries() {
        return new ArrayList<>(answers.entrySet());
    }

    List<MtaStsLookup> values() {
        return new ArrayList<>(answers.values());
    }

    boolean overLimits() {
        return answers.size() > maxEntries || bytes.get() > maxBytes;
    }

    long bytes() {
        return bytes.get();
    }

    // One eviction at a time: two over the same snapshot would each evict down to the bound, together
    // far below it (a sweep and an update's finish can both find the cache over its limits).
    synchronized void evictLeastRecentlyUsed() {
        List<Map.Entry<String, MtaStsLookup>> entries = entries();
        long[] order = new long[entries.size()];
        for (int i = 0; i < order.length; i++) {
            order[i] = ((long) entries.get(i).getValue().lastUsedMinute << 32) | i;
        }
        Arrays.sort(order);
        int excess = entries.size() - maxEntries * 9 / 10;
        for (int i = 0; i < order.length && (i < excess || bytes.get() > maxBytes / 10 * 9); i++) {
            Map.Entry<String, MtaStsLookup> oldest = entries.get((int) order[i]);
            remove(oldest.getKey(), oldest.getValue());
        }
    }
}
