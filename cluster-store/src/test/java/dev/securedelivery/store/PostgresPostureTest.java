package dev.securedelivery.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.securedelivery.delivery.FailureCause;
import dev.securedelivery.posture.DomainPosture;
import dev.securedelivery.posture.PostureHistory;
import dev.securedelivery.posture.PostureHistoryContract;
import dev.securedelivery.posture.Protection;
import dev.securedelivery.posture.Publication;
import java.time.LocalDate;
import java.util.SortedMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The posture history in a real PostgreSQL: the contract, and the cluster's view: every node's counts
 * added up, each node's shown apart where asked, what a domain publishes merged.
 */
class PostgresPostureTest extends PostureHistoryContract {
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
    protected PostureHistory open(String node, int retentionDays, int maxDomainsPerDay) throws Exception {
        return database.open(node, clock).posture(retentionDays, maxDomainsPerDay);
    }

    @Test
    void everyNodesCountsAddUpAndEachNodesAreShownApart() throws Exception {
        PostureHistory one = open("one", 90, 100);
        PostureHistory two = open("two", 90, 100);
        one.delivered("a.example", Protection.DANE, Publication.UNKNOWN);
        one.delivered("a.example", Protection.DANE, Publication.UNKNOWN);
        two.delivered("a.example", Protection.DANE, STS_ONLY);
        two.deferred("a.example", FailureCause.TLSA_INVALID, Publication.UNKNOWN);
        one.close();
        two.close();

        PostureHistory reader = open("reader", 90, 100);
        DomainPosture total = reader.between(DAY, DAY).get(DAY).get("a.example");
        assertThat(total.delivered(Protection.DANE)).isEqualTo(3);
        assertThat(total.deferred()).containsEntry(FailureCause.TLSA_INVALID, 1L);
        assertThat(total.publication()).isEqualTo(STS_ONLY);
        SortedMap<String, SortedMap<LocalDate, SortedMap<String, DomainPosture>>> nodes = reader.byNode(DAY, DAY);
        assertThat(nodes.keySet()).contains("one", "two");
        assertThat(nodes.get("one").get(DAY).get("a.example").delivered(Protection.DANE))
                .isEqualTo(2);
        assertThat(nodes.get("two").get(DAY).get("a.example").delivered(Protection.DANE))
                .isEqualTo(1);
    }

    @Test
    void aNodesCountsNotYetWrittenAreInItsOwnView() throws Exception {
        PostureHistory one =
                database.open("one", clock, java.time.Duration.ofHours(1), 1000).posture(90, 100);
        one.delivered("a.example", Protection.TLS, Publication.UNKNOWN);

        assertThat(one.between(DAY, DAY).get(DAY).get("a.example").delivered(Protection.TLS))
                .isEqualTo(1);
        assertThat(open("other", 90, 100).between(DAY, DAY)).isEmpty();
    }
}
