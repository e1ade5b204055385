package dev.securedelivery.waitingroom;

import static dev.securedelivery.waitingroom.DeferringDestination.RECIPIENT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.securedelivery.waiting.DomainWaiting;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The delivery mailet on a queue that drops delays, as RabbitMQ's does ({@link DelayDroppingQueues}),
 * to an MX that defers the recipient until the test lets it recover. Deferred mail waits in the
 * waiting room (a memory repository that outlives the mailet) and comes back only when due: every
 * attempt the MX sees comes at least its retry's delay after the one before, the bounce comes only
 * when the schedule is spent, and a restart while a message waits loses nothing, brings nothing early
 * and nothing twice. The control: the same queue trusted with delays retries at once and bounces
 * within the first delay.
 */
class RetriesOnScheduleTest {
    private final DelayDroppingQueues queues = new DelayDroppingQueues();
    private final SingleRepositoryStore repositories = new SingleRepositoryStore();
    private DeferringDestination destination;

    @BeforeEach
    void startTheWorld(@TempDir Path directory) throws Exception {
        destination = new DeferringDestination(directory, "127.0.0.61", queues, repositories);
    }

    @AfterEach
    void stopTheWorld() throws Exception {
        destination.close();
    }

    @Test
    void aDestinationThatRecoversGetsEachRetryNoEarlierThanItsDelayAndTheMessageOnce() throws Exception {
        destination.startMailet("1500, 2500, 2500", 3, null);
        destination.submit("recovers");

        await().atMost(Duration.ofSeconds(20))
                .until(() -> destination.attempts().size() == 2);
        // Waiting for the third try: in the waiting room, known to the operator's view.
        await().atMost(Duration.ofSeconds(5)).until(() -> repositories.repository.size() == 1);
        List<DomainWaiting> waiting = destination.engine.waitingList().byDomain(10);
        assertThat(waiting).singleElement().satisfies(domain -> {
            assertThat(domain.domain()).isEqualTo("dest.test");
            assertThat(domain.mostRetries()).isEqualTo(2);
            assertThat(domain.lastCause()).contains("4.2.1 mailbox busy");
        });
        destination.mx.accept(RECIPIENT);

        await().atMost(Duration.ofSeconds(20))
                .until(() -> destination.mx.received().size() == 1);
        List<Instant> attempts = destination.attempts();
        assertThat(attempts).hasSize(3);
        assertThat(Duration.between(attempts.get(0), attempts.get(1))).isGreaterThanOrEqualTo(Duration.ofMillis(1500));
        assertThat(Duration.between(attempts.get(1), attempts.get(2))).isGreaterThanOrEqualTo(Duration.ofMillis(2500));
        // And not much later: the waiting room looks every second.
        assertThat(Duration.between(attempts.get(1), attempts.get(2))).isLessThan(Duration.ofMillis(2500 + 3000));
        Thread.sleep(3_000);
        assertThat(destination.mx.received()).hasSize(1);
        assertThat(destination.bounces()).isZero();
        assertThat(repositories.repository.size()).isZero();
        assertThat(destination.engine.waitingList().size()).isZero();
        // Nothing of ours asked the queue to hold a message: the delays were never its to drop.
        assertThat(queues.droppedDelays).hasValue(0);
    }

    @Test
    void aDestinationThatNeverRecoversIsBouncedOnlyWhenTheScheduleIsSpent() throws Exception {
        destination.startMailet("1000, 1500", 2, null);
        destination.submit("gives-up");

        await().atMost(Duration.ofSeconds(20)).until(() -> destination.bounces() > 0);
        List<Instant> attempts = destination.attempts();
        assertThat(attempts).hasSize(3);
        assertThat(Duration.between(attempts.get(0), attempts.get(1))).isGreaterThanOrEqualTo(Duration.ofMillis(1000));
        assertThat(Duration.between(attempts.get(1), attempts.get(2))).isGreaterThanOrEqualTo(Duration.ofMillis(1500));
        Thread.sleep(2_500);
        assertThat(destination.attempts()).hasSize(3);
        assertThat(destination.bounces()).isEqualTo(1);
        assertThat(repositories.repository.size()).isZero();
    }

    @Test
    void aRestartWhileAMessageWaitsLosesNothingAndBringsNothingEarlyOrTwice() throws Exception {
        destination.startMailet("4000", 3, null);
        destination.submit("restarted");
        await().atMost(Duration.ofSeconds(20))
                .until(() -> destination.attempts().size() == 1 && repositories.repository.size() == 1);

        destination.mx.accept(RECIPIENT);
        destination.restart("4000", 3);

        await().atMost(Duration.ofSeconds(20))
                .until(() -> destination.mx.received().size() == 1);
        List<Instant> attempts = destination.attempts();
        assertThat(attempts).hasSize(2);
        assertThat(Duration.between(attempts.get(0), attempts.get(1))).isGreaterThanOrEqualTo(Duration.ofMillis(4000));
        Thread.sleep(3_000);
        assertThat(destination.mx.received()).hasSize(1);
        assertThat(repositories.repository.size()).isZero();
        assertThat(repositories.selected)
                .extracting(url -> url.asString())
                .containsOnly("memory://var/mail/secure-delivery-waiting");
    }

    @Test
    void theSameQueueTrustedWithDelaysRetriesAtOnceAndBouncesWithinTheFirstDelay() throws Exception {
        // The control: what a queue that drops delays does to a schedule that relies on it.
        destination.startMailet("5000, 5000", 2, "honoured");
        destination.submit("hot-loop");

        await().atMost(Duration.ofSeconds(4)).until(() -> destination.bounces() > 0);
        List<Instant> attempts = destination.attempts();
        assertThat(attempts).hasSize(3);
        assertThat(Duration.between(attempts.get(0), attempts.get(2))).isLessThan(Duration.ofMillis(5000));
        assertThat(queues.droppedDelays).hasValue(2);
    }
}
