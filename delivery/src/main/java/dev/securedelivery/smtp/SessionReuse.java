package dev.securedelivery.smtp;

import java.time.Duration;
import java.util.Objects;

/**
 * How SMTP sessions are kept for the next message ({@link IdleSessions}), like Postfix's connection
 * cache: whether at all, how long a session may wait idle ({@code smtp_connection_cache_time_limit},
 * 2 s there and here), how old it may get ({@code smtp_connection_reuse_time_limit}, 300 s there and
 * here), how many messages it may carry ({@code smtp_connection_reuse_count_limit}, unlimited there,
 * 100 here: a bound on what one long session can hold of a server's resources), and how many idle
 * sessions are kept in all (100: bounded sockets and memory, whatever the traffic).
 */
public final class SessionReuse {
    public static final SessionReuse DEFAULT =
            new SessionReuse(true, Duration.ofSeconds(2), Duration.ofSeconds(300), 100, 100);
    public static final SessionReuse OFF = DEFAULT.enabled(false);

    private final boolean enabled;
    private final Duration idleTime;
    private final Duration maxAge;
    private final int maxMessages;
    private final int maxIdleSessions;

    private SessionReuse(boolean enabled, Duration idleTime, Duration maxAge, int maxMessages, int maxIdleSessions) {
        Objects.requireNonNull(idleTime, "idleTime");
        Objects.requireNonNull(maxAge, "maxAge");
        if (idleTime.isNegative() || idleTime.isZero() || maxAge.isNegative() || maxAge.isZero()) {
            throw new IllegalArgumentException("idle time and age must be positive, got " + idleTime + ", " + maxAge);
        }
        if (maxMessages < 1 || maxIdleSessions < 1) {
            throw new IllegalArgumentException("messages per session and idle sessions must be at least 1, got "
                    + maxMessages + ", " + maxIdleSessions);
        }
        this.enabled = enabled;
        this.idleTime = idleTime;
        this.maxAge = maxAge;
        this.maxMessages = maxMessages;
        this.maxIdleSessions = maxIdleSessions;
    }

    public SessionReuse enabled(boolean on) {
        return new SessionReuse(on, idleTime, maxAge, maxMessages, maxIdleSessions);
    }

    public SessionReuse withIdleTime(Duration idle) {
        return new SessionReuse(enabled, idle, maxAge, maxMessages, maxIdleSessions);
    }

    public SessionReuse withMaxAge(Duration age) {
        return new SessionReuse(enabled, idleTime, age, maxMessages, maxIdleSessions);
    }

    public SessionReuse withMaxMessages(int messages) {
        return new SessionReuse(enabled, idleTime, maxAge, messages, maxIdleSessions);
    }

    public SessionReuse withMaxIdleSessions(int sessions) {
        return new SessionReuse(enabled, idleTime, maxAge, maxMessages, sessions);
    }

    public boolean isEnabled() {
        return enabled;
    }

    /** How long a session waits for its next message before it is closed. */
    public Duration idleTime() {
        return idleTime;
    }

    /** The age (since connecting) past which a session gets no further message. */
    public Duration maxAge() {
        return maxAge;
    }

    /** The most messages one session carries, the first included. */
    public int maxMessages() {
        return maxMessages;
    }

    /** The most idle sessions kept at once, for every destination together. */
    public int maxIdleSessions() {
        return maxIdleSessions;
    }

    @Override
    public String toString() {
        return enabled
                ? "session reuse: idle " + idleTime.toMillis() + " ms, age " + maxAge.toSeconds() + " s, " + maxMessages
                        + " messages per session, " + maxIdleSessions + " idle sessions at most"
                : "session reuse off";
    }
}
