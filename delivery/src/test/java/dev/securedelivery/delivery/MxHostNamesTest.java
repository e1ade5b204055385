package dev.securedelivery.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import dev.securedelivery.delivery.ScriptedSmtpPeer.Answer;
import dev.securedelivery.delivery.ScriptedSmtpPeer.Script;
import dev.securedelivery.policy.MxHostPlan;
import dev.securedelivery.testing.TestCertificateAuthority;
import java.net.InetAddress;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * An MX whose target is no host name ({@code mx_2.dest.test}: the DNS allows it, RFC 5321 2.3.5 and
 * SNI do not) is skipped by the plan, as Postfix skips it: it never reaches a session, whose TLS layer
 * would refuse the name. Here it is the second MX, after a first that took one of two recipients:
 * the one delivered stays delivered, once, and the other waits.
 */
class MxHostNamesTest {
    private static final TestCertificateAuthority CA = TestCertificateAuthority.root("MX Names Root");

    @Test
    void aSecondMxThatIsNoHostNameIsSkippedAfterAPartialFirstDelivery() throws Exception {
        Script first = new Script().rcpt(Answer.OK, Answer.TRANSIENT);
        try (ScriptedSmtpPeer.PeersOnOnePort peers = ScriptedSmtpPeer.startOnOnePort(
                        InetAddress.getByName("127.0.0.1"),
                        CA.issue("mx1.dest.test").serverContext(),
                        first,
                        InetAddress.getByName("127.0.0.2"),
                        CA.issue("mx2.dest.test").serverContext(),
                        new Script());
                TestDestination destination = new TestDestination(
                        List.of("mx1.dest.test.", "mx_2.dest.test."),
                        List.of("127.0.0.1", "127.0.0.2"),
                        null,
                        peers.port(),
                        CA.trustManager(),
                        DeliveryLimits.DEFAULT,
                        TestDestination.quickLimits(),
                        null,
                        null,
                        settings -> settings.withSendPartial(true))) {
            DeliveryResult result = destination.delivery.deliver(
                    TestDestination.envelope(List.of("one@dest.test", "two@dest.test")), false, false);

            assertThat(result.fates().get(0).fate()).isEqualTo(Fate.DELIVERED);
            assertThat(result.fates().get(1).fate()).isEqualTo(Fate.DEFERRED);
            assertThat(result.fates().get(1).status().toString()).isEqualTo("4.2.1");
            assertThat(peers.first.accepted())
                    .singleElement()
                    .satisfies(copy -> assertThat(copy.recipients).containsExactly("one@dest.test"));
            assertThat(peers.second.rcptsPerSession()).isEmpty();
            assertThat(result.plan().orElseThrow().hosts())
                    .filteredOn(host -> host.host().equals("mx_2.dest.test"))
                    .singleElement()
                    .satisfies(host -> {
                        assertThat(host.isExcluded()).isTrue();
                        assertThat(host.exclusion())
                                .hasValueSatisfying(reason -> assertThat(reason).contains("not a host name"));
                    });
            assertThat(result.plan().orElseThrow().hosts())
                    .extracting(MxHostPlan::host)
                    .hasSize(2);
        }
    }
}
