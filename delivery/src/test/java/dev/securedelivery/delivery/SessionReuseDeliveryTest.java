package dev.securedelivery.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import dev.securedelivery.smtp.DeliveryAttempt;
import dev.securedelivery.smtp.IdleSessions;
import dev.securedelivery.smtp.PeerAuthentication;
import dev.securedelivery.smtp.SessionReuse;
import dev.securedelivery.smtp.SmtpLimits;
import dev.securedelivery.testing.TestCertificateAuthority;
import dev.securedelivery.testing.TestSmtpServer;
import dev.securedelivery.tlsrpt.PolicyResults;
import dev.securedelivery.tlsrpt.PolicyType;
import dev.securedelivery.tlsrpt.ReportedPolicy;
import dev.securedelivery.tlsrpt.SessionCounts;
import dev.securedelivery.tlsrpt.SessionJournal;
import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.X509TrustManager;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Whole deliveries of several messages to dest.test (opportunistic, no published policy) over a
 * kept session, against a real STARTTLS server: each message is delivered once, its attempt and the
 * outcome counts say how the session was authenticated, and TLS reports count the connection once
 * (RFC 8460 4.4 counts connections, not messages).
 */
class SessionReuseDeliveryTest {
    private static final TestCertificateAuthority ROOT = TestCertificateAuthority.root("Reuse Delivery Root");
    private static final X509TrustManager TRUST = ROOT.trustManager();

    @TempDir
    Path journalDirectory;

    private final AtomicLong now = new AtomicLong();
    private TestSmtpServer server;
    private IdleSessions pool;
    private SessionJournal journal;
    private TestDestination destination;

    @BeforeEach
    void start() throws Exception {
        server = TestSmtpServer.withStartTls(InetAddress.getByName("127.0.0.1"), ROOT.issue("mx1.dest.test"));
        pool = IdleSessions.onClock(SessionReuse.DEFAULT, now::get);
        journal = SessionJournal.open(journalDirectory, Duration.ofDays(1));
        destination = new TestDestination(
                List.of("127.0.0.1"),
                null,
                server.port(),
                false,
                TRUST,
                DeliveryLimits.DEFAULT,
                SmtpLimits.DEFAULT.withConnectTimeout(Duration.ofSeconds(2)).withReadTimeout(Duration.ofSeconds(5)),
                pool,
                new TlsRptRecorder(journal, TRUST, Clock.systemUTC(), address -> "192.0.2.1"));
    }

    @AfterEach
    void stop() throws Exception {
        destination.close();
        pool.close();
        server.close();
        journal.close();
    }

    @Test
    void threeMessagesGoOnceEachOverOneConnectionCountedOnceForTlsReports() {
        List<DeliveryResult> results = List.of(
                deliver(TestDestination.envelope(List.of("a@dest.test", "b@dest.test"))),
                deliver(TestDestination.envelope(List.of("c@dest.test"))),
                deliver(TestDestination.envelope(List.of("a@dest.test"))));

        assertThat(results)
                .allSatisfy(
                        result -> assertThat(result.withFate(Fate.DELIVERED)).hasSameSizeAs(result.fates()));
        assertThat(server.sessions()).isEqualTo(1);
        assertThat(server.resets()).isEqualTo(2);
        assertThat(server.received())
                .extracting(mail -> mail.recipients)
                .containsExactly(List.of("a@dest.test", "b@dest.test"), List.of("c@dest.test"), List.of("a@dest.test"));
        assertThat(server.received())
                .allSatisfy(mail -> assertThat(mail.overTls).isTrue());
        assertThat(results.get(2).attempts()).singleElement().satisfies(attempt -> {
            assertThat(attempt.reusedSession()).isTrue();
            assertThat(attempt.messagesBefore()).isEqualTo(2);
            assertThat(attempt.authentication()).isEqualTo("none");
        });
        // Each message's attempt counts, with the authentication of its session.
        assertThat(destination.outcomes.of("dest.test").orElseThrow().attempts())
                .containsExactly(Map.entry(
                        new DeliveryOutcomes.AttemptKind(PeerAuthentication.NONE, DeliveryAttempt.Outcome.DELIVERED),
                        3L));
        // RFC 8460 4.4: one TLS connection, one successful session, whatever it carried.
        assertThat(sessionsReported()).singleElement().satisfies(entry -> {
            assertThat(entry.getKey().type()).isEqualTo(PolicyType.NO_POLICY_FOUND);
            assertThat(entry.getValue().successfulSessions()).isEqualTo(1);
            assertThat(entry.getValue().failedSessions()).isZero();
        });
    }

    @Test
    void aTlsReportsOwnDeliveryNeverSharesASessionWithMailThatIsReported() {
        // RFC 8460 5.3: a report's delivery is not counted; the next message's connection must be.
        deliver(TestDestination.envelope(List.of("tlsrpt@dest.test")).unreported());
        DeliveryResult reported = deliver(TestDestination.envelope(List.of("user@dest.test")));

        assertThat(reported.attempts())
                .singleElement()
                .satisfies(attempt -> assertThat(attempt.reusedSession()).isFalse());
        assertThat(server.sessions()).isEqualTo(2);
        assertThat(sessionsReported())
                .singleElement()
                .satisfies(entry ->
                        assertThat(entry.getValue().successfulSessions()).isEqualTo(1));
    }

    @Test
    void aKeptSessionCountsAsOneSessionOfTheMessageItCarries() {
        deliver(TestDestination.envelope(List.of("first@dest.test")));

        DeliveryResult second = deliver(TestDestination.envelope(List.of("second@dest.test")));

        // Postfix's smtp_mx_session_limit counts sessions that got past EHLO: a kept one has.
        assertThat(second.attempts()).singleElement().satisfies(attempt -> {
            assertThat(attempt.reusedSession()).isTrue();
            assertThat(attempt.completedHandshake()).isTrue();
            assertThat(attempt.stage()).isEqualTo(DeliveryAttempt.Stage.COMPLETE);
        });
    }

    @Test
    void aLineTheServerSentWhileTheTlsSessionWasIdleKeepsTheSessionFromBeingUsedAgain() throws Exception {
        // The stale 250 comes in a TLS record of its own while the session waits: nothing of it is
        // decrypted yet, so only the socket under TLS knows it is there. Taken as RSET's answer, it
        // would shift every later reply by one, and DATA's 250 would pass for the end of DATA's.
        try (ScriptedSmtpPeer peer = ScriptedSmtpPeer.start(
                        InetAddress.getByName("127.0.0.1"),
                        ROOT.issue("mx1.dest.test").serverContext(),
                        new ScriptedSmtpPeer.Script().staleLineWhileIdle());
                TestDestination scripted = new TestDestination(
                        List.of("127.0.0.1"),
                        null,
                        peer.port(),
                        false,
                        TRUST,
                        DeliveryLimits.DEFAULT,
                        TestDestination.quickLimits(),
                        pool,
                        null)) {
            DeliveryResult first =
                    scripted.delivery.deliver(TestDestination.envelope(List.of("first@dest.test")), false, false);
            assertThat(first.withFate(Fate.DELIVERED)).hasSize(1);
            assertThat(pool.idleCount()).isEqualTo(1);
            peer.awaitStaleLine();

            DeliveryResult second =
                    scripted.delivery.deliver(TestDestination.envelope(List.of("second@dest.test")), false, false);

            assertThat(second.withFate(Fate.DELIVERED)).hasSize(1);
            assertThat(second.attempts()).singleElement().satisfies(attempt -> {
                assertThat(attempt.reusedSession()).isFalse();
                assertThat(attempt.tlsProtocol()).isPresent();
            });
            // Both taken, each once, each in a session of its own.
            assertThat(peer.accepted())
                    .extracting(copy -> copy.recipients)
                    .containsExactly(List.of("first@dest.test"), List.of("second@dest.test"));
            assertThat(peer.rcptsPerSession()).hasSize(2);
            assertThat(peer.commands()).doesNotContain("RSET");
        }
    }

    private DeliveryResult deliver(Envelope envelope) {
        return destination.delivery.deliver(envelope, false, false);
    }

    // What dest.test's report holds, per policy.
    private List<Map.Entry<ReportedPolicy, PolicyResults>> sessionsReported() {
        SessionCounts counts = journal.counts();
        assertThat(counts.periods()).hasSize(1);
        return new ArrayList<>(counts.of(counts.periods().get(0), "dest.test").entrySet());
    }
}
