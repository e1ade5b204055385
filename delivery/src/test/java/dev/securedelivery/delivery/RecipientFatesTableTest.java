package dev.securedelivery.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import dev.securedelivery.delivery.ScriptedSmtpPeer.Answer;
import dev.securedelivery.delivery.ScriptedSmtpPeer.Script;
import dev.securedelivery.delivery.ScriptedSmtpPeer.Stage;
import dev.securedelivery.policy.DomainOverride;
import dev.securedelivery.testing.IssuedCertificate;
import dev.securedelivery.testing.TestCertificateAuthority;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Every stage of a session (greeting, EHLO, STARTTLS, EHLO after STARTTLS, MAIL, each RCPT, DATA,
 * end of DATA, QUIT) answered normally, with a 4xx, a 5xx, a dropped connection, a positive reply
 * other than the one due (a 3xx, a 250 to DATA), a 1xx, or an unsolicited line after the reply, with
 * sendpartial on and off, for one to three recipients, against a real scripted SMTP server that
 * requires TLS of us (a {@code require-tls} override): each recipient's fate and status code, and the
 * copies the server accepted.
 */
class RecipientFatesTableTest {
    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();
    private static TestCertificateAuthority ca;
    private static IssuedCertificate certificate;

    @BeforeAll
    static void issue() {
        ca = TestCertificateAuthority.root("Fates Test Root");
        certificate = ca.issue("mx1.dest.test");
    }

    @TestFactory
    Stream<DynamicTest> eachRecipientGetsTheFateItsRepliesCallFor() {
        List<DynamicTest> tests = new ArrayList<>();
        for (int recipients = 1; recipients <= 3; recipients++) {
            for (boolean sendPartial : new boolean[] {false, true}) {
                for (Stage stage : Stage.values()) {
                    int variants = stage == Stage.RCPT ? recipients : 1;
                    for (int index = 0; index < variants; index++) {
                        for (Answer answer : Answer.values()) {
                            Case scenario = new Case(stage, index, answer, recipients, sendPartial);
                            tests.add(DynamicTest.dynamicTest(scenario.toString(), () -> run(scenario)));
                        }
                    }
                }
            }
        }
        return tests.stream();
    }

    private static void run(Case scenario) throws Exception {
        Script script = new Script();
        if (scenario.stage == Stage.RCPT) {
            for (int i = 0; i < scenario.recipients; i++) {
                script.rcpt(i == scenario.index ? scenario.answer : Answer.OK);
            }
        } else {
            script.at(scenario.stage, scenario.answer);
        }
        List<String> recipients = new ArrayList<>();
        for (int i = 1; i <= scenario.recipients; i++) {
            recipients.add("user" + i + "@dest.test");
        }
        try (ScriptedSmtpPeer peer = ScriptedSmtpPeer.start(LOOPBACK, certificate.serverContext(), script);
                TestDestination destination = new TestDestination(
                        List.of("127.0.0.1"),
                        DomainOverride.REQUIRE_TLS,
                        peer.port(),
                        scenario.sendPartial,
                        ca.trustManager())) {
            DeliveryResult result = destination.delivery.deliver(TestDestination.envelope(recipients), false, false);

            assertThat(result.fates()).extracting(RecipientFate::recipient).containsExactlyElementsOf(recipients);
            List<String> delivered = new ArrayList<>();
            for (int i = 0; i < recipients.size(); i++) {
                RecipientFate fate = result.fates().get(i);
                Expected expected = scenario.expected(i);
                assertThat(fate.fate())
                        .as("fate of %s: %s", fate.recipient(), fate)
                        .isEqualTo(expected.fate);
                assertThat(fate.status().toString())
                        .as("status of %s: %s", fate.recipient(), fate)
                        .isEqualTo(expected.status);
                if (expected.fate == Fate.DELIVERED) {
                    delivered.add(fate.recipient());
                }
            }
            // The server holds exactly one copy for the delivered recipients, or none.
            if (delivered.isEmpty()) {
                assertThat(peer.accepted()).isEmpty();
            } else {
                assertThat(peer.accepted()).singleElement().satisfies(copy -> {
                    assertThat(copy.recipients).containsExactlyElementsOf(delivered);
                    assertThat(copy.data).contains("Hello.").contains("\n.leading dot\n");
                });
            }
        }
    }

    private static final class Expected {
        final Fate fate;
        final String status;

        Expected(Fate fate, String status) {
            this.fate = fate;
            this.status = status;
        }
    }

    /** One stage answered one way; the model of what each recipient must get. */
    private static final class Case {
        final Stage stage;
        final int index;
        final Answer answer;
        final int recipients;
        final boolean sendPartial;

        Case(Stage stage, int index, Answer answer, int recipients, boolean sendPartial) {
            this.stage = stage;
            this.index = index;
            this.answer = answer;
            this.recipients = recipients;
            this.sendPartial = sendPartial;
        }

        Expected expected(int recipient) {
            Expected delivered = new Expected(Fate.DELIVERED, "2.0.0");
            if (answer == Answer.OK || stage == Stage.QUIT) {
                return delivered;
            }
            if (answer == Answer.DROP) {
                // X.4.2: bad connection. Nothing was taken, so nothing is lost by trying again.
                return new Expected(Fate.DEFERRED, "4.4.2");
            }
            if (answer == Answer.UNSOLICITED && stage == Stage.END_OF_DATA) {
                // The 250 came first: the message was taken; the line after it only ends the session.
                return delivered;
            }
            if (answer == Answer.WRONG_SUCCESS && stage == Stage.STARTTLS) {
                // Anything but 220 to STARTTLS is no TLS from this host now (RFC 3207 4).
                return new Expected(Fate.DEFERRED, "4.7.4");
            }
            if (answer == Answer.WRONG_SUCCESS || answer == Answer.PRELIMINARY || answer == Answer.UNSOLICITED) {
                // X.5.0: the server broke the protocol (RFC 5321 4.2, 4.3.2): this host failed, the
                // recipients wait. Never delivered, never bounced, on a reply that was not the one due.
                return new Expected(Fate.DEFERRED, "4.5.0");
            }
            boolean permanent = answer == Answer.PERMANENT;
            switch (stage) {
                case GREETING:
                    // 421 4.3.2 or 554 5.7.1: this host turned us away, not the message.
                    return new Expected(Fate.DEFERRED, permanent ? "4.7.1" : "4.3.2");
                case EHLO:
                    // A 5xx to EHLO leaves no STARTTLS, which this host must have: a policy failure, X.7.4.
                    return new Expected(Fate.DEFERRED, permanent ? "4.7.4" : "4.3.2");
                case STARTTLS:
                    return new Expected(Fate.DEFERRED, "4.7.4");
                case TLS_EHLO:
                    return new Expected(Fate.DEFERRED, permanent ? "4.5.1" : "4.3.2");
                case MAIL:
                    return permanent ? new Expected(Fate.BOUNCED, "5.7.1") : new Expected(Fate.DEFERRED, "4.3.0");
                case RCPT:
                    if (recipient == index) {
                        return permanent ? new Expected(Fate.BOUNCED, "5.1.1") : new Expected(Fate.DEFERRED, "4.2.1");
                    }
                    // The others were accepted: sent with sendpartial, else kept back for a later try.
                    return sendPartial ? delivered : new Expected(Fate.DEFERRED, "4.0.0");
                case DATA:
                case END_OF_DATA:
                    return permanent ? new Expected(Fate.BOUNCED, "5.6.0") : new Expected(Fate.DEFERRED, "4.3.0");
                default:
                    throw new IllegalStateException(stage.toString());
            }
        }

        @Override
        public String toString() {
            return stage + (stage == Stage.RCPT ? " #" + (index + 1) : "") + " " + answer + ", " + recipients
                    + " recipient(s), sendpartial " + (sendPartial ? "on" : "off");
        }
    }
}
