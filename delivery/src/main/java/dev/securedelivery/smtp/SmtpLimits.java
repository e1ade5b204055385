package dev.securedelivery.smtp;

import java.time.Duration;
import java.util.Objects;

/**
 * The bounds of one SMTP session: every byte from the server is bounded in size and in time.
 *
 * <ul>
 *   <li>{@code connectTimeout}: to open the TCP connection (RemoteDelivery's {@code connectiontimeout});</li>
 *   <li>{@code readTimeout}: for each whole reply, however the server trickles it (RemoteDelivery's
 *       {@code timeout}; RFC 5321 4.5.3.2 asks for minutes, which the default of James, 180 s, honours);</li>
 *   <li>{@code writeTimeout}: for each write, a peer that stops reading during DATA included;</li>
 *   <li>{@code sessionLimit}: the whole session, greeting to QUIT;</li>
 *   <li>{@code maxReplyLineBytes}, {@code maxReplyLines}, {@code maxReplyBytes}: RFC 5321 4.5.3.1.5
 *       allows 512 octets a reply line; we take 4 KiB a line, 100 lines (an EHLO reply has a dozen) and
 *       64 KiB a reply.</li>
 * </ul>
 */
public final class SmtpLimits {
    public static final SmtpLimits DEFAULT = new SmtpLimits(
            Duration.ofSeconds(60),
            Duration.ofSeconds(180),
            Duration.ofSeconds(180),
            Duration.ofMinutes(30),
            4096,
            100,
            65536);

    private final Duration connectTimeout;
    private final Duration readTimeout;
    private final Duration writeTimeout;
    private final Duration sessionLimit;
    private final int maxReplyLineBytes;
    private final int maxReplyLines;
    private final int maxReplyBytes;

    private SmtpLimits(
            Duration connectTimeout,
            Duration readTimeout,
            Duration writeTimeout,
            Duration sessionLimit,
            int maxReplyLineBytes,
            int maxReplyLines,
            int maxReplyBytes) {
        this.connectTimeout = positive(connectTimeout, "connectTimeout");
        this.readTimeout = positive(readTimeout, "readTimeout");
        this.writeTimeout = positive(writeTimeout, "writeTimeout");
        this.sessionLimit = positive(sessionLimit, "sessionLimit");
        if (maxReplyLineBytes < 512 || maxReplyLines < 1 || maxReplyBytes < maxReplyLineBytes) {
            throw new IllegalArgumentException("a reply must be allowed 512 bytes a line (RFC 5321 4.5.3.1.5), a line,"
                    + " and a reply its longest line");
        }
        this.maxReplyLineBytes = maxReplyLineBytes;
        this.maxReplyLines = maxReplyLines;
        this.maxReplyBytes = maxReplyBytes;
    }

    private static Duration positive(Duration duration, String name) {
        Objects.requireNonNull(duration, name);
        if (duration.isNegative() || duration.isZero()) {
            throw new IllegalArgumentException(name + " must be positive, got " + duration);
        }
        return duration;
    }

    public SmtpLimits withConnectTimeout(Duration timeout) {
        return new SmtpLimits(
                timeout, readTimeout, writeTimeout, sessionLimit, maxReplyLineBytes, maxReplyLines, maxReplyBytes);
    }

    public SmtpLimits withReadTimeout(Duration timeout) {
        return new SmtpLimits(
                connectTimeout, timeout, writeTimeout, sessionLimit, maxReplyLineBytes, maxReplyLines, maxReplyBytes);
    }

    public SmtpLimits withWriteTimeout(Duration timeout) {
        return new SmtpLimits(
                connectTimeout, readTimeout, timeout, sessionLimit, maxReplyLineBytes, maxReplyLines, maxReplyBytes);
    }

    public SmtpLimits withSessionLimit(Duration limit) {
        return new SmtpLimits(
                connectTimeout, readTimeout, writeTimeout, limit, maxReplyLineBytes, maxReplyLines, maxReplyBytes);
    }

    public SmtpLimits withReplyBounds(int lineBytes, int lines, int replyBytes) {
        return new SmtpLimits(connectTimeout, readTimeout, writeTimeout, sessionLimit, lineBytes, lines, replyBytes);
    }

    public Duration connectTimeout() {
        return connectTimeout;
    }

    public Duration readTimeout() {
        return readTimeout;
    }

    public Duration writeTimeout() {
        return writeTimeout;
    }

    public Duration sessionLimit() {
        return sessionLimit;
    }

    public int maxReplyLineBytes() {
        return maxReplyLineBytes;
    }

    public int maxReplyLines() {
        return maxReplyLines;
    }

    public int maxReplyBytes() {
        return maxReplyBytes;
    }
}
