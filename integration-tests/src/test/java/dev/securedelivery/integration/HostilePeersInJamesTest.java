package dev.securedelivery.integration;

import static org.assertj.core.api.Assertions.assertThat;

import dev.securedelivery.testing.HostileSmtpServer;
import dev.securedelivery.testing.HostileSmtpServer.Attack;
import dev.securedelivery.testing.SignedZone;
import dev.securedelivery.testing.TestSmtpServer;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xbill.DNS.Type;

/**
 * A real James 3.8.1 sending to domains whose MX hosts attack it: one publishes 1,000 MX hosts that
 * all black-hole (they accept and never speak), one answers EHLO without end. Each domain's mail is
 * given up on within the bounds (counted connections, a DSN naming the cause), and mail to a
 * well-behaved domain sent meanwhile is delivered.
 */
class HostilePeersInJamesTest {
    private static final int MX_HOSTS = 1_000;
    /** The quickly bouncing mailet's three delays make James raise maxRetries to 3: four attempts. */
    private static final int ATTEMPTS = 4;

    @TempDir
    static Path directory;

    private static final Destinations WORLD = new Destinations();
    private static HostileSmtpServer blackHole;
    private static HostileSmtpServer endlessEhlo;
    private static JamesUnderTest james;

    @BeforeAll
    static void start() throws Exception {
        blackHole = HostileSmtpServer.start(WORLD.address().getHostAddress(), WORLD.smtpPort(), Attack.SILENT);
        SignedZone many = WORLD.zone("many.test", false);
        String hole = blackHole.address().getHostAddress();
        for (int i = 0; i < MX_HOSTS; i++) {
            many.add("many.test.", Type.MX, "10 mx" + i + ".many.test.");
            many.add("mx" + i + ".many.test.", Type.A, hole);
        }
        endlessEhlo = HostileSmtpServer.start(WORLD.address().getHostAddress(), WORLD.smtpPort(), Attack.ENDLESS_EHLO);
        SignedZone endless = WORLD.zone("endless.test", false);
        endless.add("endless.test.", Type.MX, "10 mx.endless.test.");
        endless.add("mx.endless.test.", Type.A, endlessEhlo.address().getHostAddress());
        WORLD.mx(WORLD.zone("good.test", false), "mx.good.test", 10, WORLD.ca().issue("mx.good.test"));
        WORLD.start();
        Map<String, String> mailet = WORLD.quicklyBouncingMailet();
        // A silent address costs the reply timeout: 1 s here, so an attempt at 5 addresses costs 5 s.
        mailet.put("timeout", "1000");
        james = JamesUnderTest.start(directory.resolve("james"), mailet, WORLD.configuration(directory));
    }

    @AfterAll
    static void stop() throws Exception {
        if (james != null) {
            james.close();
        }
        blackHole.close();
        endlessEhlo.close();
        WORLD.close();
    }

    @Test
    void aThousandBlackHoledMxHostsCostFiveConnectionsAnAttemptAndOtherMailFlowsMeanwhile() throws Exception {
        james.send(Destinations.SENDER, "user@many.test", "many", "To a thousand silent hosts.");
        james.send(Destinations.SENDER, "user@good.test", "good", "Sent while the other one waits.");

        TestSmtpServer.Received good = WORLD.awaitOne("mx.good.test");
        assertThat(good.recipients).containsExactly("user@good.test");

        String dsn = WORLD.awaitBounceFor("user@many.test");
        assertThat(dsn).contains("Status: 5.4.2").contains("mxAddressLimit 5 reached");
        // Five addresses an attempt: never the thousand.
        assertThat(blackHole.connections()).isEqualTo(ATTEMPTS * 5);
    }

    @Test
    void anEndlessEhloReplyIsCutOffAndTheMailGivenUpOnWithItsCause() throws Exception {
        james.send(Destinations.SENDER, "user@endless.test", "endless", "To a server that never stops talking.");

        String dsn = WORLD.awaitBounceFor("user@endless.test");

        assertThat(dsn).contains("Status: 5.5.0").contains("a reply longer than 100 lines");
        assertThat(endlessEhlo.connections()).isEqualTo(ATTEMPTS);
    }
}
