package dev.securedelivery.waiting;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * The deferred messages and when each is due: this node's alone ({@link InMemoryWaitingList}, rebuilt
 * at start from the waiting room), or a list the nodes of a cluster share, where a due message is
 * claimed by one node at a time (a lease, taken over if that node dies before it is done).
 *
 * <p>Bounded by what waits: one entry per deferred message, replaced when it is deferred again. The
 * view ({@link #byDomain}) is cut at the {@code limit} domains due soonest.
 */
public interface WaitingList extends AutoCloseable {
    /** Records {@code mail}, replacing what was known under its key. */
    void add(WaitingMail mail) throws IOException;

    /** Whether a message is known as {@code key}. */
    boolean contains(String key) throws IOException;

    /** Forgets the message known as {@code key}, if it is known. */
    void remove(String key) throws IOException;

    /**
     * Claims at most {@code max} messages of {@code queue} that wait in the waiting room and are due at
     * {@code now}, soonest first, for {@code lease}: no other claim gets them until the lease ends. The
     * claimer then puts each back in the queue and {@linkplain #remove removes} it, or {@linkplain
     * #add adds} it again, due later.
     */
    List<WaitingMail> claimDue(String queue, Instant now, Duration lease, int max) throws IOException;

    /** When the next message of {@code queue} in the waiting room is due, claimed or not. */
    Optional<Instant> nextDue(String queue) throws IOException;

    /** Per destination domain, what waits (in a queue or in the waiting room), at most {@code limit} domains. */
    List<DomainWaiting> byDomain(int limit) throws IOException;

    /** The messages known. */
    long size() throws IOException;

    @Override
    default void close() throws IOException {}
}
