package dev.securedelivery.waiting;

import java.time.Instant;
import java.util.Objects;

/**
 * One deferred message, as the {@link WaitingList} knows it: its key (the name James gives the copy),
 * the queue it goes back to, its destination domain, when it is due, the retries it has spent, why it
 * waits (the cause of its last deferral, cleaned and capped), and where it waits.
 */
public final class WaitingMail {
    /** The most characters a cause keeps. */
    public static final int MAX_CAUSE = 500;

    /** Where the message waits. */
    public enum Place {
        /** In the mail queue, which holds it until it is due: the entry is only for the view. */
        QUEUE,
        /** In the waiting room (a mail repository): it goes back to the queue when it is due. */
        WAITING_ROOM
    }

    private final String key;
    private final String queue;
    private final String domain;
    private final Instant due;
    private final int retries;
    private final String cause;
    private final Place place;

    public WaitingMail(String key, String queue, String domain, Instant due, int retries, String cause, Place place) {
        this.key = Objects.requireNonNull(key, "key");
        this.queue = Objects.requireNonNull(queue, "queue");
        this.domain = Objects.requireNonNull(domain, "domain");
        this.due = Objects.requireNonNull(due, "due");
        this.retries = retries;
        String text = cause == null ? "" : cause;
        this.cause = text.length() > MAX_CAUSE ? text.substring(0, MAX_CAUSE) : text;
        this.place = Objects.requireNonNull(place, "place");
    }

    public String key() {
        return key;
    }

    public String queue() {
        return queue;
    }

    public String domain() {
        return domain;
    }

    public Instant due() {
        return due;
    }

    /** The retries spent, this deferral's included. */
    public int retries() {
        return retries;
    }

    public String cause() {
        return cause;
    }

    public Place place() {
        return place;
    }

    /** The same message, due at {@code when}: put back after a requeue that did not take. */
    public WaitingMail dueAt(Instant when) {
        return new WaitingMail(key, queue, domain, when, retries, cause, place);
    }

    @Override
    public boolean equals(Object other) {
        if (!(other instanceof WaitingMail)) {
            return false;
        }
        WaitingMail that = (WaitingMail) other;
        return key.equals(that.key)
                && queue.equals(that.queue)
                && domain.equals(that.domain)
                && due.equals(that.due)
                && retries == that.retries
                && cause.equals(that.cause)
                && place == that.place;
    }

    @Override
    public int hashCode() {
        return Objects.hash(key, queue, domain, due, retries, cause, place);
    }

    @Override
    public String toString() {
        return key + " to " + domain + " due " + due + " (" + retries + " retries, " + place + ")";
    }
}
