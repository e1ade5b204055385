package dev.securedelivery.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import dev.securedelivery.delivery.ScriptedSmtpPeer.Script;
import dev.securedelivery.testing.TestCertificateAuthority;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Messages with more recipients than one transaction takes, against a real scripted SMTP server:
 * split at our recipient limit (RFC 5321 4.5.3.1.8), and after a server's 452 "too many recipients"
 * (RFC 5321 4.5.3.1.10) the rest at once in a new transaction on the same session, sendpartial on
 * or off. Every recipient delivered once, in one delivery.
 */
class RecipientLimitTest {
    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();
    private static final TestCertificateAuthority CA = TestCertificateAuthority.root("Recipient Limit Root");

    @ParameterizedTest(name = "sendpartial {0}")
    @ValueSource(booleans = {false, true})
    void a150RecipientMessageGoesInTwoTransactionsOfOneSessionToAServerCappedAt100(boolean sendPartial)
            throws Exception {
        List<String> recipients = recipients(150);
        try (ScriptedSmtpPeer peer = ScriptedSmtpPeer.start(LOOPBACK, null, new Script().cap(100));
                TestDestination destination = destination(peer, sendPartial, 100)) {
            DeliveryResult result = destination.delivery.deliver(TestDestination.envelope(recipients), false, false);

            assertThat(result.withFate(Fate.DELIVERED)).hasSize(150);
            assertThat(peer.rcptsPerSession()).hasSize(1);
            assertThat(peer.accepted())
                    .extracting(copy -> copy.recipients)
                    .containsExactly(recipients.subList(0, 100), recipients.subList(100, 150));
            // Our limit kept within the server's: not one 452.
            assertThat(peer.rcptsPerSession().get(0)).hasSize(150);
            assertThat(result.attempts())
                    .singleElement()
                    .satisfies(attempt -> assertThat(attempt.recipients()).hasSize(150));
        }
    }

    @ParameterizedTest(name = "sendpartial {0}")
    @ValueSource(booleans = {false, true})
    void afterA452ForTooManyRecipientsTheRestGoAtOnceInANewTransaction(boolean sendPartial) throws Exception {
        // Our limit 100, the server's 60: 452 4.5.3 to the 61st, and the rest follow on the same session.
        List<String> recipients = recipients(150);
        try (ScriptedSmtpPeer peer = ScriptedSmtpPeer.start(LOOPBACK, null, new Script().cap(60));
                TestDestination destination = destination(peer, sendPartial, 100)) {
            DeliveryResult result = destination.delivery.deliver(TestDestination.envelope(recipients), false, false);

            assertThat(result.withFate(Fate.DELIVERED)).hasSize(150);
            assertThat(peer.rcptsPerSession()).hasSize(1);
            assertThat(peer.accepted())
                    .extracting(copy -> copy.recipients)
                    .containsExactly(
                            recipients.subList(0, 60), recipients.subList(60, 120), recipients.subList(120, 150));
            // 61 RCPTs, the last one refused; 61 again from the 61st; the last 30.
            assertThat(peer.rcptsPerSession().get(0)).hasSize(61 + 61 + 30);
        }
    }

    @ParameterizedTest(name = "sendpartial {0}")
    @ValueSource(booleans = {false, true})
    void aServerThatTakesNoRecipientAtAllDefersThemAllWithoutLooping(boolean sendPartial) throws Exception {
        try (ScriptedSmtpPeer peer = ScriptedSmtpPeer.start(LOOPBACK, null, new Script().cap(0));
                TestDestination destination = destination(peer, sendPartial, 100)) {
            DeliveryResult result = destination.delivery.deliver(TestDestination.envelope(recipients(3)), false, false);

            assertThat(result.fates()).allSatisfy(fate -> {
                assertThat(fate.fate()).isEqualTo(Fate.DEFERRED);
                assertThat(fate.status().toString()).isEqualTo("4.5.3");
            });
            assertThat(peer.accepted()).isEmpty();
            // One RCPT, its 452 4.5.3, and no transaction after it.
            assertThat(peer.rcptsPerSession())
                    .singleElement()
                    .satisfies(rcpts -> assertThat(rcpts).hasSize(1));
        }
    }

    private static List<String> recipients(int count) {
        List<String> recipients = new ArrayList<>();
        for (int i = 1; i <= count; i++) {
            recipients.add("user" + i + "@dest.test");
        }
        return recipients;
    }

    private static TestDestination destination(ScriptedSmtpPeer peer, boolean sendPartial, int limit) throws Exception {
        return new TestDestination(
                TestDestination.defaultNames(1),
                List.of("127.0.0.1"),
                null,
                peer.port(),
                CA.trustManager(),
                DeliveryLimits.DEFAULT,
                TestDestination.quickLimits(),
                null,
                null,
                settings -> settings.withSendPartial(sendPartial).withRecipientLimit(limit));
    }
}
