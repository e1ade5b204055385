package dev.securedelivery.delivery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.securedelivery.smtp.EnhancedStatus;
import dev.securedelivery.smtp.SmtpLimits;
import dev.securedelivery.testing.HostileSmtpServer;
import dev.securedelivery.testing.HostileSmtpServer.Attack;
import dev.securedelivery.testing.TestCertificateAuthority;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Collections;
import java.util.List;
import javax.net.ssl.X509TrustManager;
import org.junit.jupiter.api.Test;

/**
 * MX hosts chosen by a hostile domain, each a real server on 127.0.0.1: whatever they do, one
 * delivery ends within its bounds, with every recipient deferred (a hostile peer cannot make us
 * bounce mail either), and what it cost is counted.
 */
class HostilePeersTest {
    private static final TestCertificateAuthority CA = TestCertificateAuthority.root("Hostile Peers Root");
    private static final X509TrustManager TRUST = CA.trustManager();
    private static final List<String> RECIPIENTS = List.of("user1@dest.test", "user2@dest.test");
    private static final SmtpLimits QUICK = SmtpLimits.DEFAULT
            .withConnectTimeout(Duration.ofSeconds(2))
            .withReadTimeout(Duration.ofSeconds(1))
            .withWriteTimeout(Duration.ofSeconds(1));

    @Test
    void anEndlessEhloReplyIsCutOffAtTheReplyBound() throws Exception {
        try (HostileSmtpServer peer = HostileSmtpServer.start("127.0.0.1", 0, Attack.ENDLESS_EHLO);
                TestDestination destination =
                        destination(List.of("127.0.0.1"), peer, DeliveryLimits.DEFAULT, SmtpLimits.DEFAULT)) {
            DeliveryResult result = destination.delivery.deliver(TestDestination.envelope(RECIPIENTS), false, false);

            assertAllDeferred(result, EnhancedStatus.transientFailure(5, 0));
            assertThat(result.attempts())
                    .singleElement()
                    .satisfies(attempt -> assertThat(attempt.detail()).contains("a reply longer than 100 lines"));
        }
    }

    @Test
    void aReplyTrickledAByteAtATimeGetsNoMoreThanTheReadTimeoutAsAWhole() throws Exception {
        // A byte every 200 ms would keep a per-read timeout of 1 s away for ever.
        try (HostileSmtpServer peer = HostileSmtpServer.start("127.0.0.1", 0, Attack.TRICKLE);
                TestDestination destination = destination(List.of("127.0.0.1"), peer, DeliveryLimits.DEFAULT, QUICK)) {
            DeliveryResult result = destination.delivery.deliver(TestDestination.envelope(RECIPIENTS), false, false);

            assertAllDeferred(result, EnhancedStatus.transientFailure(4, 2));
            assertThat(result.attempts())
                    .singleElement()
                    .satisfies(attempt -> assertThat(attempt.detail()).contains("no complete answer within 1 s"));
            // Two seconds' worth of bytes at most, however long the greeting: the reply was cut at its deadline.
            assertThat(peer.bytesWritten()).isLessThan(2_000 / HostileSmtpServer.TRICKLE_MILLIS + 2);
        }
    }

    @Test
    void aServerThatStopsReadingDuringDataIsCutOffByTheWriteTimeout() throws Exception {
        try (HostileSmtpServer peer = HostileSmtpServer.start("127.0.0.1", 0, Attack.STOP_READING_IN_DATA);
                TestDestination destination = destination(List.of("127.0.0.1"), peer, DeliveryLimits.DEFAULT, QUICK)) {
            DeliveryResult result = destination.delivery.deliver(largeMessage(), false, false);

            assertAllDeferred(result, EnhancedStatus.transientFailure(4, 2));
            assertThat(result.attempts())
                    .singleElement()
                    .satisfies(attempt -> assertThat(attempt.detail()).contains("write"));
        }
    }

    @Test
    void aTlsServerThatStopsReadingDuringDataIsCutOffAndEverySessionsTimeStillEnds() throws Exception {
        // The watchdog closes the TCP socket under the TLS layer: closing the TLS socket itself would
        // wait for the write it is meant to end (JDK 17), and freeze every session's deadline with it.
        try (HostileSmtpServer peer = HostileSmtpServer.startWithTls(
                        "127.0.0.1",
                        0,
                        Attack.STOP_READING_IN_DATA,
                        CA.issue("mx1.dest.test").serverContext());
                TestDestination destination = destination(List.of("127.0.0.1"), peer, DeliveryLimits.DEFAULT, QUICK)) {
            DeliveryResult result = assertTimeoutPreemptively(
                    Duration.ofSeconds(60), () -> destination.delivery.deliver(largeMessage(), false, false));

            assertAllDeferred(result, EnhancedStatus.transientFailure(4, 2));
            assertThat(result.attempts()).singleElement().satisfies(attempt -> {
                assertThat(attempt.tlsProtocol()).isPresent();
                assertThat(attempt.detail()).contains("the server stopped reading (write timeout)");
            });
        }
        // And the watchdog still ends other sessions: a silent server, past the session's time.
        DeliveryLimits budget = DeliveryLimits.of(100, 100, Duration.ofMillis(1_500));
        SmtpLimits slowReads = QUICK.withReadTimeout(Duration.ofSeconds(30));
        try (HostileSmtpServer silent = HostileSmtpServer.start("127.0.0.1", 0, Attack.SILENT);
                TestDestination destination = destination(List.of("127.0.0.1"), silent, budget, slowReads)) {
            DeliveryResult result = assertTimeoutPreemptively(
                    Duration.ofSeconds(20),
                    () -> destination.delivery.deliver(TestDestination.envelope(RECIPIENTS), false, false));

            assertThat(result.attempts())
                    .singleElement()
                    .satisfies(attempt -> assertThat(attempt.detail()).contains("the session's time limit passed"));
        }
    }

    @Test
    void thePlaintextRetryAfterASlowTlsFailureHasOnlyWhatIsLeftOfTheDeliverysTime() throws Exception {
        // TLS fails after 2 s (not TLS at all); the opportunistic retry in plaintext then meets a server
        // that says nothing after MAIL FROM. It may spend what is left of the 3 s, not 3 s more.
        Duration time = Duration.ofSeconds(3);
        DeliveryLimits budget = DeliveryLimits.of(100, 100, time);
        // The handshake is bounded by the write timeout too: neither may end it before the server's 2 s.
        SmtpLimits slowReads = QUICK.withReadTimeout(Duration.ofSeconds(30)).withWriteTimeout(Duration.ofSeconds(30));
        try (HostileSmtpServer peer = HostileSmtpServer.start("127.0.0.1", 0, Attack.SLOW_BROKEN_TLS);
                TestDestination destination = destination(List.of("127.0.0.1"), peer, budget, slowReads)) {
            long began = System.nanoTime();
            DeliveryResult result = destination.delivery.deliver(TestDestination.envelope(RECIPIENTS), false, false);
            Duration took = Duration.ofNanos(System.nanoTime() - began);

            assertAllDeferred(result, EnhancedStatus.transientFailure(4, 2));
            assertThat(peer.connections()).isEqualTo(2);
            assertThat(result.attempts())
                    .singleElement()
                    .satisfies(attempt -> assertThat(attempt.detail()).contains("the session's time limit passed"));
            // A bound, not a speed: the watchdog ticks every 250 ms; twice the budget would be 6 s.
            assertThat(took).isLessThan(time.plusSeconds(1));
        }
    }

    @Test
    void aThousandBlackHoledMxHostsCostNoMoreThanTheAddressLimit() throws Exception {
        try (HostileSmtpServer peer = HostileSmtpServer.start("127.0.0.1", 0, Attack.SILENT);
                TestDestination destination =
                        destination(Collections.nCopies(1000, "127.0.0.1"), peer, DeliveryLimits.DEFAULT, QUICK)) {
            DeliveryResult result = destination.delivery.deliver(TestDestination.envelope(RECIPIENTS), false, false);

            assertAllDeferred(result, EnhancedStatus.transientFailure(4, 2));
            assertThat(peer.connections()).isEqualTo(DeliveryLimits.DEFAULT.addressLimit());
            assertThat(result.attempts()).hasSize(DeliveryLimits.DEFAULT.addressLimit());
            assertThat(result.fates().get(0).cause()).contains("mxAddressLimit 5 reached");
            // The plan itself is bounded too: only the most preferred hosts are looked up.
            assertThat(result.plan().orElseThrow().hosts()).hasSize(20);
        }
    }

    @Test
    void serversThatAnswerButTakeNothingCostNoMoreThanTheSessionLimit() throws Exception {
        try (HostileSmtpServer peer = HostileSmtpServer.start("127.0.0.1", 0, Attack.TEMPORARY_FAILURE_AT_MAIL);
                TestDestination destination =
                        destination(Collections.nCopies(10, "127.0.0.1"), peer, DeliveryLimits.DEFAULT, QUICK)) {
            DeliveryResult result = destination.delivery.deliver(TestDestination.envelope(RECIPIENTS), false, false);

            assertAllDeferred(result, EnhancedStatus.transientFailure(3, 2));
            assertThat(peer.connections()).isEqualTo(DeliveryLimits.DEFAULT.sessionLimit());
            assertThat(result.fates().get(0).cause()).contains("mxSessionLimit 2 reached");
        }
    }

    @Test
    void noConnectionBeginsOnceTheDeliverysTimeBudgetIsSpent() throws Exception {
        // Each silent address holds the delivery for its 1 s read timeout; the budget allows about two.
        DeliveryLimits budget = DeliveryLimits.of(100, 100, Duration.ofMillis(1_500));
        try (HostileSmtpServer peer = HostileSmtpServer.start("127.0.0.1", 0, Attack.SILENT);
                TestDestination destination = destination(Collections.nCopies(10, "127.0.0.1"), peer, budget, QUICK)) {
            DeliveryResult result = destination.delivery.deliver(TestDestination.envelope(RECIPIENTS), false, false);

            assertAllDeferred(result, EnhancedStatus.transientFailure(4, 2));
            assertThat(peer.connections()).isEqualTo(2);
            assertThat(result.fates().get(0).cause()).contains("deliveryTimeLimit 1 s reached");
        }
    }

    // 64 MiB, more than any socket buffer takes, written as it is sent and never held.
    private static Envelope largeMessage() {
        byte[] line = (String.join("", Collections.nCopies(99, "x")) + "\r\n").getBytes(StandardCharsets.US_ASCII);
        return Envelope.of("large", TestDestination.DOMAIN, "sender@sender.test", RECIPIENTS, out -> {
            out.write("Subject: large\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            for (int i = 0; i < 64 * 1024 * 1024 / line.length; i++) {
                out.write(line);
            }
        });
    }

    private static TestDestination destination(
            List<String> addresses, HostileSmtpServer peer, DeliveryLimits limits, SmtpLimits sessionLimits)
            throws Exception {
        return new TestDestination(addresses, null, peer.port(), false, TRUST, limits, sessionLimits);
    }

    private static void assertAllDeferred(DeliveryResult result, EnhancedStatus status) {
        assertThat(result.fates()).extracting(RecipientFate::recipient).containsExactlyElementsOf(RECIPIENTS);
        assertThat(result.fates()).allSatisfy(fate -> {
            assertThat(fate.fate()).isEqualTo(Fate.DEFERRED);
            assertThat(fate.status()).isEqualTo(status);
        });
    }
}
