package dev.securedelivery.dashboard;

import dev.securedelivery.posture.Protection;
import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;

/** Messages delivered by protection level; a level not given counts 0. Immutable. */
public final class ProtectionCounts {
    private static final ProtectionCounts NONE = new ProtectionCounts(new EnumMap<>(Protection.class));

    private final Map<Protection, Long> counts;

    private ProtectionCounts(EnumMap<Protection, Long> counts) {
        this.counts = Collections.unmodifiableMap(counts);
    }

    public static ProtectionCounts none() {
        return NONE;
    }

    /**
     * The counts of {@code counts}.
     *
     * @throws IllegalArgumentException for a negative count
     */
    public static ProtectionCounts of(Map<Protection, Long> counts) {
        EnumMap<Protection, Long> copy = new EnumMap<>(Protection.class);
        counts.forEach((protection, count) -> {
            if (count < 0) {
                throw new IllegalArgumentException("Negative count for " + protection.label() + ": " + count);
            }
            if (count > 0) {
                copy.put(protection, count);
            }
        });
        return new ProtectionCounts(copy);
    }

    public long get(Protection protection) {
        return counts.getOrDefault(protection, 0L);
    }

    /** All delivered messages. */
    public long total() {
        long total = 0;
        for (long count : counts.values()) {
            total += count;
        }
        return total;
    }

    /** This and {@code other} added. */
    public ProtectionCounts plus(ProtectionCounts other) {
        EnumMap<Protection, Long> sum = new EnumMap<>(Protection.class);
        for (Protection protection : Protection.values()) {
            sum.put(protection, get(protection) + other.get(protection));
        }
        return of(sum);
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof ProtectionCounts && counts.equals(((ProtectionCounts) other).counts);
    }

    @Override
    public int hashCode() {
        return counts.hashCode();
    }

    @Override
    public String toString() {
        return counts.toString();
    }
}
