package dev.securedelivery.integration;

import static org.assertj.core.api.Assertions.assertThat;

import dev.securedelivery.testing.TestSmtpServer;
import java.util.Map;

/**
 * The deliveries every James a test runs as its own process must make alike, whatever its version
 * (3.8.1 through {@code bin/james}, 3.9.0 from a local build): DANE, MTA-STS, and REQUIRETLS
 * received over STARTTLS and passed on. {@link #destinations} puts their destinations in a world;
 * each check sends one message and asserts what the MX received.
 */
final class ProcessDeliveries {
    private ProcessDeliveries() {}

    /** pinned.test (DANE), requiretls.test (DANE, its MX offering REQUIRETLS), policy.test (MTA-STS enforce). */
    static void destinations(Destinations world) {
        world.daneDomain("pinned.test", "mx.pinned.test");
        world.daneDomain("requiretls.test", "mx.requiretls.test");
        world.server("mx.requiretls.test").offerRequireTls();
        world.mx(
                world.zone("policy.test", false),
                "mx.policy.test",
                10,
                world.ca().issue("mx.policy.test"));
        world.enforce("policy.test", "7", "mx.policy.test");
    }

    static void deliversWithDane(JamesProcess james, Destinations world) throws Exception {
        james.send(Destinations.SENDER, "user@pinned.test", "dane", "Pinned by TLSA.");

        TestSmtpServer.Received received = world.awaitOne("mx.pinned.test");
        assertThat(received.overTls).isTrue();
        assertThat(received.data)
                .contains("Pinned by TLSA.")
                .contains("requirement=dane")
                .contains("authentication=DANE-EE");
        assertThat(james.output())
                .contains("domain=pinned.test mx=mx.pinned.test")
                .contains("outcome=delivered");
    }

    static void deliversWithPkixUnderMtaSts(JamesProcess james, Destinations world) throws Exception {
        james.send(Destinations.SENDER, "user@policy.test", "sts", "Under an enforce policy.");

        TestSmtpServer.Received received = world.awaitOne("mx.policy.test");
        assertThat(received.overTls).isTrue();
        assertThat(received.data)
                .contains("Under an enforce policy.")
                .contains("requirement=pkix")
                .contains("authentication=PKIX");
    }

    // RFC 8689 4.1: offered only after STARTTLS, and passed on to an MX that offers it.
    static void receivesRequireTlsAndPassesItOn(JamesProcess james, Destinations world) throws Exception {
        assertThat(james.offers("REQUIRETLS", false)).isFalse();
        assertThat(james.offers("REQUIRETLS", true)).isTrue();

        james.send(
                true,
                Destinations.SENDER,
                "user@requiretls.test",
                "requiretls",
                "Only over DANE.",
                Map.of("mail.smtp.mailextension", "REQUIRETLS"));

        TestSmtpServer.Received received = world.awaitOne("mx.requiretls.test");
        assertThat(received.mailParameters).isEqualTo("REQUIRETLS");
        assertThat(received.data).contains("authentication=DANE-EE");
        assertThat(james.output()).contains("received with REQUIRETLS").contains("message: REQUIRETLS, so dane");
    }
}
