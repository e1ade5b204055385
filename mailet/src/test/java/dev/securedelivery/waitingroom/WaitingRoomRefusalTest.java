package dev.securedelivery.waitingroom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import org.apache.mailet.Mail;
import org.apache.mailet.base.test.FakeMailContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The waiting room's mail repository refuses a deferred copy (a database away, a full disk): the copy
 * goes to James's error processor, where the operator finds it, and the MX is not tried again, neither
 * at once (a copy handed back to a queue that drops delays would be, in a hot loop) nor later.
 */
class WaitingRoomRefusalTest {
    private final DelayDroppingQueues queues = new DelayDroppingQueues();
    private final SingleRepositoryStore repositories = new SingleRepositoryStore();
    private DeferringDestination destination;

    @BeforeEach
    void startTheWorld(@TempDir Path directory) throws Exception {
        destination = new DeferringDestination(directory, "127.0.0.62", queues, repositories);
    }

    @AfterEach
    void stopTheWorld() throws Exception {
        destination.close();
    }

    @Test
    void aCopyTheWaitingRoomRefusesGoesToTheErrorProcessorAndTheMxIsNotTriedAgain() throws Exception {
        destination.startMailet("1000", 3, null);
        repositories.refuseNextStore.set(true);

        destination.submit("refused");

        await().atMost(Duration.ofSeconds(20))
                .until(() -> !destination.context.getSentMails().isEmpty());
        assertThat(destination.context.getSentMails())
                .singleElement()
                .extracting(FakeMailContext.SentMail::getState)
                .isEqualTo(Mail.ERROR);
        assertThat(repositories.refuseNextStore).isFalse();
        // Past the first retry's delay and the waiting room's tick: nothing came back.
        Thread.sleep(3_000);
        assertThat(destination.attempts()).hasSize(1);
        assertThat(destination.context.getSentMails()).hasSize(1);
        assertThat(destination.context.getBouncedMails()).isEmpty();
        assertThat(repositories.repository.size()).isZero();
        assertThat(destination.engine.waitingList().size()).isZero();
    }
}
