package dev.securedelivery.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.securedelivery.tlsrpt.PendingReport;
import dev.securedelivery.tlsrpt.ReportQueue;
import dev.securedelivery.tlsrpt.ReportQueueContract;
import java.time.Clock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The report queue in a real PostgreSQL: the contract, and what the nodes of a cluster see: one node
 * closes a period, one node sends a report at a time, a dead node's leases are taken over when they
 * end, and a report sent is never queued and sent again.
 */
class PostgresReportQueueTest extends ReportQueueContract {
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
    protected ReportQueue open(String node) throws Exception {
        return database.open(node, Clock.systemUTC()).reportQueue("cluster");
    }

    @Test
    void oneNodeClosesAPeriodUntilItsLeaseEnds() throws Exception {
        ReportQueue one = open("one");
        ReportQueue two = open("two");

        assertThat(one.claimClosing(PERIOD, NOW, LEASE)).isTrue();
        assertThat(two.claimClosing(PERIOD, NOW.plus(LEASE).minusSeconds(1), LEASE))
                .isFalse();
        // The holder may renew; a node after the lease takes over (the holder died half way).
        assertThat(one.claimClosing(PERIOD, NOW.plusSeconds(60), LEASE)).isTrue();
        assertThat(two.claimClosing(PERIOD, NOW.plusSeconds(60).plus(LEASE).plusSeconds(1), LEASE))
                .isTrue();

        two.closed(PERIOD);

        assertThat(one.isClosed(PERIOD)).isTrue();
        assertThat(one.claimClosing(PERIOD, NOW.plus(LEASE.multipliedBy(5)), LEASE))
                .isFalse();
    }

    @Test
    void oneNodeSendsAReportAtATimeAndADeadOnesIsTakenOver() throws Exception {
        ReportQueue one = open("one");
        ReportQueue two = open("two");
        one.add(report("dest.test"));

        assertThat(one.claimDue(NOW, LEASE)).hasSize(1);
        assertThat(two.claimDue(NOW, LEASE)).isEmpty();
        assertThat(two.claim(report("dest.test").fileName(), NOW, LEASE)).isEmpty();
        // "one" died while sending: after its lease, "two" sends it.
        assertThat(two.claimDue(NOW.plus(LEASE).plusSeconds(1), LEASE))
                .extracting(PendingReport::policyDomain)
                .containsExactly("dest.test");
    }

    @Test
    void aReportSentIsNotQueuedAgainByANodeThatClosesThePeriodAgain() throws Exception {
        ReportQueue one = open("one");
        PendingReport report = report("dest.test");
        one.add(report);
        one.remove(one.claimDue(NOW, LEASE).get(0));

        // A node that took over the half-closed period builds the same report again.
        open("two").add(report);

        assertThat(open("three").pending()).isEmpty();
        assertThat(open("three").claimDue(NOW.plus(LEASE.multipliedBy(10)), LEASE))
                .isEmpty();
    }

    @Test
    void theReportsOfTheClusterAreKnownByItsName() throws Exception {
        assertThat(open("one").reportScope()).isEqualTo("cluster");
        assertThat(open("two").reportScope()).isEqualTo("cluster");
    }
}
