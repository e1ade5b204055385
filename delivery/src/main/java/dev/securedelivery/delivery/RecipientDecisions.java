package dev.securedelivery.delivery;

import dev.securedelivery.policy.DeliveryPlan;
import dev.securedelivery.smtp.DeliveryAttempt;
import dev.securedelivery.smtp.EnhancedStatus;
import dev.securedelivery.tlsrpt.ResultType;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The fates {@link DomainDelivery} decided so far for one envelope's recipients, each recipient at
 * most once (a deferral may be overtaken by the RFC 8461 5.1 retry; a final fate never is), and the
 * attempts that decided them: at the end, every recipient has one.
 */
final class RecipientDecisions {
    private final Envelope envelope;
    private final Map<String, RecipientFate> fates = new LinkedHashMap<>();
    final List<DeliveryAttempt> attempts = new ArrayList<>();
    boolean interrupted;

    RecipientDecisions(Envelope envelope) {
        this.envelope = envelope;
    }

    void decide(RecipientFate fate) {
        RecipientFate earlier = fates.get(fate.recipient());
        // A deferral may be overtaken by a later try (the RFC 8461 5.1 retry); a final fate never is.
        if (earlier != null && earlier.fate() != Fate.DEFERRED) {
            throw new IllegalStateException(fate.recipient() + " already has its fate: " + earlier);
        }
        fates.put(fate.recipient(), fate);
    }

    List<String> undecidedOf(List<String> recipients) {
        List<String> undecided = new ArrayList<>();
        for (String recipient : recipients) {
            RecipientFate fate = fates.get(recipient);
            if (fate == null) {
                undecided.add(recipient);
            }
        }
        return undecided;
    }

    // Deferred recipients tried once more in the same delivery.
    void reopen(List<String> deferred) {
        deferred.forEach(fates::remove);
    }

    List<String> deferred() {
        List<String> deferred = new ArrayList<>();
        fates.forEach((recipient, fate) -> {
            if (fate.fate() == Fate.DEFERRED) {
                deferred.add(recipient);
            }
        });
        return deferred;
    }

    void deferUndecided(EnhancedStatus status, String cause, ResultType type, DeliveryAttempt attempt) {
        for (String recipient : undecidedOf(envelope.recipients())) {
            decide(RecipientFate.deferred(recipient, status, cause, type, attempt));
        }
    }

    RecipientDecisions deferAll(EnhancedStatus status, String cause, ResultType type) {
        deferUndecided(status, cause, type, null);
        return this;
    }

    RecipientDecisions bounceAll(EnhancedStatus status, String cause) {
        for (String recipient : undecidedOf(envelope.recipients())) {
            decide(RecipientFate.bounced(recipient, status, cause, null, null));
        }
        return this;
    }

    DeliveryResult finish(DeliveryPlan plan) {
        deferUndecided(EnhancedStatus.TRANSIENT, "not tried", null, null);
        List<RecipientFate> ordered = new ArrayList<>();
        for (String recipient : envelope.recipients()) {
            ordered.add(fates.get(recipient));
        }
        return new DeliveryResult(envelope.destination(), ordered, plan, attempts, interrupted);
    }
}
