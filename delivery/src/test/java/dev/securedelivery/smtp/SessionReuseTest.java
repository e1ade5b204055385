package dev.securedelivery.smtp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.securedelivery.dane.DaneRequirement;
import dev.securedelivery.dane.ReferenceIdentifiers;
import dev.securedelivery.dane.TlsaRecord;
import dev.securedelivery.mtasts.MtaStsLookup;
import dev.securedelivery.policy.MxHostPlan;
import dev.securedelivery.policy.TlsRequirement;
import dev.securedelivery.requiretls.MessageSecurity;
import dev.securedelivery.testing.IssuedCertificate;
import dev.securedelivery.testing.TestCertificateAuthority;
import dev.securedelivery.testing.TestClock;
import dev.securedelivery.testing.TestSmtpServer;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Sessions kept for the next message ({@link IdleSessions}) against a real STARTTLS server on
 * 127.0.0.1 that counts its connections and RSETs: given only to a message whose {@link SessionKey}
 * is identical, reset with RSET before use, never kept after an error, and within their idle time,
 * age and message count (on a clock of the test's, not by sleeping).
 */
class SessionReuseTest {
    private static final String MX = "mx.example.test";
    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();
    private static final MessageSecurity REQUIRETLS = MessageSecurity.of(Optional.empty(), true, false);
    private static final MessageSecurity TLS_OPTIONAL = MessageSecurity.of(Optional.empty(), false, true);

    private static TestCertificateAuthority root;
    private static IssuedCertificate certificate;

    private final AtomicLong now = new AtomicLong();
    private TestSmtpServer server;
    private IdleSessions pool;

    @BeforeAll
    static void issue() {
        root = TestCertificateAuthority.root("Session Reuse Root");
        certificate = root.issue(MX);
    }

    @BeforeEach
    void start() {
        server = TestSmtpServer.withStartTls(LOOPBACK, certificate);
    }

    @AfterEach
    void stop() {
        if (pool != null) {
            pool.close();
        }
        server.close();
    }

    @Test
    void twoMessagesToTheSameHostShareOneConnectionWithRsetBetween() {
        SmtpClient client = client(SessionReuse.DEFAULT, false);
        MxHostPlan host = plan(TlsRequirement.PKIX);

        DeliveryAttempt first = send(client, host, key(host), "first@example.test");
        DeliveryAttempt second = send(client, host, key(host), "second@example.test");

        assertThat(first.reusedSession()).isFalse();
        assertThat(second.reusedSession()).as(second.describe()).isTrue();
        assertThat(second.outcome()).isEqualTo(DeliveryAttempt.Outcome.DELIVERED);
        // The same TLS and the same authentication, said of each message.
        assertThat(second.authentication()).isEqualTo("PKIX");
        assertThat(second.tlsProtocol()).isEqualTo(first.tlsProtocol());
        assertThat(second.describe()).contains("reused-session=1");
        assertThat(server.sessions()).isEqualTo(1);
        assertThat(server.resets()).isEqualTo(1);
        assertThat(server.received()).hasSize(2).allSatisfy(mail -> {
            assertThat(mail.overTls).isTrue();
            assertThat(mail.session).isEqualTo("session-1");
            assertThat(mail.data).contains("authentication=PKIX");
        });
        assertThat(pool.idleCount()).isEqualTo(1);
    }

    @Test
    void aDifferentRequirementGetsItsOwnConnection() {
        MxHostPlan pkix = plan(TlsRequirement.PKIX);
        MxHostPlan encrypt = plan(TlsRequirement.ENCRYPT);

        assertSecondMessageConnectsAnew(pkix, key(pkix), encrypt, key(encrypt));
    }

    @Test
    void aDifferentTlsaRecordSetGetsItsOwnConnection() {
        TlsaRecord matching = TlsaRecord.forCertificate(
                TlsaRecord.DANE_EE, TlsaRecord.SELECTOR_SPKI, TlsaRecord.MATCH_SHA256, certificate.leaf());
        TlsaRecord other = TlsaRecord.forCertificate(
                TlsaRecord.DANE_EE,
                TlsaRecord.SELECTOR_SPKI,
                TlsaRecord.MATCH_SHA256,
                root.issue(MX).leaf());
        MxHostPlan one = dane(List.of(matching));
        MxHostPlan two = dane(List.of(matching, other));

        assertSecondMessageConnectsAnew(one, key(one), two, key(two));
    }

    @Test
    void aDifferentMtaStsPolicyIdGetsItsOwnConnection() {
        MxHostPlan host = plan(TlsRequirement.PKIX);

        assertSecondMessageConnectsAnew(
                host, key(host, "20240101", MessageSecurity.NONE), host, key(host, "20240102", MessageSecurity.NONE));
    }

    @Test
    void aRequireTlsMessageNeverGetsTheSessionOfOneWithout() {
        server.offerRequireTls();
        MxHostPlan plain = plan(TlsRequirement.PKIX);
        MxHostPlan requiring = plain.forMessage(TlsRequirement.PKIX, true, "REQUIRETLS");

        DeliveryAttempt second =
                assertSecondMessageConnectsAnew(plain, key(plain), requiring, key(requiring, null, REQUIRETLS));

        assertThat(second.outcome()).isEqualTo(DeliveryAttempt.Outcome.DELIVERED);
        assertThat(server.received().get(1).mailParameters).isEqualTo("REQUIRETLS");
    }

    @Test
    void aTlsRequiredNoMessageNeverGetsTheSessionOfOneWithout() {
        MxHostPlan host = plan(TlsRequirement.OPPORTUNISTIC);

        assertSecondMessageConnectsAnew(host, key(host), host, key(host, null, TLS_OPTIONAL));
    }

    @Test
    void anotherDestinationDomainGetsItsOwnConnection() {
        MxHostPlan host = plan(TlsRequirement.PKIX);
        SessionKey other =
                new SessionKey("other.test", host, LOOPBACK, null, null, null, null, MessageSecurity.NONE, true);

        assertSecondMessageConnectsAnew(host, key(host), host, other);
    }

    @Test
    void aSessionInWhichARecipientWasRefusedIsNotKept() {
        server.refuse("nobody@example.test");
        SmtpClient client = client(SessionReuse.DEFAULT, true);
        MxHostPlan host = plan(TlsRequirement.PKIX);

        DeliveryAttempt first = client.send(
                content(),
                "sender@sender.test",
                List.of("first@example.test", "nobody@example.test"),
                host,
                LOOPBACK,
                Duration.ofMinutes(1),
                key(host));
        DeliveryAttempt second = send(client, host, key(host), "second@example.test");

        assertThat(first.outcome()).isEqualTo(DeliveryAttempt.Outcome.DELIVERED);
        assertThat(second.reusedSession()).isFalse();
        assertThat(server.sessions()).isEqualTo(2);
        assertThat(server.resets()).isZero();
    }

    @Test
    void aSessionInWhichARecipientWasDeferredIsNotKept() {
        server.defer("busy@example.test");
        SmtpClient client = client(SessionReuse.DEFAULT, true);
        MxHostPlan host = plan(TlsRequirement.PKIX);

        client.send(
                content(),
                "sender@sender.test",
                List.of("first@example.test", "busy@example.test"),
                host,
                LOOPBACK,
                Duration.ofMinutes(1),
                key(host));
        DeliveryAttempt second = send(client, host, key(host), "second@example.test");

        assertThat(second.reusedSession()).isFalse();
        assertThat(server.sessions()).isEqualTo(2);
        assertThat(pool.idleCount()).isEqualTo(1);
    }

    @Test
    void aFailedRsetClosesTheSessionAndTheMessageGoesOnceOverANewConnection() {
        SmtpClient client = client(SessionReuse.DEFAULT, false);
        MxHostPlan host = plan(TlsRequirement.PKIX);
        send(client, host, key(host), "first@example.test");
        server.answerRset("451 4.3.0 not now");

        DeliveryAttempt second = send(client, host, key(host), "second@example.test");

        // RFC 5321 4.1.1.5: anything but 250 to RSET, and the session is not used; the recipient never knew.
        assertThat(second.outcome()).isEqualTo(DeliveryAttempt.Outcome.DELIVERED);
        assertThat(second.reusedSession()).isFalse();
        assertThat(second.recipients())
                .singleElement()
                .satisfies(result -> assertThat(result.kind()).isEqualTo(RecipientResult.Kind.ACCEPTED));
        assertThat(server.resets()).isEqualTo(1);
        assertThat(server.sessions()).isEqualTo(2);
        assertThat(server.received())
                .filteredOn(mail -> mail.recipients.contains("second@example.test"))
                .singleElement()
                .satisfies(mail -> assertThat(mail.session).isEqualTo("session-2"));
    }

    @Test
    void aKeptSessionThatRefusesMailFromLeavesTheMessageToANewConnection() {
        SmtpClient client = client(SessionReuse.DEFAULT, false);
        MxHostPlan host = plan(TlsRequirement.PKIX);
        send(client, host, key(host), "first@example.test");
        server.answerRepeatedMail("554 5.3.2 not on this session");

        DeliveryAttempt second = send(client, host, key(host), "second@example.test");

        // The kept session's 5xx refuses nobody: the new connection's answer decides.
        assertThat(second.outcome()).isEqualTo(DeliveryAttempt.Outcome.DELIVERED);
        assertThat(second.reusedSession()).isFalse();
        assertThat(server.sessions()).isEqualTo(2);
        assertThat(server.received())
                .filteredOn(mail -> mail.recipients.contains("second@example.test"))
                .singleElement()
                .satisfies(mail -> assertThat(mail.session).isEqualTo("session-2"));
    }

    @Test
    void aSessionIdleForItsIdleTimeIsNotUsed() {
        SmtpClient client = client(SessionReuse.DEFAULT, false);
        MxHostPlan host = plan(TlsRequirement.PKIX);
        send(client, host, key(host), "first@example.test");

        now.addAndGet(SessionReuse.DEFAULT.idleTime().toNanos());
        DeliveryAttempt second = send(client, host, key(host), "second@example.test");

        assertThat(second.reusedSession()).isFalse();
        assertThat(server.sessions()).isEqualTo(2);
        assertThat(server.resets()).isZero();
    }

    @Test
    void theReaperClosesSessionsPastTheirIdleTimeOnly() {
        SmtpClient client = client(SessionReuse.DEFAULT, false);
        MxHostPlan host = plan(TlsRequirement.PKIX);
        send(client, host, key(host), "first@example.test");
        now.addAndGet(SessionReuse.DEFAULT.idleTime().toNanos() - 1);

        assertThat(pool.reap()).isZero();
        now.addAndGet(1);
        assertThat(pool.reap()).isEqualTo(1);
        assertThat(pool.idleCount()).isZero();
    }

    @Test
    void theReaperGoesOnAfterARoundThatFailed() {
        // A scheduled task that throws is never run again: three failed rounds must not end the reaper.
        AtomicInteger failingRounds = new AtomicInteger();
        pool = IdleSessions.startOn(SessionReuse.DEFAULT, () -> {
            if (failingRounds.getAndUpdate(left -> Math.max(0, left - 1)) > 0) {
                throw new IllegalStateException("a clock that fails");
            }
            return now.get();
        });
        SmtpSettings settings = SmtpSettings.of("sender.test")
                .withPort(server.port())
                .withLimits(SmtpLimits.DEFAULT.withConnectTimeout(Duration.ofSeconds(5)));
        SmtpClient client = new SmtpClient(settings, root.trustManager(), Clock.systemUTC(), pool);
        MxHostPlan host = plan(TlsRequirement.PKIX);
        send(client, host, key(host), "first@example.test");
        assertThat(pool.idleCount()).isEqualTo(1);

        failingRounds.set(3);
        now.addAndGet(SessionReuse.DEFAULT.idleTime().toNanos());

        await().atMost(Duration.ofSeconds(20)).until(() -> pool.idleCount() == 0);
        assertThat(failingRounds.get()).isZero();
    }

    @Test
    void aSessionCarriesAtMostItsMostMessages() {
        SmtpClient client = client(SessionReuse.DEFAULT.withMaxMessages(2), false);
        MxHostPlan host = plan(TlsRequirement.PKIX);

        for (int i = 1; i <= 5; i++) {
            send(client, host, key(host), "user" + i + "@example.test");
        }

        // 1+2, 3+4, 5.
        assertThat(server.sessions()).isEqualTo(3);
        assertThat(server.received())
                .extracting(mail -> mail.session)
                .containsExactly("session-1", "session-1", "session-2", "session-2", "session-3");
    }

    @Test
    void aSessionPastItsAgeIsNotUsed() {
        SessionReuse reuse =
                SessionReuse.DEFAULT.withIdleTime(Duration.ofMinutes(10)).withMaxAge(Duration.ofSeconds(60));
        SmtpClient client = client(reuse, false);
        MxHostPlan host = plan(TlsRequirement.PKIX);
        send(client, host, key(host), "first@example.test");
        now.addAndGet(Duration.ofSeconds(59).toNanos());
        DeliveryAttempt second = send(client, host, key(host), "second@example.test");
        now.addAndGet(Duration.ofSeconds(1).toNanos());
        DeliveryAttempt third = send(client, host, key(host), "third@example.test");

        assertThat(second.reusedSession()).isTrue();
        assertThat(third.reusedSession()).isFalse();
        assertThat(server.sessions()).isEqualTo(2);
    }

    @Test
    void aPkixSessionWhoseCertificateExpiredWhileKeptIsNotUsed() {
        TestClock wall = TestClock.atSystemTime();
        serveCertificateExpiringAt(wall.instant().plus(Duration.ofMinutes(1)));
        SmtpClient client = client(SessionReuse.DEFAULT, false, wall);
        MxHostPlan host = plan(TlsRequirement.PKIX);
        DeliveryAttempt first = send(client, host, key(host), "first@example.test");
        assertThat(first.authentication()).isEqualTo("PKIX");

        wall.advance(Duration.ofMinutes(2));
        DeliveryAttempt second = send(client, host, key(host), "second@example.test");

        // The kept session is closed, not reset; the message connects anew and is judged anew (by the
        // JDK's PKIX check, on the system's time, where the certificate is still valid).
        assertThat(second.reusedSession()).isFalse();
        assertThat(second.outcome()).isEqualTo(DeliveryAttempt.Outcome.DELIVERED);
        assertThat(second.authentication()).isEqualTo("PKIX");
        assertThat(server.sessions()).isEqualTo(2);
        assertThat(server.resets()).isZero();
    }

    @Test
    void anExtraCertificateThatHadExpiredBeforeTheHandshakeDoesNotStopReuse() {
        TestClock wall = TestClock.atSystemTime();
        Instant now = wall.instant();
        // Our root, cross-signed by an older one, the cross-sign expired a day ago: servers that still
        // send such a certificate after their chain stopped needing it are common.
        X509Certificate stale = TestCertificateAuthority.root("Old Root")
                .crossSign(root, now.minus(Duration.ofDays(365)), now.minus(Duration.ofDays(1)));
        server.close();
        server = TestSmtpServer.withStartTls(LOOPBACK, certificate.withIssuers(stale));
        SmtpClient client = client(SessionReuse.DEFAULT, false, wall);
        MxHostPlan host = plan(TlsRequirement.PKIX);
        DeliveryAttempt first = send(client, host, key(host), "first@example.test");
        assertThat(first.peerCertificates()).containsExactly(certificate.leaf(), stale);

        wall.advance(Duration.ofMinutes(2));
        DeliveryAttempt second = send(client, host, key(host), "second@example.test");

        assertThat(second.reusedSession()).isTrue();
        assertThat(server.sessions()).isEqualTo(1);
    }

    @Test
    void aDaneTaSessionWhoseChainExpiredWhileKeptIsNotUsed() {
        TestClock wall = TestClock.atSystemTime();
        IssuedCertificate expiring = root.issue(
                        Instant.now().minus(Duration.ofHours(1)), wall.instant().plus(Duration.ofMinutes(1)), MX)
                .sendingRoot();
        server.close();
        server = TestSmtpServer.withStartTls(LOOPBACK, expiring);
        SmtpClient client = client(SessionReuse.DEFAULT, false, wall);
        MxHostPlan host = dane(List.of(TlsaRecord.forCertificate(
                TlsaRecord.DANE_TA, TlsaRecord.SELECTOR_CERT, TlsaRecord.MATCH_SHA256, root.rootCertificate())));
        DeliveryAttempt first = send(client, host, key(host), "first@example.test");
        assertThat(first.authentication()).startsWith("DANE-TA");

        wall.advance(Duration.ofMinutes(2));
        DeliveryAttempt second = send(client, host, key(host), "second@example.test");

        // RFC 7672 3.1.2: DANE-TA checks the chain's dates, so a chain expired since is no session to reuse.
        assertThat(second.reusedSession()).isFalse();
        assertThat(server.sessions()).isEqualTo(2);
        assertThat(server.resets()).isZero();
    }

    @Test
    void aDaneEeSessionIsUsedWhateverItsCertificatesDates() {
        TestClock wall = TestClock.atSystemTime();
        IssuedCertificate expiring = serveCertificateExpiringAt(wall.instant().plus(Duration.ofMinutes(1)));
        SmtpClient client = client(SessionReuse.DEFAULT, false, wall);
        MxHostPlan host = dane(List.of(TlsaRecord.forCertificate(
                TlsaRecord.DANE_EE, TlsaRecord.SELECTOR_SPKI, TlsaRecord.MATCH_SHA256, expiring.leaf())));
        send(client, host, key(host), "first@example.test");

        wall.advance(Duration.ofMinutes(2));
        DeliveryAttempt second = send(client, host, key(host), "second@example.test");

        // RFC 7672 3.1.1: DANE-EE ignores the validity period, so expiry is no reason to connect anew.
        assertThat(second.reusedSession()).isTrue();
        assertThat(second.authentication()).startsWith("DANE-EE");
        assertThat(server.sessions()).isEqualTo(1);
    }

    @Test
    void withReuseOffEveryMessageHasItsOwnConnection() {
        SmtpClient client = client(SessionReuse.OFF, false);
        MxHostPlan host = plan(TlsRequirement.PKIX);

        send(client, host, key(host), "first@example.test");
        send(client, host, key(host), "second@example.test");

        assertThat(client.reusesSessions()).isFalse();
        assertThat(server.sessions()).isEqualTo(2);
        assertThat(pool.idleCount()).isZero();
    }

    @Test
    void thePoolKeepsNoMoreThanItsMostIdleSessions() {
        SmtpClient client = client(SessionReuse.DEFAULT.withMaxIdleSessions(1), false);
        MxHostPlan host = plan(TlsRequirement.PKIX);

        send(client, host, key(host, "1", MessageSecurity.NONE), "first@example.test");
        send(client, host, key(host, "2", MessageSecurity.NONE), "second@example.test");

        assertThat(pool.idleCount()).isEqualTo(1);
        pool.close();
        assertThat(pool.idleCount()).isZero();
    }

    // ---- fixtures ----

    private DeliveryAttempt assertSecondMessageConnectsAnew(
            MxHostPlan firstHost, SessionKey firstKey, MxHostPlan secondHost, SessionKey secondKey) {
        SmtpClient client = client(SessionReuse.DEFAULT, false);
        DeliveryAttempt first = send(client, firstHost, firstKey, "first@example.test");
        assertThat(first.outcome()).as(first.describe()).isEqualTo(DeliveryAttempt.Outcome.DELIVERED);
        assertThat(pool.idleCount()).isEqualTo(1);

        DeliveryAttempt second = send(client, secondHost, secondKey, "second@example.test");

        assertThat(second.reusedSession()).isFalse();
        assertThat(server.sessions()).isEqualTo(2);
        assertThat(server.resets()).isZero();
        assertThat(server.received()).extracting(mail -> mail.session).containsExactly("session-1", "session-2");
        return second;
    }

    private SmtpClient client(SessionReuse reuse, boolean sendPartial) {
        return client(reuse, sendPartial, Clock.systemUTC());
    }

    // The server now presents a certificate for the MX valid from an hour ago until notAfter.
    private IssuedCertificate serveCertificateExpiringAt(Instant notAfter) {
        IssuedCertificate expiring = root.issue(Instant.now().minus(Duration.ofHours(1)), notAfter, MX);
        server.close();
        server = TestSmtpServer.withStartTls(LOOPBACK, expiring);
        return expiring;
    }

    private SmtpClient client(SessionReuse reuse, boolean sendPartial, Clock wall) {
        pool = IdleSessions.onClock(reuse, now::get);
        SmtpSettings settings = SmtpSettings.of("sender.test")
                .withPort(server.port())
                .withSendPartial(sendPartial)
                .withTraceHeader("X-Secure-Delivery")
                .withLimits(SmtpLimits.DEFAULT
                        .withConnectTimeout(Duration.ofSeconds(5))
                        .withReadTimeout(Duration.ofSeconds(10)));
        return new SmtpClient(settings, root.trustManager(), wall, pool);
    }

    private static DeliveryAttempt send(SmtpClient client, MxHostPlan host, SessionKey key, String recipient) {
        return client.send(
                content(), "sender@sender.test", List.of(recipient), host, LOOPBACK, Duration.ofMinutes(1), key);
    }

    private static MxHostPlan plan(TlsRequirement requirement) {
        return MxHostPlan.usable(MX, 10, List.of(LOOPBACK), requirement, null, "test");
    }

    private static MxHostPlan dane(List<TlsaRecord> records) {
        DaneRequirement dane = DaneRequirement.tlsa(
                MX, List.of(LOOPBACK), records, ReferenceIdentifiers.of(MX, "example.test"), "test records");
        return MxHostPlan.usable(MX, 10, List.of(LOOPBACK), TlsRequirement.DANE, dane, "test");
    }

    private static SessionKey key(MxHostPlan host) {
        return key(host, null, MessageSecurity.NONE);
    }

    private static SessionKey key(MxHostPlan host, String policyId, MessageSecurity demands) {
        return new SessionKey(
                "example.test",
                host,
                LOOPBACK,
                policyId == null ? null : MtaStsLookup.Outcome.POLICY,
                policyId,
                policyId == null ? null : "version: STSv1\nmode: enforce\nmx: " + MX + "\nmax_age: 86400\n",
                null,
                demands,
                true);
    }

    private static MessageContent content() {
        byte[] message =
                "From: sender@sender.test\r\nSubject: test\r\n\r\nHello.\r\n".getBytes(StandardCharsets.US_ASCII);
        return out -> out.write(message);
    }
}
