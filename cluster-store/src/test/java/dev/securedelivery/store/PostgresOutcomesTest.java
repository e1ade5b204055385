package dev.securedelivery.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.securedelivery.delivery.DeliveryOutcomes;
import dev.securedelivery.delivery.FailureCause;
import dev.securedelivery.delivery.Fate;
import dev.securedelivery.delivery.OutcomesByNode;
import dev.securedelivery.delivery.OutcomesByNodeContract;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The delivery outcomes in a real PostgreSQL: the contract, and the cluster's view: another node's
 * counts as it last wrote them, its later counts after its next write, and a node started again
 * counting afresh.
 */
class PostgresOutcomesTest extends OutcomesByNodeContract {
    private TestDatabase database;

    @BeforeEach
    void createDatabase() throws Exception {
        database = TestDatabase.create();
    }

    @AfterEach
    void closeStores() {
        database.close();
    }

    @Override
    protected OutcomesByNode open(String node, DeliveryOutcomes outcomes) throws Exception {
        return database.open(node, clock, Duration.ofHours(1), 1000).outcomes(outcomes, 100);
    }

    @Test
    void everyNodeSeesTheOthersCountsAsTheyLastWroteThem() throws Exception {
        DeliveryOutcomes first = new DeliveryOutcomes(clock, 100);
        PostgresStore firstStore = database.open("first", clock, Duration.ofHours(1), 1000);
        PostgresOutcomes firstNodes = firstStore.outcomes(first, 100);
        DeliveryOutcomes second = new DeliveryOutcomes(clock, 100);
        PostgresOutcomes secondNodes =
                database.open("second", clock, Duration.ofHours(1), 1000).outcomes(second, 100);
        first.message("a.example", Fate.DELIVERED);
        first.message("a.example", Fate.DELIVERED);
        second.message("a.example", Fate.DEFERRED);
        second.planFailure("a.example", Optional.of(dev.securedelivery.tlsrpt.ResultType.DANE_REQUIRED), "why");

        // Not written yet: each node sees only itself.
        assertThat(secondNodes.read()).containsOnlyKeys("second");
        firstNodes.flush();
        secondNodes.flush();

        SortedMap<String, OutcomesByNode.NodeOutcomes> fromSecond = secondNodes.read();
        assertThat(fromSecond).containsOnlyKeys("first", "second");
        DeliveryOutcomes.DomainOutcomes total = OutcomesByNode.total(fromSecond).get("a.example");
        assertThat(total.messages()).containsExactlyInAnyOrderEntriesOf(Map.of(Fate.DELIVERED, 2L, Fate.DEFERRED, 1L));
        assertThat(total.failures()).containsExactly(Map.entry(FailureCause.DANE_REQUIRED, 1L));
        assertThat(total.lastAttempt()).contains("why");

        // Written whole again: the new count replaces the old, it is not added to it.
        first.message("a.example", Fate.BOUNCED);
        firstNodes.flush();
        assertThat(secondNodes.read().get("first").domains().get("a.example").messages())
                .containsExactlyInAnyOrderEntriesOf(Map.of(Fate.DELIVERED, 2L, Fate.BOUNCED, 1L));

        // The first node starts again: its counts start again with it.
        firstStore.close();
        DeliveryOutcomes restarted = new DeliveryOutcomes(clock, 100);
        PostgresOutcomes again =
                database.open("first", clock, Duration.ofHours(1), 1000).outcomes(restarted, 100);
        restarted.message("b.example", Fate.DELIVERED);
        again.flush();
        assertThat(secondNodes.read().get("first").domains()).containsOnlyKeys("b.example");
    }

    @Test
    void aReadTakesAtMostTheBoundOfDomainsPerNode() throws Exception {
        DeliveryOutcomes first = new DeliveryOutcomes(clock, 1000);
        PostgresOutcomes firstNodes =
                database.open("first", clock, Duration.ofHours(1), 1000).outcomes(first, 1000);
        for (int i = 0; i < 30; i++) {
            first.message("d" + i + ".example", Fate.DELIVERED);
        }
        firstNodes.flush();
        PostgresOutcomes reader =
                database.open("reader", clock, Duration.ofHours(1), 1000).outcomes(new DeliveryOutcomes(clock, 10), 10);

        assertThat(reader.read().get("first").domains()).hasSize(10);
    }
}
