package dev.securedelivery.integration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.securedelivery.testing.TestCertificateAuthority;
import dev.securedelivery.testing.TestHttpsServer;
import dev.securedelivery.testing.TestSmtpServer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real James 3.8.1 with one delivery thread, and a destination whose MTA-STS policy host takes
 * the connection and answers only when the test lets it (a cold domain behind a slow or
 * black-holed policy host, until the fetch gives up): mail to every other destination goes out
 * meanwhile, because a message waits for its plan without a delivery thread (RFC 8461 leaves the
 * sender free to wait for a policy; waiting must not stop the rest of the queue), even when more
 * messages to the slow destination are queued than the plan-ahead window holds.
 */
class SlowPolicyHostInJamesTest {
    @TempDir
    static Path directory;

    private static final Destinations WORLD = new Destinations();
    private static final CountDownLatch ANSWER = new CountDownLatch(1);
    private static final int SLOW_MESSAGES = 15;
    private static JamesUnderTest james;

    @BeforeAll
    static void startTheWorld() throws Exception {
        TestCertificateAuthority ca = WORLD.ca();
        WORLD.mx(WORLD.zone("slow.test", true), "mx.slow.test", 10, ca.issue("mx.slow.test"));
        WORLD.publishRecord("slow.test", "1", exchange -> {
            try {
                // Released by the test; the fetch's own read timeout (20 s) is far beyond the test's wait.
                ANSWER.await(60, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            TestHttpsServer.ok(
                            "text/plain", "version: STSv1\r\nmode: enforce\r\nmx: mx.slow.test\r\nmax_age: 86400\r\n")
                    .respond(exchange);
        });
        WORLD.mx(WORLD.zone("quick.test", true), "mx.quick.test", 10, ca.issue("mx.quick.test"));
        WORLD.enforce("quick.test", "1", "mx.quick.test");
        WORLD.start();

        Map<String, String> mailet = WORLD.quicklyBouncingMailet();
        mailet.put("deliveryThreads", "1");
        // Eleven messages in the window, at most one of them waiting for one destination's plan.
        mailet.put("planAhead", "10");
        james = JamesUnderTest.start(directory.resolve("james"), mailet, WORLD.configuration(directory));
    }

    @AfterAll
    static void stopTheWorld() throws Exception {
        ANSWER.countDown();
        if (james != null) {
            james.close();
        }
        WORLD.close();
    }

    @Test
    void mailToAQuickDestinationLeavesWhileTheOnlyThreadWouldOtherwiseWaitForASlowPolicyHost() throws Exception {
        // More messages to the slow domain than the whole window holds: all but one are set aside.
        for (int i = 0; i < SLOW_MESSAGES; i++) {
            james.send(Destinations.SENDER, "user@slow.test", "slow " + i, "waits for its policy");
        }
        // Not before the slow domain's policy fetch has started: its mail is first in line.
        WORLD.awaitPolicyRequest("slow.test");
        james.send(Destinations.SENDER, "user@quick.test", "quick", "goes at once");

        TestSmtpServer.Received quick = WORLD.awaitOne("mx.quick.test");
        assertThat(quick.overTls).isTrue();
        assertThat(quick.data).contains("requirement=pkix").contains("authentication=PKIX");
        // The slow domain's policy host has still not answered, so its mail has not left.
        assertThat(WORLD.server("mx.slow.test").received()).isEmpty();

        ANSWER.countDown();
        TestSmtpServer slow = WORLD.server("mx.slow.test");
        await().atMost(Duration.ofSeconds(60)).until(() -> slow.received().size() >= SLOW_MESSAGES);
        // Each delivered once (none lost or doubled by being set aside), under the policy that came
        // late, never without it.
        assertThat(slow.received()).hasSize(SLOW_MESSAGES);
        assertThat(slow.received())
                .allSatisfy(message ->
                        assertThat(message.data).contains("requirement=pkix").contains("authentication=PKIX"));
        assertThat(slow.received().stream().map(message -> subjectOf(message.data)))
                .containsExactlyInAnyOrderElementsOf(IntStream.range(0, SLOW_MESSAGES)
                        .mapToObj(i -> "slow " + i)
                        .collect(Collectors.toList()));
    }

    private static String subjectOf(String data) {
        return data.lines()
                .filter(line -> line.startsWith("Subject: "))
                .findFirst()
                .map(line -> line.substring("Subject: ".length()))
                .orElse("");
    }
}
