package dev.securedelivery.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The contract for a node that works alone, and how two nodes' counts add up. */
class ThisNodeOnlyOutcomesTest extends OutcomesByNodeContract {
    @Override
    protected OutcomesByNode open(String node, DeliveryOutcomes outcomes) {
        return OutcomesByNode.thisNodeOnly(node, outcomes);
    }

    @Test
    void twoNodesCountsAddUpWithTheLaterLastAttempt() {
        DeliveryOutcomes.DomainOutcomes one = DeliveryOutcomes.DomainOutcomes.of(
                Map.of(),
                Map.of(FailureCause.TLSA_INVALID, 2L),
                Map.of(Fate.DEFERRED, 2L),
                Instant.parse("2026-03-10T12:00:00Z"),
                "first");
        DeliveryOutcomes.DomainOutcomes two = DeliveryOutcomes.DomainOutcomes.of(
                Map.of(),
                Map.of(FailureCause.TLSA_INVALID, 1L, FailureCause.NULL_MX, 1L),
                Map.of(Fate.DELIVERED, 1L),
                Instant.parse("2026-03-10T12:05:00Z"),
                "second");

        DeliveryOutcomes.DomainOutcomes total = OutcomesByNode.total(Map.of(
                        "one", new OutcomesByNode.NodeOutcomes(Instant.EPOCH, Map.of("a.example", one)),
                        "two", new OutcomesByNode.NodeOutcomes(Instant.EPOCH, Map.of("a.example", two))))
                .get("a.example");

        assertThat(total.failures())
                .containsExactlyInAnyOrderEntriesOf(Map.of(FailureCause.TLSA_INVALID, 3L, FailureCause.NULL_MX, 1L));
        assertThat(total.messages()).containsExactlyInAnyOrderEntriesOf(Map.of(Fate.DEFERRED, 2L, Fate.DELIVERED, 1L));
        assertThat(total.lastAttempt()).contains("second");
        assertThat(one.plus(two).lastAttempt()).contains("second");
        assertThat(two.plus(one).lastAttempt()).contains("second");
    }
}
