package dev.securedelivery.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.securedelivery.tlsrpt.InboundReportStore;
import dev.securedelivery.tlsrpt.InboundReportStoreContract;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The inbound reports in a real PostgreSQL: the contract, and the cluster's view: a report one node
 * took is every node's, and the same report taken by another node is a duplicate.
 */
class PostgresInboundReportsTest extends InboundReportStoreContract {
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
    protected InboundReportStore open(int maxReports) throws Exception {
        return database.open("one", clock).inboundReports(Duration.ofDays(90), maxReports, 64L * 1024 * 1024);
    }

    @Test
    void aReportOneNodeTookIsEveryNodesAndADuplicateOnAnother() throws Exception {
        InboundReportStore a = database.open("a", clock).inboundReports(Duration.ofDays(90), 100, 1 << 20);
        InboundReportStore b = database.open("b", clock).inboundReports(Duration.ofDays(90), 100, 1 << 20);

        assertThat(a.store(report("Big Mail", "r-1", "ours.test", 42))).isEqualTo(InboundReportStore.Outcome.STORED);
        assertThat(b.store(report("Big Mail", "r-1", "ours.test", 42))).isEqualTo(InboundReportStore.Outcome.DUPLICATE);

        assertThat(b.list(DAY_START, DAY_END)).singleElement().satisfies(kept -> {
            assertThat(kept.report().organizationName()).isEqualTo("Big Mail");
            assertThat(kept.report().successfulSessions()).isEqualTo(42);
        });
    }

    @Test
    void aReportLargerThanTheBoundIsNotKept() throws Exception {
        InboundReportStore small = database.open("a", clock).inboundReports(Duration.ofDays(90), 100, 100);

        assertThat(small.store(report("A", "1", "ours.test", 1))).isEqualTo(InboundReportStore.Outcome.TOO_LARGE);
        assertThat(small.size()).isZero();
    }
}
