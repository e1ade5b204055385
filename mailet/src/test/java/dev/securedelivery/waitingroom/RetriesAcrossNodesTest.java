package dev.securedelivery.waitingroom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.securedelivery.testing.PostgresServer;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two nodes on one queue that drops delays, one mail repository and one PostgreSQL (the shared store
 * of {@code store.kind = postgres}): the waiting list is the cluster's, so whichever node deferred a
 * message, exactly one node puts it back when it is due; each attempt comes no earlier than its
 * delay, none twice, and the message arrives once. Either node's view shows what waits.
 */
class RetriesAcrossNodesTest {
    private static PostgresServer postgres;

    private final DelayDroppingQueues queues = new DelayDroppingQueues();
    private final SingleRepositoryStore repositories = new SingleRepositoryStore();
    private DeferringDestination destination;

    @BeforeAll
    static void startPostgres() throws Exception {
        Optional<String> missing = PostgresServer.unavailableReason();
        if (missing.isPresent() && PostgresServer.required()) {
            throw new IllegalStateException("PostgreSQL is required here: " + missing.get());
        }
        Assumptions.assumeTrue(missing.isEmpty(), () -> "skipped: " + missing.orElse(""));
        postgres = PostgresServer.start();
    }

    @AfterAll
    static void stopPostgres() throws Exception {
        if (postgres != null) {
            postgres.close();
        }
    }

    @AfterEach
    void stopTheWorld() throws Exception {
        if (destination != null) {
            destination.close();
        }
    }

    @Test
    void exactlyOneNodePutsEachDueMessageBackAndItArrivesOnce(@TempDir Path directory) throws Exception {
        Properties shared = new Properties();
        shared.setProperty("store.kind", "postgres");
        shared.setProperty("store.node-name", "first");
        shared.setProperty("store.postgres.host", postgres.host());
        shared.setProperty("store.postgres.port", String.valueOf(postgres.port()));
        shared.setProperty("store.postgres.database", postgres.createDatabase());
        shared.setProperty("store.postgres.username", PostgresServer.SUPERUSER);
        shared.setProperty("store.postgres.password", PostgresServer.PASSWORD);
        shared.setProperty("store.postgres.ssl-mode", "disable");
        destination = new DeferringDestination(directory, "127.0.0.63", queues, repositories, shared);
        destination.startMailet("1500, 2000, 2000", 3, null);
        destination.startOtherNode("second", "1500, 2000, 2000", 3);
        for (int i = 0; i < 6; i++) {
            destination.mx.defer("user" + i + "@dest.test");
            destination.submit("clustered-" + i, "user" + i + "@dest.test");
        }

        // Every message tried twice, then waiting: both nodes see the six.
        await().atMost(Duration.ofSeconds(30))
                .until(() -> destination.attempts().size() == 12);
        await().atMost(Duration.ofSeconds(5))
                .until(() -> destination.engine.waitingList().size() == 6);
        for (int i = 0; i < 6; i++) {
            destination.mx.accept("user" + i + "@dest.test");
        }
        await().atMost(Duration.ofSeconds(30))
                .until(() -> destination.mx.received().size() == 6);
        Thread.sleep(4_000);

        assertThat(destination.attempts())
                .as("three attempts per message, none twice")
                .hasSize(18);
        for (int i = 0; i < 6; i++) {
            List<Instant> attempts = destination.attempts("user" + i + "@dest.test");
            assertThat(attempts).hasSize(3);
            assertThat(Duration.between(attempts.get(0), attempts.get(1)))
                    .isGreaterThanOrEqualTo(Duration.ofMillis(1500));
            assertThat(Duration.between(attempts.get(1), attempts.get(2)))
                    .isGreaterThanOrEqualTo(Duration.ofMillis(2000));
        }
        assertThat(destination.mx.received()).hasSize(6);
        assertThat(destination.mx.received())
                .extracting(received -> received.data
                        .lines()
                        .filter(line -> line.startsWith("Subject: "))
                        .findFirst()
                        .orElse(""))
                .containsExactlyInAnyOrder(
                        "Subject: clustered-0",
                        "Subject: clustered-1",
                        "Subject: clustered-2",
                        "Subject: clustered-3",
                        "Subject: clustered-4",
                        "Subject: clustered-5");
        assertThat(destination.bounces()).isZero();
        assertThat(repositories.repository.size()).isZero();
        assertThat(destination.engine.waitingList().size()).isZero();
    }
}
