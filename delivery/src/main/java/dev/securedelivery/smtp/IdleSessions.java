package dev.securedelivery.smtp;

import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * SMTP sessions kept open after a clean transaction, for the next message whose {@link SessionKey}
 * is identical (Postfix's connection cache). Bounded: at most {@link SessionReuse#maxIdleSessions}
 * sessions wait at once, none longer than {@link SessionReuse#idleTime}, none past
 * {@link SessionReuse#maxAge} since it connected or past {@link SessionReuse#maxMessages}
 * messages. A session that may not wait is refused and its owner closes it.
 *
 * <p>Idle sessions past their time are closed by a reaper thread (QUIT without waiting for the
 * answer, then close) and whenever a message looks for one; all of them at {@link #close}. A session
 * is taken out of the pool before it is used, so no two messages ever share it at once.
 */
public final class IdleSessions implements AutoCloseable {
    private static final Logger LOGGER = LoggerFactory.getLogger(IdleSessions.class);
    private final SessionReuse limits;
    private final LongSupplier nanoTime;
    private final Map<SessionKey, Deque<Kept>> idle = new HashMap<>();
    private final ScheduledExecutorService reaper;
    private int count;
    private boolean closed;

    private IdleSessions(SessionReuse limits, LongSupplier nanoTime, boolean reaped) {
        this.limits = Objects.requireNonNull(limits, "limits");
        this.nanoTime = Objects.requireNonNull(nanoTime, "nanoTime");
        if (reaped && limits.isEnabled()) {
            this.reaper = Executors.newSingleThreadScheduledExecutor(task -> {
                Thread thread = new Thread(task, "secure-delivery-idle-sessions");
                thread.setDaemon(true);
                return thread;
            });
            long period = Math.max(50, Math.min(1000, limits.idleTime().toMillis() / 2));
            reaper.scheduleWithFixedDelay(this::reapOnSchedule, period, period, TimeUnit.MILLISECONDS);
        } else {
            this.reaper = null;
        }
    }

    /** A pool with its reaper thread, on the system's monotonic clock. */
    public static IdleSessions start(SessionReuse limits) {
        return new IdleSessions(limits, System::nanoTime, true);
    }

    /** A pool with its reaper thread on {@code nanoTime}: for tests of the reaper itself. */
    static IdleSessions startOn(SessionReuse limits, LongSupplier nanoTime) {
        return new IdleSessions(limits, nanoTime, true);
    }

    /** A pool on {@code nanoTime} without a reaper thread: expired sessions go at {@link #reap} and {@link #take}. */
    public static IdleSessions onClock(SessionReuse limits, LongSupplier nanoTime) {
        return new IdleSessions(limits, nanoTime, false);
    }

    public SessionReuse limits() {
        return limits;
    }

    /** Now on the pool's clock: when a session connected, for its age. */
    long now() {
        return nanoTime.getAsLong();
    }

    /** A session waiting, the youngest idle first; null for none. The caller owns it from here. */
    Kept take(SessionKey key) {
        List<Kept> expired = new ArrayList<>();
        Kept found = null;
        synchronized (this) {
            Deque<Kept> waiting = idle.get(key);
            long now = now();
            while (found == null && waiting != null && !waiting.isEmpty()) {
                Kept next = waiting.pollFirst();
                count--;
                if (next.expired(now)) {
                    expired.add(next);
                } else {
                    found = next;
                }
            }
            if (waiting != null && waiting.isEmpty()) {
                idle.remove(key);
            }
        }
        expired.forEach(kept -> kept.connection.quitAndClose());
        return found;
    }

    /**
     * Keeps {@code session} for the next message of {@code key}, unless reuse is off, the pool is
     * closed or full, or the session has carried its most messages or is too old: false then, and
     * the caller ends it.
     */
    boolean keep(SessionKey key, Kept session) {
        synchronized (this) {
            long now = now();
            if (closed
                    || !limits.isEnabled()
                    || count >= limits.maxIdleSessions()
                    || session.messages >= limits.maxMessages()
                    || now - session.connectedNanos >= limits.maxAge().toNanos()
                    || !session.connection.isOpen()) {
                return false;
            }
            session.idleSince = now;
            session.connection.idle();
            idle.computeIfAbsent(key, any -> new ArrayDeque<>()).addFirst(session);
            count++;
            return true;
        }
    }

    /** Closes the idle sessions past their idle time or age; how many. */
    public int reap() {
        List<Kept> expired = new ArrayList<>();
        synchronized (this) {
            long now = now();
            for (Iterator<Deque<Kept>> keys = idle.values().iterator(); keys.hasNext(); ) {
                Deque<Kept> waiting = keys.next();
                for (Iterator<Kept> sessions = waiting.iterator(); sessions.hasNext(); ) {
                    Kept session = sessions.next();
                    if (session.expired(now)) {
                        sessions.remove();
                        count--;
                        expired.add(session);
                    }
                }
                if (waiting.isEmpty()) {
                    keys.remove();
                }
            }
        }
        expired.forEach(session -> session.connection.quitAndClose());
        return expired.size();
    }

    // A scheduled task that throws is never run again, and a full pool would then turn reuse off for
    // good: whatever one round meets is logged, and the next round comes.
    private void reapOnSchedule() {
        try {
            reap();
        } catch (Throwable e) {
            LOGGER.warn("secure-delivery: closing idle SMTP sessions failed; trying again at the next round", e);
        }
    }

    /** How many sessions wait now. */
    public synchronized int idleCount() {
        return count;
    }

    /** Closes every idle session and keeps none from now on. */
    @Override
    public void close() {
        List<Kept> all = new ArrayList<>();
        synchronized (this) {
            closed = true;
            idle.values().forEach(all::addAll);
            idle.clear();
            count = 0;
        }
        if (reaper != null) {
            reaper.shutdownNow();
        }
        all.forEach(session -> session.connection.quitAndClose());
    }

    /**
     * One session between messages: its connection, the attempt of its first message (how its TLS
     * was negotiated and its peer authenticated, which every later message shares), when it
     * connected and how many messages it carried.
     */
    static final class Kept {
        private final SmtpConnection connection;
        private final DeliveryAttempt first;
        private final long connectedNanos;
        private final Instant authenticatedUntil;
        private final SessionReuse limits;
        private int messages = 1;
        private long idleSince;

        /** @param authenticatedUntil when the chain its peer was authenticated by expires; null for no bound */
        Kept(
                SmtpConnection connection,
                DeliveryAttempt first,
                long connectedNanos,
                Instant authenticatedUntil,
                SessionReuse limits) {
            this.connection = connection;
            this.first = first;
            this.connectedNanos = connectedNanos;
            this.authenticatedUntil = authenticatedUntil;
            this.limits = limits;
        }

        SmtpConnection connection() {
            return connection;
        }

        DeliveryAttempt first() {
            return first;
        }

        /** When the authentication of its peer stops holding (its chain expires); empty for never. */
        Optional<Instant> authenticatedUntil() {
            return Optional.ofNullable(authenticatedUntil);
        }

        /** Messages carried so far. */
        int messages() {
            return messages;
        }

        void carried() {
            messages++;
        }

        private boolean expired(long now) {
            return now - idleSince >= limits.idleTime().toNanos()
                    || now - connectedNanos >= limits.maxAge().toNanos()
                    || !connection.isOpen();
        }
    }
}
