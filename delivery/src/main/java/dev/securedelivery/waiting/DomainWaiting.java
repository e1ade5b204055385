package dev.securedelivery.waiting;

import java.time.Instant;
import java.util.Objects;

/** What waits for one destination domain: how many messages, the next due, the last cause, the most retries spent. */
public final class DomainWaiting {
    private final String domain;
    private final long messages;
    private final Instant nextDue;
    private final String lastCause;
    private final int mostRetries;

    public DomainWaiting(String domain, long messages, Instant nextDue, String lastCause, int mostRetries) {
        this.domain = Objects.requireNonNull(domain, "domain");
        this.messages = messages;
        this.nextDue = Objects.requireNonNull(nextDue, "nextDue");
        this.lastCause = lastCause == null ? "" : lastCause;
        this.mostRetries = mostRetries;
    }

    public String domain() {
        return domain;
    }

    public long messages() {
        return messages;
    }

    public Instant nextDue() {
        return nextDue;
    }

    /** The cause of the deferral of the message due last: the most recent one. */
    public String lastCause() {
        return lastCause;
    }

    /** The retries spent by the message that spent the most. */
    public int mostRetries() {
        return mostRetries;
    }

    @Override
    public String toString() {
        return domain + ": " + messages + " waiting, next due " + nextDue + ", up to " + mostRetries + " retries";
    }
}
