package dev.securedelivery.waitingroom;

import static dev.securedelivery.waitingroom.DeferringDestination.RECIPIENT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.securedelivery.testing.RabbitMqServer;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.apache.james.queue.rabbitmq.RealRabbitMqQueues;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The same schedule on James 3.8.1's own {@code RabbitMQMailQueue}, on Debian's RabbitMQ: the mailet
 * tells from the queue's class that it drops delays (no parameter set), deferred mail waits in the
 * waiting room and comes back when due, and the destination gets the message once when it recovers.
 * The control shows what the queue does with a delay it is given: it drops it, and the retries are
 * spent at once.
 */
class RetriesOnRabbitMqTest {
    private static RabbitMqServer broker;

    private RealRabbitMqQueues queues;
    private final SingleRepositoryStore repositories = new SingleRepositoryStore();
    private DeferringDestination destination;

    @BeforeAll
    static void startTheBroker() throws Exception {
        Optional<String> missing = RabbitMqServer.unavailableReason();
        if (missing.isPresent() && RabbitMqServer.required()) {
            throw new IllegalStateException("RabbitMQ is required here: " + missing.get());
        }
        Assumptions.assumeTrue(missing.isEmpty(), () -> "skipped: " + missing.orElse(""));
        broker = RabbitMqServer.start();
    }

    @AfterAll
    static void stopTheBroker() throws Exception {
        if (broker != null) {
            broker.close();
        }
    }

    private void start(Path directory) throws Exception {
        queues = new RealRabbitMqQueues(
                broker.amqpUri(), broker.managementUri(), RabbitMqServer.USER, RabbitMqServer.PASSWORD);
        destination = new DeferringDestination(directory, "127.0.0.62", queues, repositories);
    }

    @AfterEach
    void stopTheWorld() throws Exception {
        if (destination != null) {
            destination.close();
        }
        if (queues != null) {
            queues.close();
        }
    }

    @Test
    void onRabbitMqTheRetriesKeepTheirScheduleAndTheMessageArrivesOnce(@TempDir Path directory) throws Exception {
        start(directory);
        destination.startMailet("2000, 3000", 2, null);
        destination.submit("on-rabbitmq");

        await().atMost(Duration.ofSeconds(30))
                .until(() -> destination.attempts().size() == 2);
        destination.mx.accept(RECIPIENT);
        await().atMost(Duration.ofSeconds(30))
                .until(() -> destination.mx.received().size() == 1);

        List<Instant> attempts = destination.attempts();
        assertThat(attempts).hasSize(3);
        assertThat(Duration.between(attempts.get(0), attempts.get(1))).isGreaterThanOrEqualTo(Duration.ofMillis(2000));
        assertThat(Duration.between(attempts.get(1), attempts.get(2))).isGreaterThanOrEqualTo(Duration.ofMillis(3000));
        Thread.sleep(3_000);
        assertThat(destination.mx.received()).hasSize(1);
        assertThat(destination.bounces()).isZero();
        assertThat(repositories.repository.size()).isZero();
    }

    @Test
    void rabbitMqTrustedWithTheDelaysSpendsTheRetriesAtOnce(@TempDir Path directory) throws Exception {
        start(directory);
        destination.startMailet("10000, 10000", 2, "honoured");
        destination.submit("trusted");

        await().atMost(Duration.ofSeconds(8)).until(() -> destination.bounces() > 0);
        List<Instant> attempts = destination.attempts();
        assertThat(attempts).hasSize(3);
        assertThat(Duration.between(attempts.get(0), attempts.get(2))).isLessThan(Duration.ofMillis(10_000));
    }
}
