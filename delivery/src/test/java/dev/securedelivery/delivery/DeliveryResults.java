package dev.securedelivery.delivery;

import dev.securedelivery.policy.DomainName;
import dev.securedelivery.smtp.EnhancedStatus;
import java.util.ArrayList;
import java.util.List;

/** Delivery results as DomainDelivery gives them, for tests of what consumes them (shared through this module's test jar). */
public final class DeliveryResults {
    private DeliveryResults() {}

    /** Every recipient deferred with 4.4.1 (no answer from host), no plan, no attempt. */
    public static DeliveryResult allDeferred(String domain, List<String> recipients) {
        List<RecipientFate> fates = new ArrayList<>();
        for (String recipient : recipients) {
            fates.add(RecipientFate.deferred(
                    recipient, EnhancedStatus.transientFailure(4, 1), "no answer from the MX", null, null));
        }
        return new DeliveryResult(DomainName.of(domain), fates, null, List.of(), false);
    }
}
