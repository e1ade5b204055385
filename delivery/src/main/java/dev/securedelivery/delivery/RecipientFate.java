package dev.securedelivery.delivery;

import dev.securedelivery.peertext.PeerText;
import dev.securedelivery.smtp.DeliveryAttempt;
import dev.securedelivery.smtp.EnhancedStatus;
import dev.securedelivery.tlsrpt.ResultType;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * The fate of one recipient, with its enhanced status code (a value: 2.x.x delivered, 4.x.x
 * deferred, 5.x.x bounced), the cause in words, the RFC 8460 result type where the TLS policy was
 * the cause, and the attempt that decided, if one did.
 */
public final class RecipientFate {
    private final String recipient;
    private final Fate fate;
    private final EnhancedStatus status;
    private final String cause;
    private final ResultType resultType;
    private final DeliveryAttempt attempt;

    private RecipientFate(
            String recipient,
            Fate fate,
            EnhancedStatus status,
            String cause,
            ResultType resultType,
            DeliveryAttempt attempt) {
        this.recipient = Objects.requireNonNull(recipient, "recipient");
        this.fate = Objects.requireNonNull(fate, "fate");
        this.status = Objects.requireNonNull(status, "status");
        int expectedClass = fate == Fate.DELIVERED ? 2 : fate == Fate.DEFERRED ? 4 : 5;
        if (status.statusClass() != expectedClass) {
            throw new IllegalArgumentException(fate + " needs a status of class " + expectedClass + ", got " + status);
        }
        this.cause = PeerText.clean(cause);
        this.resultType = resultType;
        this.attempt = attempt;
    }

    static RecipientFate delivered(String recipient, EnhancedStatus status, String reply, DeliveryAttempt attempt) {
        return new RecipientFate(recipient, Fate.DELIVERED, status, reply, null, attempt);
    }

    static RecipientFate deferred(
            String recipient, EnhancedStatus status, String cause, ResultType type, DeliveryAttempt attempt) {
        return new RecipientFate(recipient, Fate.DEFERRED, status.asTransient(), cause, type, attempt);
    }

    static RecipientFate bounced(
            String recipient, EnhancedStatus status, String cause, ResultType type, DeliveryAttempt attempt) {
        return new RecipientFate(recipient, Fate.BOUNCED, status.asPermanent(), cause, type, attempt);
    }

    /** This deferred recipient given up on: bounced with the same subject and detail (RFC 3463 3.1). */
    public RecipientFate givenUp(String why) {
        if (fate != Fate.DEFERRED) {
            throw new IllegalStateException(recipient + " is " + fate + ", not deferred");
        }
        return new RecipientFate(
                recipient, Fate.BOUNCED, status.asPermanent(), cause + " (" + why + ")", resultType, attempt);
    }

    public String recipient() {
        return recipient;
    }

    public Fate fate() {
        return fate;
    }

    public EnhancedStatus status() {
        return status;
    }

    /** Why, in words, cleaned: for logs and the human part of a DSN. */
    public String cause() {
        return cause;
    }

    public Optional<ResultType> resultType() {
        return Optional.ofNullable(resultType);
    }

    /** The attempt that decided this fate, if a connection did. */
    public Optional<DeliveryAttempt> attempt() {
        return Optional.ofNullable(attempt);
    }

    @Override
    public String toString() {
        return recipient + " " + fate.name().toLowerCase(Locale.ROOT) + " " + status + " " + cause;
    }
}
