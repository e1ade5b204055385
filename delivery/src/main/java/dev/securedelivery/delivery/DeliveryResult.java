package dev.securedelivery.delivery;

import dev.securedelivery.policy.DeliveryPlan;
import dev.securedelivery.policy.DomainName;
import dev.securedelivery.smtp.DeliveryAttempt;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * How one delivery of one message to one domain ended: a fate for every recipient of the envelope,
 * exactly one each, in the envelope's order; the plan it followed, if one could be made; and every
 * attempt, in order. {@linkplain #interrupted() Interrupted} (the server shutting down) means the
 * deferred recipients were cut off, not tried: no retry should be counted for them.
 */
public final class DeliveryResult {
    private final DomainName domain;
    private final List<RecipientFate> fates;
    private final DeliveryPlan plan;
    private final List<DeliveryAttempt> attempts;
    private final boolean interrupted;

    DeliveryResult(
            DomainName domain,
            List<RecipientFate> fates,
            DeliveryPlan plan,
            List<DeliveryAttempt> attempts,
            boolean interrupted) {
        this.domain = Objects.requireNonNull(domain, "domain");
        this.fates = List.copyOf(fates);
        this.plan = plan;
        this.attempts = List.copyOf(attempts);
        this.interrupted = interrupted;
    }

    public DomainName domain() {
        return domain;
    }

    /** One fate per recipient of the envelope. */
    public List<RecipientFate> fates() {
        return fates;
    }

    public List<RecipientFate> withFate(Fate fate) {
        List<RecipientFate> some = new ArrayList<>();
        for (RecipientFate recipient : fates) {
            if (recipient.fate() == fate) {
                some.add(recipient);
            }
        }
        return some;
    }

    public Optional<DeliveryPlan> plan() {
        return Optional.ofNullable(plan);
    }

    public List<DeliveryAttempt> attempts() {
        return attempts;
    }

    /** The last attempt that delivered to some recipient, if any. */
    public Optional<DeliveryAttempt> delivering() {
        for (int i = attempts.size() - 1; i >= 0; i--) {
            if (attempts.get(i).outcome() == DeliveryAttempt.Outcome.DELIVERED) {
                return Optional.of(attempts.get(i));
            }
        }
        return Optional.empty();
    }

    public boolean interrupted() {
        return interrupted;
    }
}
