package dev.securedelivery.smtp;

import static org.assertj.core.api.Assertions.assertThat;

import dev.securedelivery.dane.DaneRequirement;
import dev.securedelivery.dane.ReferenceIdentifiers;
import dev.securedelivery.dane.TlsaRecord;
import dev.securedelivery.policy.MxHostPlan;
import dev.securedelivery.policy.TlsRequirement;
import dev.securedelivery.testing.IssuedCertificate;
import dev.securedelivery.testing.StartTlsStrippingProxy;
import dev.securedelivery.testing.TestCertificateAuthority;
import dev.securedelivery.testing.TestSmtpServer;
import dev.securedelivery.tlsrpt.ResultType;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * One connection per requirement against real SMTP servers on 127.0.0.1 that speak STARTTLS with
 * test-CA certificates, and against an attacker that strips STARTTLS.
 */
class SmtpClientTest {
    private static final String MX = "mx.example.test";
    private static final String SECRET = "secret-content-4711";
    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

    private static TestCertificateAuthority root;
    private static TestCertificateAuthority intermediate;
    private static IssuedCertificate good;

    private final List<AutoCloseable> closeables = new ArrayList<>();

    @BeforeAll
    static void issue() {
        root = TestCertificateAuthority.root("SMTP Test Root");
        intermediate = root.intermediate("SMTP Test Intermediate");
        good = intermediate.issue(MX);
    }

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable closeable : closeables) {
            closeable.close();
        }
    }

    @Test
    void aNameTheTlsLayerRefusesIsAFailureOfThatHostNotAnException() throws Exception {
        // A plan never holds such a name (DeliveryPolicy skips it); should one come, SNI throws
        // IllegalArgumentException, and that must stay inside the session.
        TestSmtpServer server = tlsServer(good);
        MxHostPlan host = MxHostPlan.usable(
                "mx_2.example.test", 10, List.of(LOOPBACK), TlsRequirement.OPPORTUNISTIC, null, "test");

        DeliveryAttempt attempt = send(server.address(), host);

        assertThat(attempt.outcome()).isEqualTo(DeliveryAttempt.Outcome.TEMPORARY_FAILURE);
        assertThat(attempt.status()).contains(EnhancedStatus.transientFailure(3, 0));
        assertThat(attempt.detail()).startsWith("the session failed unexpectedly");
        assertThat(attempt.recipients())
                .singleElement()
                .satisfies(recipient -> assertThat(recipient.kind()).isEqualTo(RecipientResult.Kind.NOT_SENT));
        assertThat(server.received()).isEmpty();
    }

    @Test
    void opportunisticUsesStartTlsWhenOffered() throws Exception {
        TestSmtpServer server = tlsServer(good);

        DeliveryAttempt attempt = send(server.address(), plan(TlsRequirement.OPPORTUNISTIC, null));

        assertThat(attempt.outcome()).as(attempt.describe()).isEqualTo(DeliveryAttempt.Outcome.DELIVERED);
        assertThat(attempt.tlsProtocol()).get().asString().startsWith("TLSv1.");
        assertThat(attempt.authentication()).isEqualTo("none");
        assertThat(server.received())
                .singleElement()
                .satisfies(mail -> assertThat(mail.overTls).isTrue());
    }

    @Test
    void aProbeSecuresTheConnectionAsRequiredAndSendsNothing() throws Exception {
        TestSmtpServer server = tlsServer(good);

        DeliveryAttempt attempt = client(server.address())
                .probe(plan(TlsRequirement.PKIX, null), server.address().getAddress());

        assertThat(attempt.outcome()).as(attempt.describe()).isEqualTo(DeliveryAttempt.Outcome.SECURED);
        assertThat(attempt.authentication()).isEqualTo("PKIX");
        assertThat(attempt.tlsProtocol()).get().asString().startsWith("TLSv1.");
        assertThat(server.received()).isEmpty();
    }

    @Test
    void aProbeMeetsTheFailureADeliveryWould() throws Exception {
        TestSmtpServer server = tlsServer(good);
        StartTlsStrippingProxy proxy = proxy(server, StartTlsStrippingProxy.Variant.HIDE);

        DeliveryAttempt attempt = client(proxy.address())
                .probe(plan(TlsRequirement.PKIX, null), proxy.address().getAddress());

        assertThat(attempt.outcome()).isEqualTo(DeliveryAttempt.Outcome.TEMPORARY_FAILURE);
        assertThat(attempt.resultType()).contains(ResultType.STARTTLS_NOT_SUPPORTED);
    }

    @Test
    void opportunisticDeliversInPlaintextWhereStartTlsIsNotOffered() throws Exception {
        TestSmtpServer server = TestSmtpServer.plaintext(LOOPBACK);
        closeables.add(server);

        DeliveryAttempt attempt = send(server.address(), plan(TlsRequirement.OPPORTUNISTIC, null));

        assertThat(attempt.outcome()).isEqualTo(DeliveryAttempt.Outcome.DELIVERED);
        assertThat(attempt.authentication()).isEqualTo("plaintext");
        assertThat(server.received())
                .singleElement()
                .satisfies(mail -> assertThat(mail.overTls).isFalse());
    }

    @Test
    void opportunisticFallsBackToPlaintextWhenStartTlsIsRefused() throws Exception {
        TestSmtpServer server = tlsServer(good);
        StartTlsStrippingProxy proxy = proxy(server, StartTlsStrippingProxy.Variant.REFUSE_454);

        DeliveryAttempt attempt = send(proxy.address(), plan(TlsRequirement.OPPORTUNISTIC, null));

        assertThat(attempt.outcome()).isEqualTo(DeliveryAttempt.Outcome.DELIVERED);
        assertThat(attempt.detail()).startsWith("TLS failed (STARTTLS was refused: 454");
        assertThat(server.received()).hasSize(1);
    }

    @Test
    void encryptionIsRequiredWhereTheRequirementSaysSo() throws Exception {
        TestSmtpServer server = TestSmtpServer.plaintext(LOOPBACK);
        closeables.add(server);

        DeliveryAttempt attempt = send(server.address(), plan(TlsRequirement.ENCRYPT, null));

        assertThat(attempt.outcome()).isEqualTo(DeliveryAttempt.Outcome.TEMPORARY_FAILURE);
        assertThat(attempt.status().map(Object::toString)).contains("4.7.4");
        assertThat(attempt.resultType()).contains(ResultType.STARTTLS_NOT_SUPPORTED);
        assertThat(server.received()).isEmpty();
    }

    @Test
    void pkixAcceptsAValidChainForTheMxName() throws Exception {
        DeliveryAttempt attempt = send(tlsServer(good).address(), plan(TlsRequirement.PKIX, null));

        assertThat(attempt.outcome()).as(attempt.describe()).isEqualTo(DeliveryAttempt.Outcome.DELIVERED);
        assertThat(attempt.authentication()).isEqualTo("PKIX");
    }

    @Test
    void pkixRefusesACertificateForAnotherName() throws Exception {
        TestSmtpServer server = tlsServer(intermediate.issue("mx.elsewhere.test"));

        DeliveryAttempt attempt = send(server.address(), plan(TlsRequirement.PKIX, null));

        assertThat(attempt.outcome()).isEqualTo(DeliveryAttempt.Outcome.TEMPORARY_FAILURE);
        assertThat(attempt.status().map(Object::toString)).contains("4.7.5");
        assertThat(attempt.resultType()).contains(ResultType.CERTIFICATE_HOST_MISMATCH);
        assertThat(server.received()).isEmpty();
        // The log line says TLS was tried and failed, not that the session was plaintext.
        assertThat(attempt.tlsFailed()).isTrue();
        assertThat(attempt.describe())
                .contains(" tls=failed ")
                .contains(" authentication=failed ")
                .doesNotContain("plaintext");
    }

    @Test
    void pkixRefusesAnUntrustedOrExpiredCertificate() throws Exception {
        Instant now = Instant.now();
        DeliveryAttempt untrusted = send(
                tlsServer(TestCertificateAuthority.root("Stranger").issue(MX)).address(),
                plan(TlsRequirement.PKIX, null));
        DeliveryAttempt expired = send(
                tlsServer(intermediate.issue(now.minus(Duration.ofDays(9)), now.minus(Duration.ofDays(1)), MX))
                        .address(),
                plan(TlsRequirement.PKIX, null));

        assertThat(untrusted.resultType()).contains(ResultType.CERTIFICATE_NOT_TRUSTED);
        assertThat(expired.resultType()).contains(ResultType.CERTIFICATE_EXPIRED);
    }

    @Test
    void aStrippedStartTlsStopsARequiredTlsConnectionBeforeAnyContentIsSent() throws Exception {
        for (StartTlsStrippingProxy.Variant variant : StartTlsStrippingProxy.Variant.values()) {
            TestSmtpServer server = tlsServer(good);
            StartTlsStrippingProxy proxy = proxy(server, variant);

            DeliveryAttempt attempt = send(proxy.address(), plan(TlsRequirement.PKIX, null));

            assertThat(attempt.outcome()).as(variant.name()).isEqualTo(DeliveryAttempt.Outcome.TEMPORARY_FAILURE);
            assertThat(attempt.status().map(Object::toString))
                    .as(variant.name())
                    .contains("4.7.4");
            assertThat(attempt.isPolicyFailure()).isTrue();
            assertThat(proxy.seenFromClients())
                    .as(variant.name())
                    .doesNotContain(SECRET)
                    .doesNotContain("RCPT");
            assertThat(server.received()).isEmpty();
        }
    }

    @Test
    void daneAuthenticatesByTheMatchingRecordAndSaysWhich() throws Exception {
        TlsaRecord ee = TlsaRecord.forCertificate(
                TlsaRecord.DANE_EE, TlsaRecord.SELECTOR_SPKI, TlsaRecord.MATCH_SHA256, good.leaf());
        TlsaRecord ta = TlsaRecord.forCertificate(
                TlsaRecord.DANE_TA, TlsaRecord.SELECTOR_CERT, TlsaRecord.MATCH_SHA256, intermediate.certificate());

        DeliveryAttempt byEe = send(tlsServer(good).address(), plan(TlsRequirement.DANE, dane(ee)));
        DeliveryAttempt byTa = send(tlsServer(good).address(), plan(TlsRequirement.DANE, dane(ta)));

        assertThat(byEe.outcome()).as(byEe.describe()).isEqualTo(DeliveryAttempt.Outcome.DELIVERED);
        assertThat(byEe.authentication()).isEqualTo("DANE-EE " + ee);
        assertThat(byTa.authentication()).isEqualTo("DANE-TA " + ta);
    }

    @Test
    void aTlsaMismatchStopsTheConnection() throws Exception {
        TlsaRecord other = TlsaRecord.forCertificate(
                TlsaRecord.DANE_EE,
                TlsaRecord.SELECTOR_SPKI,
                TlsaRecord.MATCH_SHA256,
                intermediate.issue(MX).leaf());
        TestSmtpServer server = tlsServer(good);

        DeliveryAttempt attempt = send(server.address(), plan(TlsRequirement.DANE, dane(other)));

        assertThat(attempt.outcome()).isEqualTo(DeliveryAttempt.Outcome.TEMPORARY_FAILURE);
        assertThat(attempt.status().map(Object::toString)).contains("4.7.5");
        assertThat(attempt.resultType()).contains(ResultType.TLSA_INVALID);
        assertThat(server.received()).isEmpty();
    }

    @Test
    void noTlsMeansPlaintextEvenWhereStartTlsIsOffered() throws Exception {
        TestSmtpServer server = tlsServer(good);

        DeliveryAttempt attempt = send(server.address(), plan(TlsRequirement.NO_TLS, null));

        assertThat(attempt.outcome()).isEqualTo(DeliveryAttempt.Outcome.DELIVERED);
        assertThat(attempt.authentication()).isEqualTo("plaintext");
        assertThat(server.received())
                .singleElement()
                .satisfies(mail -> assertThat(mail.overTls).isFalse());
    }

    @Test
    void aRecipientRefusedWith5xxIsAPermanentFailure() throws Exception {
        TestSmtpServer server = tlsServer(good).refuse("user@example.test");

        DeliveryAttempt attempt = send(server.address(), plan(TlsRequirement.OPPORTUNISTIC, null));

        assertThat(attempt.outcome()).isEqualTo(DeliveryAttempt.Outcome.PERMANENT_FAILURE);
        assertThat(attempt.isPolicyFailure()).isFalse();
    }

    @Test
    void withSendPartialTheRefusedRecipientsAreReportedForBouncingAndTheOthersDelivered() throws Exception {
        TestSmtpServer server = tlsServer(good).refuse("nobody@example.test");
        SmtpClient client = new SmtpClient(
                SmtpSettings.of("sender.test").withPort(server.port()).withSendPartial(true),
                root.trustManager(),
                Clock.systemUTC());

        DeliveryAttempt attempt = client.send(
                content(),
                "sender@sender.test",
                List.of("user@example.test", "nobody@example.test"),
                plan(TlsRequirement.PKIX, null),
                LOOPBACK);

        assertThat(attempt.outcome()).isEqualTo(DeliveryAttempt.Outcome.DELIVERED);
        assertThat(attempt.recipients())
                .extracting(RecipientResult::kind)
                .containsExactly(RecipientResult.Kind.ACCEPTED, RecipientResult.Kind.REFUSED);
        assertThat(attempt.recipient("nobody@example.test").get().status().toString())
                .isEqualTo("5.1.1");
        assertThat(server.received())
                .singleElement()
                .satisfies(mail -> assertThat(mail.recipients).containsExactly("user@example.test"));
    }

    @Test
    void afterAPlaintextFallbackTheRefusedRecipientsAreStillReportedForBouncing() throws Exception {
        TestSmtpServer server = tlsServer(good).refuse("nobody@example.test");
        StartTlsStrippingProxy proxy = proxy(server, StartTlsStrippingProxy.Variant.REFUSE_454);
        SmtpClient client = new SmtpClient(
                SmtpSettings.of("sender.test")
                        .withPort(proxy.address().getPort())
                        .withSendPartial(true),
                root.trustManager(),
                Clock.systemUTC());

        DeliveryAttempt attempt = client.send(
                content(),
                "sender@sender.test",
                List.of("user@example.test", "nobody@example.test"),
                plan(TlsRequirement.OPPORTUNISTIC, null),
                proxy.address().getAddress());

        assertThat(attempt.outcome()).isEqualTo(DeliveryAttempt.Outcome.DELIVERED);
        assertThat(attempt.detail()).startsWith("TLS failed (");
        assertThat(attempt.recipient("nobody@example.test").get().kind()).isEqualTo(RecipientResult.Kind.REFUSED);
        assertThat(server.received())
                .singleElement()
                .satisfies(mail -> assertThat(mail.recipients).containsExactly("user@example.test"));
    }

    @Test
    void theSessionLeavesFromTheBindAddress() throws Exception {
        TestSmtpServer server = tlsServer(good);
        InetAddress from = InetAddress.getByName("127.0.0.3");
        SmtpClient client = new SmtpClient(
                SmtpSettings.of("sender.test").withPort(server.port()).withBindAddress(from),
                root.trustManager(),
                Clock.systemUTC());

        DeliveryAttempt attempt = client.send(
                content(),
                "sender@sender.test",
                List.of("user@example.test"),
                plan(TlsRequirement.PKIX, null),
                LOOPBACK);

        // subethasmtp names the client's address in its Received header.
        assertThat(server.received())
                .singleElement()
                .satisfies(mail -> assertThat(mail.data).contains("[127.0.0.3]"));
        // What a TLS report gives as sending-mta-ip (RFC 8460 4.4): the session's own local end.
        assertThat(attempt.localAddress()).contains(from);
    }

    @Test
    void theNameTheServerGivesItselfIsKeptEvenWhenStartTlsIsStripped() throws Exception {
        TestSmtpServer server = tlsServer(good);
        server.hostName("mx1.receiver.test");
        StartTlsStrippingProxy proxy = proxy(server, StartTlsStrippingProxy.Variant.HIDE);

        DeliveryAttempt delivered = send(server.address(), plan(TlsRequirement.PKIX, null));
        DeliveryAttempt stripped = send(proxy.address(), plan(TlsRequirement.PKIX, null));

        // RFC 8460 4.4 receiving-mx-helo: the name in the EHLO reply.
        assertThat(delivered.serverName()).contains("mx1.receiver.test");
        assertThat(stripped.resultType()).contains(ResultType.STARTTLS_NOT_SUPPORTED);
        assertThat(stripped.serverName()).contains("mx1.receiver.test");
        assertThat(stripped.localAddress()).contains(LOOPBACK);
    }

    @Test
    void aHostileServerNameIsCleanedAndCappedAndTheGreetingsNameStandsInForAMissingEhlo() throws Exception {
        String greetingName = "greeting.receiver.test";
        String longName = "a".repeat(400) + ".test";
        try (ServerSocket listener = new ServerSocket(0, 1, LOOPBACK)) {
            Thread peer = new Thread(() -> answer(
                    listener,
                    "220 " + greetingName + " ESMTP\r\n",
                    "250 " + longName + "\u001b[2J says hello\r\n",
                    "421 4.3.2 going away\r\n"));
            peer.start();
            DeliveryAttempt withEhlo =
                    send(new InetSocketAddress(LOOPBACK, listener.getLocalPort()), plan(TlsRequirement.NO_TLS, null));
            peer.join(10_000);
            peer = new Thread(
                    () -> answer(listener, "220 " + greetingName + "\u0007 ESMTP\r\n", "421 4.3.2 not now\r\n"));
            peer.start();
            DeliveryAttempt withoutEhlo =
                    send(new InetSocketAddress(LOOPBACK, listener.getLocalPort()), plan(TlsRequirement.NO_TLS, null));
            peer.join(10_000);

            assertThat(withEhlo.serverName())
                    .get()
                    .asString()
                    .hasSize(255)
                    .startsWith("aaa")
                    .doesNotContain("\u001b");
            assertThat(withoutEhlo.serverName()).contains(greetingName);
        }
    }

    // One session on listener: the greeting, then one reply per command line.
    private static void answer(ServerSocket listener, String greeting, String... replies) {
        try (Socket socket = listener.accept()) {
            socket.setSoTimeout(10_000);
            BufferedReader in =
                    new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII));
            OutputStream out = socket.getOutputStream();
            out.write(greeting.getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            for (String reply : replies) {
                if (in.readLine() == null) {
                    return;
                }
                out.write(reply.getBytes(StandardCharsets.ISO_8859_1));
                out.flush();
            }
        } catch (IOException e) {
            // The client hung up: nothing more to say.
        }
    }

    @Test
    void anUnreachableAddressIsATemporaryFailure() throws Exception {
        int closed;
        try (ServerSocket socket = new ServerSocket(0, 1, LOOPBACK)) {
            closed = socket.getLocalPort();
        }

        DeliveryAttempt attempt = send(new InetSocketAddress(LOOPBACK, closed), plan(TlsRequirement.PKIX, null));

        assertThat(attempt.outcome()).isEqualTo(DeliveryAttempt.Outcome.TEMPORARY_FAILURE);
        assertThat(attempt.status().map(Object::toString)).contains("4.4.1");
        assertThat(attempt.isPolicyFailure()).isFalse();
    }

    @Test
    void requireTlsGoesToAServerOfferingItAfterStartTlsWithTheParameter() throws Exception {
        TestSmtpServer server = tlsServer(good).offerRequireTls();

        DeliveryAttempt attempt = send(server.address(), requiringRequireTls(TlsRequirement.PKIX));

        assertThat(attempt.outcome()).as(attempt.describe()).isEqualTo(DeliveryAttempt.Outcome.DELIVERED);
        assertThat(server.received()).singleElement().satisfies(mail -> {
            assertThat(mail.mailParameters).isEqualTo("REQUIRETLS");
            assertThat(mail.overTls).isTrue();
        });
    }

    @Test
    void requireTlsSendsNothingToAServerThatDoesNotOfferIt() throws Exception {
        TestSmtpServer server = tlsServer(good);

        DeliveryAttempt attempt = send(server.address(), requiringRequireTls(TlsRequirement.PKIX));

        // RFC 8689 4.2.1 step 5; X.7.30 is "REQUIRETLS support required".
        assertThat(attempt.outcome()).isEqualTo(DeliveryAttempt.Outcome.TEMPORARY_FAILURE);
        assertThat(attempt.status().map(Object::toString)).contains("4.7.30");
        assertThat(attempt.isPolicyFailure()).isTrue();
        assertThat(attempt.detail()).contains("does not offer REQUIRETLS");
        assertThat(server.received()).isEmpty();
    }

    @Test
    void aMessageWithoutRequireTlsIsSentWithoutTheParameterEvenWhereItIsOffered() throws Exception {
        TestSmtpServer server = tlsServer(good).offerRequireTls();

        send(server.address(), plan(TlsRequirement.PKIX, null));

        assertThat(server.received())
                .singleElement()
                .satisfies(mail -> assertThat(mail.mailParameters).isEmpty());
    }

    @Test
    void theMessageCarriesATraceHeaderSayingHowItLeft() throws Exception {
        TestSmtpServer server = tlsServer(good);

        send(server.address(), plan(TlsRequirement.PKIX, null));

        assertThat(server.received())
                .singleElement()
                .satisfies(mail -> assertThat(mail.data)
                        .containsPattern(
                                "X-Secure-Delivery: mx=mx\\.example\\.test; ip=127\\.0\\.0\\.1; requirement=pkix;"
                                        + "\\s+tls=TLSv1\\.[23]; cipher=TLS_\\S+; authentication=PKIX"));
    }

    @Test
    void theAttemptDescribesItselfInOneLine() throws Exception {
        DeliveryAttempt attempt = send(tlsServer(good).address(), plan(TlsRequirement.PKIX, null));

        assertThat(attempt.describe())
                .matches("mx=mx\\.example\\.test ip=127\\.0\\.0\\.1 requirement=pkix"
                        + " outcome=delivered tls=TLSv1\\.[23] cipher=TLS_\\S+ authentication=PKIX detail=\".*\"");
    }

    // ---- fixtures ----

    private TestSmtpServer tlsServer(IssuedCertificate certificate) {
        TestSmtpServer server = TestSmtpServer.withStartTls(LOOPBACK, certificate);
        closeables.add(server);
        return server;
    }

    private StartTlsStrippingProxy proxy(TestSmtpServer server, StartTlsStrippingProxy.Variant variant) {
        StartTlsStrippingProxy proxy = StartTlsStrippingProxy.start(LOOPBACK, server.address(), variant);
        closeables.add(proxy);
        return proxy;
    }

    private static DaneRequirement dane(TlsaRecord record) {
        return DaneRequirement.tlsa(
                MX, List.of(LOOPBACK), List.of(record), ReferenceIdentifiers.of(MX, "example.test"), "test record");
    }

    private static MxHostPlan plan(TlsRequirement requirement, DaneRequirement dane) {
        return MxHostPlan.usable(MX, 10, List.of(LOOPBACK), requirement, dane, "test");
    }

    private static MxHostPlan requiringRequireTls(TlsRequirement requirement) {
        return plan(requirement, null).forMessage(requirement, true, "REQUIRETLS");
    }

    private static SmtpClient client(InetSocketAddress server) {
        SmtpSettings settings = SmtpSettings.of("sender.test")
                .withPort(server.getPort())
                .withTraceHeader("X-Secure-Delivery")
                .withLimits(SmtpLimits.DEFAULT
                        .withConnectTimeout(Duration.ofSeconds(5))
                        .withReadTimeout(Duration.ofSeconds(10)));
        return new SmtpClient(settings, root.trustManager(), Clock.systemUTC());
    }

    private static DeliveryAttempt send(InetSocketAddress server, MxHostPlan host) throws Exception {
        SmtpClient client = client(server);
        return client.send(content(), "sender@sender.test", List.of("user@example.test"), host, server.getAddress());
    }

    private static MessageContent content() {
        byte[] message = ("From: sender@sender.test\r\nSubject: test\r\n\r\nThe body carries " + SECRET + ".\r\n")
                .getBytes(StandardCharsets.US_ASCII);
        return out -> out.write(message);
    }
}
