package dev.securedelivery.integration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.securedelivery.testing.TestSmtpServer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * A real James 3.8.1 whose queues fail on purpose ({@link FaultyQueues}): an {@code Error} while a
 * message is being delivered, the rest of a partly delivered message that cannot be queued again, a
 * DSN the spool cannot take. Whatever fails, the receiving servers count exactly one copy per
 * accepted recipient and exactly one DSN per refused one, and nothing is handed back to be sent
 * twice.
 */
class FaultsInJamesTest {
    private static final String ERROR_DIRECTORY = "memory://var/mail/error/";

    @TempDir
    static Path directory;

    private static final Destinations WORLD = new Destinations();
    private static final ListAppender<ILoggingEvent> LOG = new ListAppender<>();
    private static JamesUnderTest james;

    @BeforeAll
    static void start() throws Exception {
        LOG.start();
        ((Logger) LoggerFactory.getLogger("dev.securedelivery")).addAppender(LOG);
        WORLD.mx(
                WORLD.zone("error.test", false), "mx.error.test", 10, WORLD.ca().issue("mx.error.test"));
        WORLD.mx(
                        WORLD.zone("requeue.test", false),
                        "mx.requeue.test",
                        10,
                        WORLD.ca().issue("mx.requeue.test"))
                .defer("later@requeue.test");
        WORLD.mx(WORLD.zone("dsn.test", false), "mx.dsn.test", 10, WORLD.ca().issue("mx.dsn.test"))
                .refuse("nobody@dsn.test");
        WORLD.start();
        Map<String, String> mailet = WORLD.quicklyBouncingMailet();
        mailet.put("sendpartial", "true");
        // The faulty queues wrap James's memory queues, which hold delays; their class is not one the
        // mailet knows, so it is told: deferred copies go back through enQueue(mail, delay), where
        // the faults are.
        mailet.put("queueDelays", "honoured");
        james = JamesUnderTest.startWithOverrides(
                directory.resolve("james"), mailet, WORLD.configuration(directory), new FaultyQueues());
    }

    @AfterAll
    static void stop() throws Exception {
        if (james != null) {
            james.close();
        }
        WORLD.close();
        FaultyQueues.reset();
        ((Logger) LoggerFactory.getLogger("dev.securedelivery")).detachAppender(LOG);
    }

    @BeforeEach
    void noFaultsLeft() {
        FaultyQueues.reset();
    }

    @Test
    void anErrorDuringDeliveryIsADeferralWithItsRetryCountAndTheMessageArrivesOnce() throws Exception {
        FaultyQueues.ERROR_ON_READ_FOR_DOMAIN.add("error.test");

        james.send(Destinations.SENDER, "user@error.test", "error", "Delivered after an Error.");

        TestSmtpServer.Received received = WORLD.awaitOne("mx.error.test");
        assertThat(received.recipients).containsExactly("user@error.test");
        assertThat(logged("-to-error.test deferred after an unexpected failure (attempt 1 of "))
                .isTrue();
        assertStillExactlyOneCopy("mx.error.test");
        assertThat(WORLD.server("mx.sink.test").received()).noneMatch(mail -> mail.data.contains("user@error.test"));
    }

    @Test
    void theRestOfAPartlyDeliveredMessageThatCannotBeQueuedAgainIsKeptAndNothingIsSentTwice() throws Exception {
        FaultyQueues.FAILED_DEFERRAL_FOR_DOMAIN.add("requeue.test");
        long errorsBefore = james.mailsIn(ERROR_DIRECTORY);

        james.send(
                Destinations.SENDER,
                List.of("now@requeue.test", "later@requeue.test"),
                "partly",
                "One recipient now, one later.");

        TestSmtpServer.Received received = WORLD.awaitOne("mx.requeue.test");
        assertThat(received.recipients).containsExactly("now@requeue.test");
        // The copy for the recipient that must wait is the operator's now, in the error repository.
        await().atMost(Duration.ofSeconds(30)).until(() -> james.mailsIn(ERROR_DIRECTORY) == errorsBefore + 1);
        assertStillExactlyOneCopy("mx.requeue.test");
        assertThat(WORLD.server("mx.sink.test").received()).noneMatch(mail -> mail.data.contains("later@requeue.test"));
    }

    @Test
    void aDsnTheSpoolCannotTakeAtOnceIsSentLaterExactlyOnce() throws Exception {
        FaultyQueues.FAILED_SPOOLING_FOR_NAME_ENDING.add("-bounced");

        james.send(Destinations.SENDER, List.of("user@dsn.test", "nobody@dsn.test"), "dsn", "One refused.");

        TestSmtpServer.Received received = WORLD.awaitOne("mx.dsn.test");
        assertThat(received.recipients).containsExactly("user@dsn.test");
        String dsn = WORLD.awaitBounceFor("nobody@dsn.test");
        assertThat(dsn).contains("Status: 5.1.1").doesNotContain("Final-Recipient: rfc822; user@dsn.test");
        assertThat(logged("is held and tried again")).isTrue();
        assertStillExactlyOneCopy("mx.dsn.test");
        assertThat(WORLD.server("mx.sink.test").received().stream()
                        .filter(mail -> mail.data.contains("Final-Recipient: rfc822; nobody@dsn.test")))
                .hasSize(1);
    }

    // Long enough for a message handed back to the queue (or a copy queued twice) to arrive again.
    private static void assertStillExactlyOneCopy(String host) throws InterruptedException {
        Thread.sleep(2_000);
        assertThat(WORLD.server(host).received()).hasSize(1);
    }

    private static boolean logged(String text) {
        // The appender adds under its own lock.
        synchronized (LOG) {
            return LOG.list.stream().map(ILoggingEvent::getFormattedMessage).anyMatch(line -> line.contains(text));
        }
    }
}
