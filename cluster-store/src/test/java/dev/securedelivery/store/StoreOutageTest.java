package dev.securedelivery.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.securedelivery.configuration.StoreConfiguration;
import dev.securedelivery.delivery.FailureCause;
import dev.securedelivery.posture.PostureHistory;
import dev.securedelivery.posture.Protection;
import dev.securedelivery.posture.Publication;
import dev.securedelivery.testing.PostgresServer;
import dev.securedelivery.testing.TestClock;
import dev.securedelivery.tlsrpt.ReportPeriod;
import dev.securedelivery.tlsrpt.ReportedPolicy;
import dev.securedelivery.tlsrpt.SessionCountStore;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A PostgreSQL of its own stopped while nodes count, then started again: counting never fails nor
 * waits for it, and once it is back every count is written, none twice; past the buffer's bound the
 * counts dropped are counted.
 */
class StoreOutageTest {
    private static final Duration DAY = Duration.ofDays(1);
    private final TestClock clock = new TestClock(Instant.parse("2026-12-07T10:00:00Z"));
    private PostgresServer server;
    private PostgresStore store;

    @BeforeEach
    void start() throws Exception {
        Optional<String> missing = PostgresServer.unavailableReason();
        if (missing.isPresent() && PostgresServer.required()) {
            throw new IllegalStateException("PostgreSQL is required here: " + missing.get());
        }
        Assumptions.assumeTrue(missing.isEmpty(), () -> "skipped: " + missing.orElse(""));
        server = PostgresServer.start();
        StoreConfiguration.Postgres settings = StoreConfiguration.Postgres.of(
                        server.host(),
                        server.port(),
                        server.createDatabase(),
                        PostgresServer.SUPERUSER,
                        PostgresServer.PASSWORD)
                .withTimeouts(Duration.ofSeconds(1), Duration.ofSeconds(2));
        store = PostgresStore.open(settings, "one", clock, Duration.ofMillis(200), 3);
    }

    @AfterEach
    void stop() throws Exception {
        if (store != null) {
            store.close();
        }
        if (server != null) {
            server.close();
        }
    }

    @Test
    void countsTakenWhileTheDatabaseIsDownAreWrittenWhenItIsBackAndNoneTwice() throws Exception {
        SessionCountStore sessions = store.sessionCounts(DAY);
        PostureHistory posture = store.posture(90, 1000);
        ReportedPolicy policy = ReportedPolicy.noPolicyFound("dest.test");
        sessions.success(policy, clock.instant());
        posture.delivered("dest.test", Protection.TLS, Publication.UNKNOWN);
        await().atMost(Duration.ofSeconds(10)).until(() -> written(sessions, policy) == 1);

        server.stop();
        for (int i = 0; i < 10; i++) {
            sessions.success(policy, clock.instant());
            posture.delivered("dest.test", Protection.TLS, Publication.UNKNOWN);
        }
        posture.deferred("dest.test", FailureCause.TLSA_INVALID, Publication.UNKNOWN);
        // Several writes fail meanwhile; nothing is lost or counted twice for that.
        await().atMost(Duration.ofSeconds(10)).until(() -> store.health().isDown());
        Thread.sleep(1_000);
        server.startServer();

        await().atMost(Duration.ofSeconds(30)).until(() -> written(sessions, policy) == 11);
        assertThat(store.health().isDown()).isFalse();
        LocalDate today = LocalDate.parse("2026-12-07");
        assertThat(posture.between(today, today).get(today).get("dest.test").delivered(Protection.TLS))
                .isEqualTo(11);
        assertThat(posture.between(today, today).get(today).get("dest.test").deferred())
                .containsEntry(FailureCause.TLSA_INVALID, 1L);
    }

    @Test
    void pastTheBufferBoundNewDomainsAreDroppedAndCountedAndTheRestWritten() throws Exception {
        PostureHistory posture = store.posture(90, 1000);
        server.stop();
        // The buffer holds 3 domain-days.
        for (String domain : new String[] {"a.test", "b.test", "c.test", "d.test", "e.test"}) {
            posture.delivered(domain, Protection.DANE, Publication.UNKNOWN);
        }
        posture.delivered("a.test", Protection.DANE, Publication.UNKNOWN);
        server.startServer();

        LocalDate today = LocalDate.parse("2026-12-07");
        await().atMost(Duration.ofSeconds(30))
                .untilAsserted(() -> assertThat(posture.between(today, today).get(today))
                        .containsOnlyKeys("a.test", "b.test", "c.test"));
        assertThat(posture.between(today, today).get(today).get("a.test").delivered(Protection.DANE))
                .isEqualTo(2);
    }

    // What the database holds for policy, without this node's unwritten counts.
    private long written(SessionCountStore sessions, ReportedPolicy policy) {
        try (PostgresStore reader =
                PostgresStore.open(store.settingsForTests(), "reader", clock, Duration.ofHours(1), 1000)) {
            var results = reader.sessionCounts(DAY)
                    .of(ReportPeriod.containing(clock.instant(), DAY), "dest.test")
                    .get(policy);
            return results == null ? 0 : results.successfulSessions();
        } catch (Exception e) {
            return -1;
        }
    }
}
