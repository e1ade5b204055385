package dev.securedelivery.posture;

import dev.securedelivery.delivery.FailureCause;
import java.io.Closeable;
import java.io.IOException;
import java.time.LocalDate;
import java.util.SortedMap;

/**
 * How securely mail left, per UTC day and destination domain: this node's history on its disk
 * ({@link PostureStore}), or a history the nodes of a cluster share, where a day's counts are every
 * node's together.
 *
 * <p>Counting never waits for a disk or a database and never fails a delivery: the counts are taken in
 * memory at once and written at intervals. Reading may fail ({@link IOException}) when a shared store
 * cannot be reached.
 */
public interface PostureHistory extends Closeable {
    /** The UTC day it is now. */
    LocalDate today();

    /** A message to {@code domain} (lower-case A-labels) delivered today with {@code protection}. */
    void delivered(String domain, Protection protection, Publication publication);

    /** A message to {@code domain} deferred today for {@code cause}. */
    void deferred(String domain, FailureCause cause, Publication publication);

    /** A message to {@code domain} bounced today for {@code cause}. */
    void bounced(String domain, FailureCause cause, Publication publication);

    /** Whether {@code domain} has counts of its own today on this node (not only in the {@value PostureStore#OTHER} bucket). */
    boolean countsToday(String domain);

    /** What {@code domain} publishes, learnt apart from its messages: kept with its counts of today, if it has any. */
    void published(String domain, Publication publication);

    /** The days from {@code from} to {@code to} (both included) that have counts, each by domain: every node's. */
    SortedMap<LocalDate, SortedMap<String, DomainPosture>> between(LocalDate from, LocalDate to) throws IOException;

    /**
     * {@link #between}, node by node: where the nodes share the history, what each one counted; this
     * node's alone otherwise.
     */
    SortedMap<String, SortedMap<LocalDate, SortedMap<String, DomainPosture>>> byNode(LocalDate from, LocalDate to)
            throws IOException;
}
