package dev.securedelivery.posture;

import dev.securedelivery.delivery.FailureCause;
import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;

/**
 * One destination domain's posture on one day: messages delivered by protection, deferred and
 * bounced by cause, and what the domain was last seen to publish. A message is one copy for one
 * recipient domain (James queues one per domain), counted once per fate it got: a message deferred
 * twice and then delivered counts two deferrals and one delivery.
 */
public final class DomainPosture {
    private final Map<Protection, Long> delivered = new EnumMap<>(Protection.class);
    private final Map<FailureCause, Long> deferred = new EnumMap<>(FailureCause.class);
    private final Map<FailureCause, Long> bounced = new EnumMap<>(FailureCause.class);
    private Publication publication = Publication.UNKNOWN;

    /** No message yet, nothing known of what the domain publishes. */
    public DomainPosture() {}

    /** {@code count} more messages delivered with {@code protection}. */
    public void delivered(Protection protection, long count) {
        delivered.merge(protection, count, Long::sum);
    }

    /** {@code count} more deferrals for {@code cause}. */
    public void deferred(FailureCause cause, long count) {
        deferred.merge(cause, count, Long::sum);
    }

    /** {@code count} more bounces for {@code cause}. */
    public void bounced(FailureCause cause, long count) {
        bounced.merge(cause, count, Long::sum);
    }

    /** What the domain publishes, each answer replaced by {@code newer}'s where that one is known. */
    public void published(Publication newer) {
        publication = publication.updatedBy(newer);
    }

    /** Adds {@code other}'s counts to these (the "other" bucket taking a domain in, two nodes' counts). */
    public void add(DomainPosture other) {
        other.delivered.forEach(this::delivered);
        other.deferred.forEach(this::deferred);
        other.bounced.forEach(this::bounced);
    }

    /** One domain's posture over {@code days}, oldest first: their counts added, and what it published last known. */
    public static DomainPosture over(Iterable<DomainPosture> days) {
        DomainPosture sum = new DomainPosture();
        for (DomainPosture day : days) {
            sum.add(day);
            sum.published(day.publication);
        }
        return sum;
    }

    public DomainPosture copy() {
        DomainPosture copy = new DomainPosture();
        copy.add(this);
        copy.publication = publication;
        return copy;
    }

    /** Delivered messages by protection; a protection no message had is absent. */
    public Map<Protection, Long> delivered() {
        return Collections.unmodifiableMap(delivered);
    }

    public long delivered(Protection protection) {
        return delivered.getOrDefault(protection, 0L);
    }

    /** Deferrals by cause. */
    public Map<FailureCause, Long> deferred() {
        return Collections.unmodifiableMap(deferred);
    }

    /** Bounces by cause. */
    public Map<FailureCause, Long> bounced() {
        return Collections.unmodifiableMap(bounced);
    }

    public long totalDelivered() {
        return sum(delivered);
    }

    public long totalDeferred() {
        return sum(deferred);
    }

    public long totalBounced() {
        return sum(bounced);
    }

    private static long sum(Map<?, Long> counts) {
        long total = 0;
        for (long count : counts.values()) {
            total += count;
        }
        return total;
    }

    /** What the domain published when last seen; unknown for the "other" bucket. */
    public Publication publication() {
        return publication;
    }
}
