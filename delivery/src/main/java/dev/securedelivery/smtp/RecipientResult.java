package dev.securedelivery.smtp;

import dev.securedelivery.peertext.PeerText;
import java.util.Locale;
import java.util.Objects;

/**
 * What one SMTP session did for one recipient: the server accepted the message for it (the reply to
 * the end of DATA was 2xx), refused it for good (a 5xx to its RCPT, or to the transaction it was
 * in), or it was not sent (a 4xx, or the session ended first). Each with the status and the reason.
 */
public final class RecipientResult {
    /** What the server did. */
    public enum Kind {
        ACCEPTED,
        REFUSED,
        NOT_SENT
    }

    private final String recipient;
    private final Kind kind;
    private final EnhancedStatus status;
    private final String reason;

    private RecipientResult(String recipient, Kind kind, EnhancedStatus status, String reason) {
        this.recipient = Objects.requireNonNull(recipient, "recipient");
        this.kind = Objects.requireNonNull(kind, "kind");
        this.status = Objects.requireNonNull(status, "status");
        this.reason = PeerText.clean(reason);
    }

    static RecipientResult accepted(String recipient, SmtpReply reply) {
        return new RecipientResult(recipient, Kind.ACCEPTED, reply.status(), reply.toString());
    }

    /** Refused for good: {@code status} is permanent. */
    static RecipientResult refused(String recipient, EnhancedStatus status, String reason) {
        if (!status.isPermanent()) {
            throw new IllegalArgumentException("a refusal needs a permanent status, got " + status);
        }
        return new RecipientResult(recipient, Kind.REFUSED, status, reason);
    }

    static RecipientResult notSent(String recipient, EnhancedStatus status, String reason) {
        return new RecipientResult(recipient, Kind.NOT_SENT, status, reason);
    }

    public String recipient() {
        return recipient;
    }

    public Kind kind() {
        return kind;
    }

    /** The server's status, or ours where the session ended before the server said anything of this recipient. */
    public EnhancedStatus status() {
        return status;
    }

    /** What happened, cleaned for logs and DSNs. */
    public String reason() {
        return reason;
    }

    @Override
    public String toString() {
        return recipient + " " + kind.name().toLowerCase(Locale.ROOT) + " " + status + " " + reason;
    }
}
