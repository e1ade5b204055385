package dev.securedelivery.smtp;

import java.io.Closeable;
import java.io.IOException;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Closes the socket of an SMTP session whose time is up: the whole session past its deadline, or
 * one write blocked longer than the write timeout (a peer that stops reading during DATA). Reads
 * have the socket's own timeout; writes have none in Java, hence this. One daemon thread for every
 * session, ticking four times a second.
 *
 * <p>It closes the TCP socket, never a TLS socket layered on it: closing a TLS socket may wait for the
 * very write it is meant to end (JDK 17's {@code SSLSocketImpl.close} takes the write lock to send
 * close_notify), and this one thread would then wait for good, and no session's time would end.
 */
final class SessionWatchdog {
    private static final long TICK_MILLIS = 250;
    private static final Set<Watch> WATCHES = ConcurrentHashMap.newKeySet();
    private static final ScheduledExecutorService TIMER = Executors.newSingleThreadScheduledExecutor(task -> {
        Thread thread = new Thread(task, "secure-delivery-smtp-watchdog");
        thread.setDaemon(true);
        return thread;
    });

    static {
        TIMER.scheduleAtFixedRate(SessionWatchdog::tick, TICK_MILLIS, TICK_MILLIS, TimeUnit.MILLISECONDS);
    }

    private SessionWatchdog() {}

    /**
     * Watches {@code socket} (a TCP socket, whose close never waits) until {@link Watch#close}: it is
     * closed at {@code deadlineNanos} (System.nanoTime) at the latest.
     */
    static Watch watch(Closeable socket, long deadlineNanos, long writeTimeoutNanos) {
        Watch watch = new Watch(socket, deadlineNanos, writeTimeoutNanos);
        WATCHES.add(watch);
        return watch;
    }

    // Nothing may escape: a scheduled task that throws is never run again.
    private static void tick() {
        long now = System.nanoTime();
        for (Watch watch : WATCHES) {
            try {
                watch.check(now);
            } catch (Throwable e) {
                // One broken watch must not stop the others.
                WATCHES.remove(watch);
            }
        }
    }

    /** One session's deadline and the start of its write in progress, if any. */
    static final class Watch implements AutoCloseable {
        private final Closeable socket;
        private volatile long deadlineNanos;
        private final long writeTimeoutNanos;
        private volatile long writingSince;
        private volatile String expired;

        private Watch(Closeable socket, long deadlineNanos, long writeTimeoutNanos) {
            this.socket = socket;
            this.deadlineNanos = deadlineNanos;
            this.writeTimeoutNanos = writeTimeoutNanos;
        }

        /** Moves the deadline: a session kept for the next message gets that message's own deadline. */
        void deadline(long nanos) {
            deadlineNanos = nanos;
        }

        long deadlineNanos() {
            return deadlineNanos;
        }

        void writing() {
            writingSince = System.nanoTime() | 1L;
        }

        void written() {
            writingSince = 0;
        }

        /** Why the watchdog closed the socket, if it did. */
        String expired() {
            return expired;
        }

        private void check(long now) {
            long since = writingSince;
            String why = now - deadlineNanos >= 0
                    ? "the session's time limit passed"
                    : since != 0 && now - since >= writeTimeoutNanos
                            ? "the server stopped reading (write timeout)"
                            : null;
            if (why != null && expired == null) {
                expired = why;
                WATCHES.remove(this);
                try {
                    socket.close();
                } catch (IOException e) {
                    // Closed is what we wanted.
                }
            }
        }

        @Override
        public void close() {
            WATCHES.remove(this);
        }
    }
}
