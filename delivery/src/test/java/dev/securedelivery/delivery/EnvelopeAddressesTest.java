package dev.securedelivery.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import dev.securedelivery.delivery.ScriptedSmtpPeer.Script;
import dev.securedelivery.testing.TestCertificateAuthority;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Envelope addresses on their way into SMTP commands, against a real scripted server: one that no
 * command can carry (a CR, LF or NUL, quoted or escaped, as James's {@code MailAddress} accepts) is
 * bounced before any session, so that no command is ever injected; the others go, their local
 * parts quoted where RFC 5321 4.1.2 asks.
 */
class EnvelopeAddressesTest {
    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();
    private static final TestCertificateAuthority CA = TestCertificateAuthority.root("Envelope Addresses Root");
    /** {@code "a\<LF>RSET"@dest.test}: a quoted local part with an escaped line feed, then a command. */
    private static final String INJECTING = "\"a\\\nRSET\"@dest.test";

    @Test
    void aRecipientWithALineFeedIsBouncedAndNoCommandIsInjected() throws Exception {
        try (ScriptedSmtpPeer peer = ScriptedSmtpPeer.start(LOOPBACK, null, new Script());
                TestDestination destination = destination(peer)) {
            DeliveryResult result = destination.delivery.deliver(
                    TestDestination.envelope(List.of("good@dest.test", INJECTING, "nul\u0000@dest.test")),
                    false,
                    false);

            assertThat(result.fates().get(0).fate()).isEqualTo(Fate.DELIVERED);
            for (RecipientFate refused : result.fates().subList(1, 3)) {
                assertThat(refused.fate()).isEqualTo(Fate.BOUNCED);
                // X.1.3: bad destination mailbox address syntax.
                assertThat(refused.status().toString()).isEqualTo("5.1.3");
                assertThat(refused.cause()).contains("control character").doesNotContain("RSET");
            }
            assertThat(peer.commands()).noneMatch(command -> command.startsWith("RSET"));
            assertThat(peer.rcptsPerSession()).singleElement().isEqualTo(List.of("good@dest.test"));
        }
    }

    @Test
    void aSenderWithACarriageReturnBouncesEveryRecipientWithoutASession() throws Exception {
        try (ScriptedSmtpPeer peer = ScriptedSmtpPeer.start(LOOPBACK, null, new Script());
                TestDestination destination = destination(peer)) {
            Envelope envelope = Envelope.of(
                    "bad-sender",
                    TestDestination.DOMAIN,
                    "sender\r@sender.test",
                    List.of("one@dest.test", "two@dest.test"),
                    out -> out.write("Subject: x\r\n\r\nx\r\n".getBytes(StandardCharsets.US_ASCII)));

            DeliveryResult result = destination.delivery.deliver(envelope, false, false);

            assertThat(result.fates()).allSatisfy(fate -> {
                assertThat(fate.fate()).isEqualTo(Fate.BOUNCED);
                // X.1.7: bad sender's mailbox address syntax.
                assertThat(fate.status().toString()).isEqualTo("5.1.7");
            });
            assertThat(peer.commands()).isEmpty();
        }
    }

    @Test
    void localPartsAreSentAsADotStringOrQuotedAsRfc5321Asks() throws Exception {
        try (ScriptedSmtpPeer peer = ScriptedSmtpPeer.start(LOOPBACK, null, new Script());
                TestDestination destination = destination(peer)) {
            DeliveryResult result = destination.delivery.deliver(
                    TestDestination.envelope(
                            List.of("\"john smith\"@dest.test", "\"plain\"@dest.test", "\"q\\\"uote\"@dest.test")),
                    false,
                    false);

            assertThat(result.withFate(Fate.DELIVERED)).hasSize(3);
            assertThat(peer.commands())
                    .filteredOn(command -> command.startsWith("RCPT"))
                    .containsExactly(
                            "RCPT TO:<\"john smith\"@dest.test>",
                            // Quotes that quote nothing are dropped: the Dot-string form (RFC 5321 4.1.2).
                            "RCPT TO:<plain@dest.test>",
                            "RCPT TO:<\"q\\\"uote\"@dest.test>");
        }
    }

    private static TestDestination destination(ScriptedSmtpPeer peer) throws Exception {
        return new TestDestination(List.of("127.0.0.1"), null, peer.port(), true, CA.trustManager());
    }
}
