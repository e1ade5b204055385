package dev.securedelivery.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.securedelivery.tlsrpt.PolicyResults;
import dev.securedelivery.tlsrpt.ReportPeriod;
import dev.securedelivery.tlsrpt.ReportedPolicy;
import dev.securedelivery.tlsrpt.SessionCountStore;
import dev.securedelivery.tlsrpt.SessionCountStoreContract;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The session counts in a real PostgreSQL: the contract, and what the nodes of a cluster see: every
 * node's sessions added up, none lost when they write at once, none counted twice, and none let into
 * a period whose reports another node has begun to build.
 */
class PostgresSessionCountsTest extends SessionCountStoreContract {
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
    protected SessionCountStore open(String node) throws Exception {
        return database.open(node, Clock.systemUTC()).sessionCounts(DAY);
    }

    @Test
    void everyNodesSessionsAddUp() throws Exception {
        PostgresStore one = database.open("one", Clock.systemUTC());
        PostgresStore two = database.open("two", Clock.systemUTC());
        SessionCountStore a = one.sessionCounts(DAY);
        SessionCountStore b = two.sessionCounts(DAY);
        a.success(DEST, MORNING);
        a.success(DEST, MORNING);
        a.failure(DEST, EXPIRED, MORNING);
        b.success(DEST, MORNING);
        b.failure(DEST, EXPIRED, MORNING);
        b.success(OTHER, MORNING);
        a.close();
        b.close();

        ReportPeriod period = ReportPeriod.containing(MORNING, DAY);
        SessionCountStore reader = database.open("three", Clock.systemUTC()).sessionCounts(DAY);
        PolicyResults dest = reader.of(period, "dest.test").get(DEST);
        assertThat(dest.successfulSessions()).isEqualTo(3);
        assertThat(dest.failureDetails()).containsEntry(EXPIRED, 2L);
        assertThat(reader.domains(period)).containsExactly("dest.test", "other.test");
    }

    @Test
    void noUpdateIsLostWhenNodesWriteAtOnce() throws Exception {
        // Two nodes, four threads each counting 500 sessions, writing every 50 ms meanwhile.
        List<SessionCountStore> nodes = List.of(
                database.open("one", Clock.systemUTC(), Duration.ofMillis(50), 100_000)
                        .sessionCounts(DAY),
                database.open("two", Clock.systemUTC(), Duration.ofMillis(50), 100_000)
                        .sessionCounts(DAY));
        ExecutorService threads = Executors.newFixedThreadPool(8);
        List<Future<?>> counting = new ArrayList<>();
        for (SessionCountStore node : nodes) {
            for (int thread = 0; thread < 4; thread++) {
                counting.add(threads.submit(() -> {
                    for (int i = 0; i < 500; i++) {
                        node.success(DEST, MORNING.plusSeconds(i));
                        if (i % 10 == 0) {
                            node.failure(DEST, EXPIRED, MORNING.plusSeconds(i));
                        }
                    }
                }));
            }
        }
        for (Future<?> done : counting) {
            done.get(60, TimeUnit.SECONDS);
        }
        threads.shutdown();
        for (SessionCountStore node : nodes) {
            node.close();
        }

        PolicyResults results = database.open("reader", Clock.systemUTC())
                .sessionCounts(DAY)
                .of(ReportPeriod.containing(MORNING, DAY), "dest.test")
                .get(DEST);
        assertThat(results.successfulSessions()).isEqualTo(2 * 4 * 500);
        assertThat(results.failedSessions()).isEqualTo(2 * 4 * 50);
    }

    @Test
    void sessionsBroughtAfterAnotherNodeBeganClosingThePeriodAreLateNotReported() throws Exception {
        PostgresStore one = database.open("one", Clock.systemUTC());
        PostgresStore two = database.open("two", Clock.systemUTC());
        SessionCountStore a = one.sessionCounts(DAY);
        a.success(DEST, MORNING);
        a.close();
        ReportPeriod period = ReportPeriod.containing(MORNING, DAY);
        assertThat(one.reportQueue("cluster").claimClosing(period, MORNING.plus(DAY), Duration.ofMinutes(10)))
                .isTrue();

        SessionCountStore b = two.sessionCounts(DAY);
        b.success(DEST, MORNING.plusSeconds(5));
        b.close();

        SessionCountStore reader = database.open("reader", Clock.systemUTC()).sessionCounts(DAY);
        assertThat(reader.of(period, "dest.test").get(DEST).successfulSessions())
                .isEqualTo(1);
        assertThat(late(period)).isEqualTo(1);
    }

    @Test
    void aPeriodIsClosedOnlyAfterEveryNodeHadTimeToWrite() throws Exception {
        SessionCountStore counts = database.open("one", Clock.systemUTC()).sessionCounts(DAY);

        assertThat(counts.settleTime()).isGreaterThanOrEqualTo(Duration.ofSeconds(3));
    }

    @Test
    void aPolicyPastTheDomainsBoundIsCountedAsNotCounted() throws Exception {
        SessionCountStore counts = database.open("one", Clock.systemUTC()).sessionCounts(DAY);
        for (int i = 0; i <= PostgresSessionCounts.MAX_POLICIES; i++) {
            counts.success(ReportedPolicy.tlsa("dest.test", "mx" + i + ".dest.test", List.of("3 1 1 " + i)), MORNING);
        }
        counts.close();

        ReportPeriod period = ReportPeriod.containing(MORNING, DAY);
        SessionCountStore reader = database.open("reader", Clock.systemUTC()).sessionCounts(DAY);
        long counted = reader.of(period, "dest.test").values().stream()
                .mapToLong(PolicyResults::successfulSessions)
                .sum();
        assertThat(counted + reader.uncounted(period)).isEqualTo(PostgresSessionCounts.MAX_POLICIES + 1);
        assertThat(reader.of(period, "dest.test")).hasSizeLessThanOrEqualTo(PostgresSessionCounts.MAX_POLICIES);
    }

    private long late(ReportPeriod period) throws Exception {
        try (java.sql.Connection connection =
                        database.open("late", Clock.systemUTC()).connection();
                java.sql.PreparedStatement select =
                        connection.prepareStatement("SELECT late FROM tlsrpt_periods WHERE period_start = ?")) {
            select.setLong(1, period.start().getEpochSecond());
            try (java.sql.ResultSet rows = select.executeQuery()) {
                rows.next();
                return rows.getLong(1);
            }
        }
    }
}
