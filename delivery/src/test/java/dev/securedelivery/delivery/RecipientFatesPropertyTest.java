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
 * three recipients, sendpartial on or off: whatever the servers say, each recipient ends in exactly
 * one fate; a bounce needs a 5xx to its transaction; no 5xx, no bounce; a delivered recipient was
 * taken exactly once, and no other recipient at all.
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
            @ForAll boolean sendPartial)
            throws Exception {
        List<String> recipients = new ArrayList<>();
        for (int i = 1; i <= count; i++) {
            recipients.add("user" + i + "@dest.test");
        }
        try (ScriptedSmtpPeer.PeersOnOnePort peers = ScriptedSmtpPeer.startOnOnePort(
                        InetAddress.getByName("127.0.0.1"), first, InetAddress.getByName("127.0.0.2"), second);
                TestDestination destination = new TestDestination(
                        List.of("127.0.0.1", "127.0.0.2"), null, peers.port(), sendPartial, ca.trustManager())) {
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
    Arbitrary<Script> scripts() {
        Arbitrary<Answer> answer = Arbitraries.frequency(
                Tuple.of(6, Answer.OK),
                Tuple.of(2, Answer.TRANSIENT),
                Tuple.of(2, Answer.PERMANENT),
                Tuple.of(1, Answer.DROP));
        return Combinators.combine(
                        answer,
                        answer,
                        answer,
                        answer,
                        answer,
                        answer,
                        answer.list().ofSize(3))
                .as((greeting, ehlo, mail, data, end, quit, rcpts) -> new Script()
                        .at(Stage.GREETING, greeting)
                        .at(Stage.EHLO, ehlo)
                        .at(Stage.MAIL, mail)
                        .at(Stage.DATA, data)
                        .at(Stage.END_OF_DATA, end)
                        .at(Stage.QUIT, quit)
                        .rcpt(rcpts.toArray(new Answer[0])));
    }
}
