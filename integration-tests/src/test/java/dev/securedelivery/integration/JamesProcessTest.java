package dev.securedelivery.integration;

import static org.assertj.core.api.Assertions.assertThat;

import dev.securedelivery.dane.TlsaRecord;
import dev.securedelivery.testing.IssuedCertificate;
import dev.securedelivery.testing.SignedZone;
import dev.securedelivery.testing.TestSmtpServer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Properties;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * James 3.8.1 as the README's main command runs it ({@code bin/james}: its own process, James's own
 * class path with its older dnsjava, the shaded extension jar in {@code extensions-jars/}, the
 * distribution's {@code conf/}), delivering through the mailet to local STARTTLS MX servers.
 */
class JamesProcessTest {
    private static final Duration START = Duration.ofSeconds(90);

    @Nested
    @TestInstance(TestInstance.Lifecycle.PER_CLASS)
    class Running {
        private final Destinations world = new Destinations();
        private JamesProcess james;

        @BeforeAll
        void start(@TempDir Path directory) throws Exception {
            IssuedCertificate pinned = world.ca().issue("mx.pinned.test");
            SignedZone zone = world.zone("pinned.test", true);
            world.mx(zone, "mx.pinned.test", 10, pinned);
            world.tlsa(zone, "mx.pinned.test", TlsaRecord.forCertificate(TlsaRecord.DANE_EE,
                    TlsaRecord.SELECTOR_SPKI, TlsaRecord.MATCH_SHA256, pinned.leaf()));
            world.mx(world.zone("policy.test", false), "mx.policy.test", 10, world.ca().issue("mx.policy.test"));
            world.enforce("policy.test", "7", "mx.policy.test");
            world.start();
            james = JamesProcess.launch(directory.resolve("james"), world.configuration(directory), world.smtpPort())
                    .awaitStarted(START);
        }

        @AfterAll
        void stop() throws Exception {
            if (james != null) {
                james.close();
            }
            world.close();
        }

        @Test
        void deliversToADaneDestinationWithDane() throws Exception {
            james.send(Destinations.SENDER, "user@pinned.test", "dane", "Pinned by TLSA.");

            TestSmtpServer.Received received = world.awaitOne("mx.pinned.test");
            assertThat(received.overTls).isTrue();
            assertThat(received.data).contains("Pinned by TLSA.").contains("requirement=dane")
                    .contains("authentication=DANE-EE");
            assertThat(james.output()).contains("domain=pinned.test mx=mx.pinned.test")
                    .contains("outcome=delivered");
        }

        @Test
        void deliversToAnMtaStsDestinationWithPkix() throws Exception {
            james.send(Destinations.SENDER, "user@policy.test", "sts", "Under an enforce policy.");

            TestSmtpServer.Received received = world.awaitOne("mx.policy.test");
            assertThat(received.overTls).isTrue();
            assertThat(received.data).contains("Under an enforce policy.").contains("requirement=pkix")
                    .contains("authentication=PKIX");
        }
    }

    @Test
    void aBadConfigurationStopsJamesNamingTheKey(@TempDir Path directory) throws Exception {
        Properties bad = new Properties();
        bad.setProperty("dns.timeout", "soon");

        try (JamesProcess james = JamesProcess.launch(directory.resolve("james"), bad, 25)) {
            int exit = james.awaitExit(START);

            assertThat(exit).isNotZero();
            assertThat(james.output()).doesNotContain("JAMES server started")
                    .contains("secure-delivery: bad configuration in conf/secure-delivery.properties: dns.timeout:"
                            + " expected a duration");
        }
    }
}
