package dev.securedelivery.smtp;

import java.net.InetAddress;
import java.util.Objects;
import java.util.Optional;

/**
 * How this server speaks SMTP to every MX: the name it greets with, the port (25 but for tests), the
 * local address it sends from ({@code bind} on a multi-homed server), the session bounds, whether a
 * message goes to the recipients a server took when it refused others ({@code sendpartial}), the
 * most recipients of one transaction, and the trace header stamped on each message, if any.
 */
public final class SmtpSettings {
    /**
     * The most recipients of one transaction by default: RFC 5321 4.5.3.1.8 has every server take at
     * least 100 (Postfix's {@code smtp_destination_recipient_limit} is 50).
     */
    public static final int DEFAULT_RECIPIENT_LIMIT = 100;

    private final String heloName;
    private final int port;
    private final InetAddress bindAddress;
    private final SmtpLimits limits;
    private final boolean sendPartial;
    private final int recipientLimit;
    private final String traceHeader;

    private SmtpSettings(
            String heloName,
            int port,
            InetAddress bindAddress,
            SmtpLimits limits,
            boolean sendPartial,
            int recipientLimit,
            String traceHeader) {
        this.heloName = Objects.requireNonNull(heloName, "heloName");
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("not a port: " + port);
        }
        this.port = port;
        this.bindAddress = bindAddress;
        this.limits = Objects.requireNonNull(limits, "limits");
        this.sendPartial = sendPartial;
        if (recipientLimit < 1) {
            throw new IllegalArgumentException(
                    "a transaction needs room for a recipient, got a limit of " + recipientLimit);
        }
        this.recipientLimit = recipientLimit;
        this.traceHeader = traceHeader;
    }

    /** Port 25, any local address, the default bounds, sendpartial off, 100 recipients a transaction, no trace header. */
    public static SmtpSettings of(String heloName) {
        return new SmtpSettings(heloName, 25, null, SmtpLimits.DEFAULT, false, DEFAULT_RECIPIENT_LIMIT, null);
    }

    public SmtpSettings withPort(int to) {
        return new SmtpSettings(heloName, to, bindAddress, limits, sendPartial, recipientLimit, traceHeader);
    }

    public SmtpSettings withBindAddress(InetAddress from) {
        return new SmtpSettings(heloName, port, from, limits, sendPartial, recipientLimit, traceHeader);
    }

    public SmtpSettings withLimits(SmtpLimits bounds) {
        return new SmtpSettings(heloName, port, bindAddress, bounds, sendPartial, recipientLimit, traceHeader);
    }

    public SmtpSettings withSendPartial(boolean partial) {
        return new SmtpSettings(heloName, port, bindAddress, limits, partial, recipientLimit, traceHeader);
    }

    /** At most {@code most} recipients in one transaction; more go into further transactions on the session. */
    public SmtpSettings withRecipientLimit(int most) {
        return new SmtpSettings(heloName, port, bindAddress, limits, sendPartial, most, traceHeader);
    }

    /** @param header a header to stamp each message with saying how it left, or null for none */
    public SmtpSettings withTraceHeader(String header) {
        return new SmtpSettings(heloName, port, bindAddress, limits, sendPartial, recipientLimit, header);
    }

    public String heloName() {
        return heloName;
    }

    public int port() {
        return port;
    }

    public Optional<InetAddress> bindAddress() {
        return Optional.ofNullable(bindAddress);
    }

    public SmtpLimits limits() {
        return limits;
    }

    public boolean sendPartial() {
        return sendPartial;
    }

    public int recipientLimit() {
        return recipientLimit;
    }

    public Optional<String> traceHeader() {
        return Optional.ofNullable(traceHeader);
    }
}
