package dev.securedelivery.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import dev.securedelivery.delivery.ScriptedSmtpPeer.Answer;
import dev.securedelivery.delivery.ScriptedSmtpPeer.Script;
import dev.securedelivery.delivery.ScriptedSmtpPeer.Stage;
import dev.securedelivery.testing.TestCertificateAuthority;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * Random reply scripts for two MX hosts (real SMTP servers on 127.0.0.1 and 127.0.0.2) and one to
 * three recipients, sendpartial on or off, one to three recipients a transaction on either side:
 * replies normal, 4xx, 5xx, dropped, a positive reply other than the one due (a 3xx, a 250 to DATA),
 * a 1xx, or followed by an unsolicited line. Whatever the servers say, each recipient ends in exactly
 * one fate; a bounce needs a 5xx to its transaction; no 5xx, no bounce; a recipient counts as
 * delivered only when a server took it (354, the content, then a 2xx), exactly once, and no other
 * recipient at all.
 */
class RecipientFatesPropertyTest {
    private static final Set<Stage> TRANSACTION = EnumSet.of(Stage.MAIL, Stage.RCPT, Stage.DATA, Stage.END_OF_DATA);
    private static TestCertificateAuthority ca;

    @BeforeContainer
    static void issue() {
        ca = TestCertificateAuthority.root("Fates Property Root");
    }

    @Property(tries = 80)
    void eachRecipientGetsExactlyOneFateThatItsRepliesJustify(
            @ForAll("scripts") Script first,
            @ForAll("scripts") Script second,
            @ForAll("recipientCounts") int count,
            @ForAll("recipientLimits") int recipientLimit,
            @ForAll boolean sendPartial)
            throws Exception {
        List<String> recipients = new ArrayList<>();
        for (int i = 1; i <= count; i++) {
            recipients.add("user" + i + "@dest.test");
        }
        try (ScriptedSmtpPeer.PeersOnOnePort peers = ScriptedSmtpPeer.startOnOnePort(
                        InetAddress.getByName("127.0.0.1"), first, InetAddress.getByName("127.0.0.2"), second);
                TestDestination destination = new TestDestination(
                        TestDestination.defaultNames(2),
                        List.of("127.0.0.1", "127.0.0.2"),
                        null,
                        peers.port(),
                        ca.trustManager(),
                        DeliveryLimits.DEFAULT,
                        TestDestination.quickLimits(),
                        null,
                        null,
                        settings -> settings.withSendPartial(sendPartial).withRecipientLimit(recipientLimit))) {
            ScriptedSmtpPeer one = peers.first;
            ScriptedSmtpPeer two = peers.second;
            DeliveryResult result = destination.delivery.deliver(TestDestination.envelope(recipients), false, false);

            // Exactly one fate each, in order.
            assertThat(result.fates()).extracting(RecipientFate::recipient).containsExactlyElementsOf(recipients);
            boolean anyPermanent = permanentInTransaction(first) || permanentInTransaction(second);
            for (RecipientFate fate : result.fates()) {
                long copies = copiesFor(fate.recipient(), one) + copiesFor(fate.recipient(), two);
                if (fate.fate() == Fate.DELIVERED) {
                    // Taken once, never sent again.
                    assertThat(copies).as("copies for %s", fate).isEqualTo(1);
                } else {
                    assertThat(copies).as("copies for %s", fate).isZero();
                }
                if (fate.fate() == Fate.BOUNCED) {
                    assertThat(anyPermanent)
                            .as("a bounce without a 5xx to a transaction: %s", fate)
                            .isTrue();
                    assertThat(fate.status().isPermanent()).isTrue();
                }
                if (fate.fate() == Fate.DEFERRED) {
                    assertThat(fate.status().statusClass()).isEqualTo(4);
                }
            }
        }
    }

    private static boolean permanentInTransaction(Script script) {
        for (Stage stage : TRANSACTION) {
            if (script.answer(stage) == Answer.PERMANENT) {
                return true;
            }
        }
        return script.recipients.contains(Answer.PERMANENT);
    }

    private static long copiesFor(String recipient, ScriptedSmtpPeer peer) {
        return peer.accepted().stream()
                .filter(copy -> copy.recipients.contains(recipient))
                .count();
    }

    @Provide
    Arbitrary<Integer> recipientCounts() {
        return Arbitraries.integers().between(1, 3);
    }

    @Provide
    Arbitrary<Integer> recipientLimits() {
        return Arbitraries.of(1, 2, 100);
    }

    @Provide
    Arbitrary<Script> scripts() {
        Arbitrary<Answer> answer = Arbitraries.frequency(
                Tuple.of(12, Answer.OK),
                Tuple.of(3, Answer.TRANSIENT),
                Tuple.of(3, Answer.PERMANENT),
                Tuple.of(2, Answer.DROP),
                Tuple.of(2, Answer.WRONG_SUCCESS),
                Tuple.of(1, Answer.PRELIMINARY),
                Tuple.of(2, Answer.UNSOLICITED));
        // A server's own limit of recipients a transaction: none, or one or two (452 4.5.3 past it).
        Arbitrary<Integer> cap = Arbitraries.of(Integer.MAX_VALUE, 1, 2);
        return Combinators.combine(
                        answer,
                        answer,
                        answer,
                        answer,
                        answer,
                        answer,
                        answer.list().ofSize(3),
                        cap)
                .as((greeting, ehlo, mail, data, end, quit, rcpts, most) -> new Script()
                        .at(Stage.GREETING, greeting)
                        .at(Stage.EHLO, ehlo)
                        .at(Stage.MAIL, mail)
                        .at(Stage.DATA, data)
                        .at(Stage.END_OF_DATA, end)
                        .at(Stage.QUIT, quit)
                        .rcpt(rcpts.toArray(new Answer[0]))
                        .cap(most));
    }
}
