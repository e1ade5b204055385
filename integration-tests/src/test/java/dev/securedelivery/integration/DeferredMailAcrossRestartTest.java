package dev.securedelivery.integration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.securedelivery.testing.TestSmtpServer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * Deferred mail across a James restart, with James's persistent (ActiveMQ) mail queue: what the
 * mailet deferred is still queued when James comes back, keeps its retry count, and is delivered
 * (or bounced) under the destination's policy as it is then. (The memory server's queue is lost on
 * restart, with or without this mailet: docs/operations.md, "Restarts".)
 */
class DeferredMailAcrossRestartTest {
    @TempDir
    Path directory;

    private final Destinations world = new Destinations();
    private final ListAppender<ILoggingEvent> log = new ListAppender<>();
    private Properties configuration;
    private JamesUnderTest james;

    @BeforeEach
    void watchTheLog() {
        log.start();
        ((Logger) LoggerFactory.getLogger("dev.securedelivery")).addAppender(log);
    }

    @AfterEach
    void stopEverything() throws Exception {
        if (james != null) {
            james.close();
        }
        world.close();
        ((Logger) LoggerFactory.getLogger("dev.securedelivery")).detachAppender(log);
    }

    @Test
    void mailDeferredByAnEnforcePolicyIsDeliveredByTheRestartedJamesOnceThePolicyIsFixed() throws Exception {
        Map<String, String> mailet = laterTestWaitsForItsPolicy("20");
        james = JamesUnderTest.startWithPersistentQueue(home(), mailet, configuration);
        james.send(Destinations.SENDER, "user@later.test", "later", "Sent before the restart.");
        awaitDeferral("attempt 1 of 21");
        james.close();
        james = null;

        // While James is down, the domain fixes its policy.
        world.enforce("later.test", "2", "mx.later.test");
        james = JamesUnderTest.startWithPersistentQueue(home(), mailet, configuration);

        TestSmtpServer.Received received = world.awaitOne("mx.later.test");
        assertThat(received.data)
                .contains("Sent before the restart.")
                .contains("requirement=pkix")
                .contains("authentication=PKIX");
        assertThat(received.overTls).isTrue();
        assertThat(world.server("mx.sink.test").received()).isEmpty();
    }

    @Test
    void theRetryCountSurvivesTheRestartSoTheLastRetryStillBounces() throws Exception {
        Map<String, String> mailet = laterTestWaitsForItsPolicy("1");
        james = JamesUnderTest.startWithPersistentQueue(home(), mailet, configuration);
        james.send(Destinations.SENDER, "user@later.test", "later", "Sent before the restart.");
        awaitDeferral("attempt 1 of 2");
        james.close();
        james = null;
        assertThat(world.server("mx.sink.test").received())
                .as("bounced before the restart")
                .isEmpty();

        james = JamesUnderTest.startWithPersistentQueue(home(), mailet, configuration);

        // Had the count been lost, the message would be deferred again instead.
        String dsn = world.awaitBounceFor("user@later.test");
        assertThat(dsn).contains("Status: 5.7.5");
        assertThat(world.server("mx.later.test").sessions()).isZero();
    }

    // later.test's only MX is outside its enforce policy: its mail can only wait, or bounce.
    private Map<String, String> laterTestWaitsForItsPolicy(String maxRetries) throws Exception {
        world.mx(world.zone("later.test", true), "mx.later.test", 10, world.ca().issue("mx.later.test"));
        world.enforce("later.test", "1", "mx.elsewhere.test");
        world.start();
        configuration = world.configuration(directory);
        Map<String, String> mailet = new LinkedHashMap<>();
        mailet.put("outgoing", "outgoing");
        // Long enough that James is down before the retry is due, whatever the queue's polling.
        mailet.put("delayTime", "5 seconds");
        mailet.put("maxRetries", maxRetries);
        mailet.put("bounceProcessor", "bounces");
        mailet.put("smtpPort", String.valueOf(world.smtpPort()));
        mailet.put("traceHeader", "true");
        return mailet;
    }

    private Path home() {
        return directory.resolve("james");
    }

    private void awaitDeferral(String attempt) {
        await().atMost(Duration.ofSeconds(30)).until(() -> {
            // The appender adds under its own lock.
            synchronized (log) {
                return log.list.stream()
                        .map(ILoggingEvent::getFormattedMessage)
                        .anyMatch(line -> line.contains("-to-later.test deferred") && line.contains(attempt));
            }
        });
    }
}
