package dev.securedelivery.integration;

import static org.assertj.core.api.Assertions.assertThat;

import dev.securedelivery.testing.TestCertificateAuthority;
import dev.securedelivery.testing.TestHttpsServer;
import dev.securedelivery.testing.TestSmtpServer;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real James 3.8.1 with one delivery thread, and a destination whose MTA-STS policy host takes
 * the connection and answers only when the test lets it (a cold domain behind a slow or
 * black-holed policy host, until the fetch gives up): mail to every other destination goes out
 * meanwhile, because a message waits for its plan without a delivery thread (RFC 8461 leaves the
 * sender free to wait for a policy; waiting must not stop the rest of the queue).
 */
class SlowPolicyHostInJamesTest {
    @TempDir
    static Path directory;

    private static final Destinations WORLD = new Destinations();
    private static final CountDownLatch ANSWER = new CountDownLatch(1);
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
        james.send(Destinations.SENDER, "user@slow.test", "slow", "waits for its policy");
        // Not before the slow domain's policy fetch has started: its mail is first in line.
        WORLD.awaitPolicyRequest("slow.test");
        james.send(Destinations.SENDER, "user@quick.test", "quick", "goes at once");

        TestSmtpServer.Received quick = WORLD.awaitOne("mx.quick.test");
        assertThat(quick.overTls).isTrue();
        assertThat(quick.data).contains("requirement=pkix").contains("authentication=PKIX");
        // The slow domain's policy host has still not answered, so its mail has not left.
        assertThat(ANSWER.getCount()).isOne();
        assertThat(WORLD.server("mx.slow.test").received()).isEmpty();

        ANSWER.countDown();
        TestSmtpServer.Received slow = WORLD.awaitOne("mx.slow.test");
        // Delivered under the policy that came late, never without it.
        assertThat(slow.data).contains("requirement=pkix").contains("authentication=PKIX");
    }
}
