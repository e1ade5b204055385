package dev.securedelivery.smtp;

import java.net.InetAddress;
import java.util.Objects;
import java.util.Optional;

/**
 * How this server speaks SMTP to every MX: the name it greets with, the port (25 but for tests), the
 * local address it sends from ({@code bind} on a multi-homed server), the session bounds, whether a
 * message goes to the recipients a server took when it refused others ({@code sendpartial}), and
 * the trace header stamped on each message, if any.
 */
public final class SmtpSettings {
    private final String heloName;
    private final int port;
    private final InetAddress bindAddress;
    private final SmtpLimits limits;
    private final boolean sendPartial;
    private final String traceHeader;

    private SmtpSettings(
            String heloName,
            int port,
            InetAddress bindAddress,
            SmtpLimits limits,
            boolean sendPartial,
            String traceHeader) {
        this.heloName = Objects.requireNonNull(heloName, "heloName");
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("not a port: " + port);
        }
        this.port = port;
        this.bindAddress = bindAddress;
        this.limits = Objects.requireNonNull(limits, "limits");
        this.sendPartial = sendPartial;
        this.traceHeader = traceHeader;
    }

    /** Port 25, any local address, the default bounds, sendpartial off, no trace header. */
    public static SmtpSettings of(String heloName) {
        return new SmtpSettings(heloName, 25, null, SmtpLimits.DEFAULT, false, null);
    }

    public SmtpSettings withPort(int to) {
        return new SmtpSettings(heloName, to, bindAddress, limits, sendPartial, traceHeader);
    }

    public SmtpSettings withBindAddress(InetAddress from) {
        return new SmtpSettings(heloName, port, from, limits, sendPartial, traceHeader);
    }

    public SmtpSettings withLimits(SmtpLimits bounds) {
        return new SmtpSettings(heloName, port, bindAddress, bounds, sendPartial, traceHeader);
    }

    public SmtpSettings withSendPartial(boolean partial) {
        return new SmtpSettings(heloName, port, bindAddress, limits, partial, traceHeader);
    }

    /** @param header a header to stamp each message with saying how it left, or null for none */
    public SmtpSettings withTraceHeader(String header) {
        return new SmtpSettings(heloName, port, bindAddress, limits, sendPartial, header);
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

    public Optional<String> traceHeader() {
        return Optional.ofNullable(traceHeader);
    }
}
