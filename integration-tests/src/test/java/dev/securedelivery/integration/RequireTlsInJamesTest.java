package dev.securedelivery.integration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.mail.smtp.SMTPSendFailedException;
import dev.securedelivery.dane.TlsaRecord;
import dev.securedelivery.testing.IssuedCertificate;
import dev.securedelivery.testing.SignedZone;
import dev.securedelivery.testing.StartTlsStrippingProxy;
import dev.securedelivery.testing.TestCertificateAuthority;
import dev.securedelivery.testing.TestSmtpServer;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a message demands of its transport, in a real James 3.8.1: REQUIRETLS received over
 * STARTTLS by James's SMTP server with the extension's handler (RFC 8689), {@code TLS-Required: No},
 * an administrator's {@code RequireTransportSecurity} rule behind a matcher, and the positive DSN
 * that carries the delivery trace. The destinations are the delivery mailet's fixtures: signed
 * zones, DANE, MTA-STS, SMTP servers on 127.0.0.x and a STARTTLS-stripping attacker.
 */
class RequireTlsInJamesTest {
    private static final String SECRET = "the-body-that-must-not-travel-in-clear-";
    private static final Map<String, String> REQUIRETLS = Map.of("mail.smtp.mailextension", "REQUIRETLS");

    @TempDir
    static Path directory;

    private static final Destinations WORLD = new Destinations();
    private static JamesUnderTest james;

    @BeforeAll
    static void startTheWorld() throws Exception {
        TestCertificateAuthority ca = WORLD.ca();
        // DANE, and a server that offers REQUIRETLS after STARTTLS.
        WORLD.daneDomain("dane.test", "mx.dane.test");
        WORLD.server("mx.dane.test").offerRequireTls();
        // DANE, and a server that does not offer REQUIRETLS.
        WORLD.daneDomain("danenorequire.test", "mx.danenorequire.test");
        // DANE, and a server offering REQUIRETLS, behind an attacker that hides STARTTLS.
        IssuedCertificate strippedDane = ca.issue("mx.danestripped.test");
        SignedZone daneStripped = WORLD.zone("danestripped.test", true);
        TestSmtpServer behindAttacker =
                WORLD.server("mx.danestripped.test", strippedDane).offerRequireTls();
        WORLD.proxyFor("mx.danestripped.test", daneStripped, behindAttacker, StartTlsStrippingProxy.Variant.HIDE);
        WORLD.tlsa(
                daneStripped,
                "mx.danestripped.test",
                TlsaRecord.forCertificate(
                        TlsaRecord.DANE_EE, TlsaRecord.SELECTOR_SPKI, TlsaRecord.MATCH_SHA256, strippedDane.leaf()));
        // No DNSSEC, no MTA-STS: nothing vouches for the MX name, though its server offers REQUIRETLS.
        WORLD.mx(WORLD.zone("plain.test", false), "mx.plain.test", 10, ca.issue("mx.plain.test"))
                .offerRequireTls();
        // MTA-STS enforce, behind an attacker that hides STARTTLS.
        TestSmtpServer behindProxy = WORLD.server("mx.stripped.test", ca.issue("mx.stripped.test"));
        WORLD.proxyFor(
                "mx.stripped.test",
                WORLD.zone("stripped.test", true),
                behindProxy,
                StartTlsStrippingProxy.Variant.HIDE);
        WORLD.enforce("stripped.test", "1", "mx.stripped.test");
        // Opportunistic, with a certificate for another name: TLS, but never authenticated.
        WORLD.mx(WORLD.zone("unauthenticated.test", false), "mx.unauthenticated.test", 10, ca.issue("wrong.name.test"));
        WORLD.start();

        Properties configuration = WORLD.configuration(directory);
        // The administrator's rules: one sender's mail must be authenticated; another's is tagged
        // REQUIRETLS through the mail attribute, with James's own SetMailAttribute.
        String rules = "      <mailet match=\"SenderIs=finance@sink.test\""
                + " class=\"dev.securedelivery.mailet.RequireTransportSecurity\">\n"
                + "        <level>authenticated</level>\n"
                + "      </mailet>\n"
                + "      <mailet match=\"SenderIs=tagged@sink.test\" class=\"SetMailAttribute\">\n"
                + "        <dev.securedelivery.requiretls>true</dev.securedelivery.requiretls>\n"
                + "      </mailet>\n";
        james = JamesUnderTest.startWithRelayMailets(
                directory.resolve("james"), WORLD.quicklyBouncingMailet(), configuration, rules);
    }

    @AfterAll
    static void stopTheWorld() throws Exception {
        if (james != null) {
            james.close();
        }
        WORLD.close();
    }

    @Test
    void jamesOffersRequireTlsOnlyOverTlsAndRefusesTheParameterWithout() throws Exception {
        assertThat(james.offers("REQUIRETLS", false)).isFalse();
        assertThat(james.offers("REQUIRETLS", true)).isTrue();

        // RFC 8689 2: the option may only be used in a session that employs TLS.
        assertThatThrownBy(() -> james.send(
                        false, Destinations.SENDER, "clear@dane.test", "clear", SECRET, REQUIRETLS, Map.of()))
                .isInstanceOfSatisfying(SMTPSendFailedException.class, refused -> {
                    assertThat(refused.getReturnCode()).isEqualTo(530);
                    assertThat(refused.getMessage()).contains("5.7.10");
                });
        // RFC 8689 2: the parameter has no value.
        assertThatThrownBy(() -> james.send(
                        true,
                        Destinations.SENDER,
                        "valued@dane.test",
                        "valued",
                        SECRET,
                        Map.of("mail.smtp.mailextension", "REQUIRETLS=YES"),
                        Map.of()))
                .isInstanceOfSatisfying(SMTPSendFailedException.class, refused -> {
                    assertThat(refused.getReturnCode()).isEqualTo(501);
                    assertThat(refused.getMessage()).contains("5.5.4");
                });
        assertThat(WORLD.server("mx.dane.test").received())
                .noneMatch(mail ->
                        mail.recipients.contains("clear@dane.test") || mail.recipients.contains("valued@dane.test"));
    }

    @Test
    void requireTlsToADaneDestinationThatOffersItIsDeliveredWithTheParameter() throws Exception {
        james.send(true, Destinations.SENDER, "user@dane.test", "dane", SECRET + "dane", REQUIRETLS, Map.of());

        TestSmtpServer.Received received =
                WORLD.awaitReceived("mx.dane.test", mail -> mail.recipients.contains("user@dane.test"));
        assertThat(received.mailParameters).isEqualTo("REQUIRETLS");
        assertThat(received.overTls).isTrue();
        assertThat(received.data).contains("authentication=DANE-EE");
    }

    @Test
    void requireTlsToAnOpportunisticDestinationBouncesWith5730AndTheBounceCarriesNoBody() throws Exception {
        james.send(
                true, Destinations.SENDER, "requiretls@plain.test", "to plain", SECRET + "plain", REQUIRETLS, Map.of());

        TestSmtpServer.Received bounce = WORLD.awaitReceived(
                "mx.sink.test", mail -> mail.data.contains("Final-Recipient: rfc822; requiretls@plain.test"));
        assertThat(bounce.data).contains("Status: 5.7.30").contains("REQUIRETLS");
        // RFC 8689 5: as if RET=HDRS. The header is returned, the body is not.
        assertThat(bounce.data).contains("Subject: to plain").doesNotContain(SECRET);
        // The bounce (null reverse-path) is not itself sent with REQUIRETLS.
        assertThat(bounce.mailParameters).doesNotContain("REQUIRETLS");
        assertThat(WORLD.server("mx.plain.test").received())
                .noneMatch(mail -> mail.recipients.contains("requiretls@plain.test"));
    }

    @Test
    void requireTlsToAServerThatDoesNotOfferItBounces() throws Exception {
        james.send(
                true,
                Destinations.SENDER,
                "user@danenorequire.test",
                "no requiretls",
                SECRET + "danenorequire",
                REQUIRETLS,
                Map.of());

        String dsn = WORLD.awaitBounceFor("user@danenorequire.test");
        assertThat(dsn)
                .contains("Status: 5.7.30")
                .contains("does not offer REQUIRETLS")
                .doesNotContain(SECRET);
        // The server was reached over DANE-authenticated TLS, and given nothing.
        assertThat(WORLD.server("mx.danenorequire.test").received()).isEmpty();
        assertThat(WORLD.server("mx.danenorequire.test").sessions()).isPositive();
    }

    @Test
    void requireTlsThatFindsNoTlsSessionBouncesWith5710() throws Exception {
        james.send(
                true,
                Destinations.SENDER,
                "user@danestripped.test",
                "stripped",
                SECRET + "danestripped",
                REQUIRETLS,
                Map.of());

        // RFC 8689 4.2.1: "Unable to establish TLS-protected SMTP session: 5.7.10 Encryption needed".
        String dsn = WORLD.awaitBounceFor("user@danestripped.test");
        assertThat(dsn).contains("Status: 5.7.10").doesNotContain(SECRET);
        assertThat(WORLD.server("mx.danestripped.test").received()).isEmpty();
    }

    @Test
    void aMessageTaggedRequireTlsByAnAdministratorsRuleIsHeldToIt() throws Exception {
        james.send("tagged@sink.test", "tagged@plain.test", "tagged", SECRET + "tagged");

        String dsn = WORLD.awaitBounceFor("tagged@plain.test");
        assertThat(dsn).contains("Status: 5.7.30").doesNotContain(SECRET);
    }

    @Test
    void tlsRequiredNoReachesAnEnforceDomainWhoseStartTlsIsStrippedAndKeepsTheHeader() throws Exception {
        james.send(
                false,
                Destinations.SENDER,
                "user@stripped.test",
                "tls not required",
                "Not secret.",
                Map.of(),
                Map.of("TLS-Required", "No"));

        TestSmtpServer.Received received =
                WORLD.awaitReceived("mx.stripped.test", mail -> mail.recipients.contains("user@stripped.test"));
        // RFC 8689 3: the policy is ignored; STARTTLS would have been used, but the attacker hid it.
        assertThat(received.overTls).isFalse();
        assertThat(received.data).contains("TLS-Required: No").contains("requirement=opportunistic");
    }

    @Test
    void aRuleAuthenticatedForOneSenderBouncesItsMailToAnUnauthenticatedDestinationWhileAnotherSendersIsDelivered()
            throws Exception {
        james.send("finance@sink.test", "finance@unauthenticated.test", "from finance", SECRET + "finance");
        james.send(Destinations.SENDER, "other@unauthenticated.test", "from another sender", "Ordinary mail.");

        TestSmtpServer.Received delivered = WORLD.awaitReceived(
                "mx.unauthenticated.test", mail -> mail.recipients.contains("other@unauthenticated.test"));
        assertThat(delivered.data).contains("authentication=none");
        String dsn = WORLD.awaitBounceFor("finance@unauthenticated.test");
        // The DSN names the level and what the destination offered (in the Status comment, "(" becomes "[").
        assertThat(dsn)
                .contains("Status: 5.7.")
                .contains("the message demands level authenticated")
                .contains("unauthenticated.test offers mx.unauthenticated.test [10] opportunistic");
        assertThat(WORLD.server("mx.unauthenticated.test").received())
                .noneMatch(mail -> mail.recipients.contains("finance@unauthenticated.test"));
    }

    @Test
    void aPositiveDsnCarriesTheDeliveryTrace() throws Exception {
        Map<String, String> smtp = new LinkedHashMap<>(REQUIRETLS);
        smtp.put("mail.smtp.dsn.notify", "SUCCESS");
        james.send(true, Destinations.SENDER, "notify@dane.test", "notify me", SECRET + "notify", smtp, Map.of());

        TestSmtpServer.Received notice = WORLD.awaitReceived(
                "mx.sink.test", mail -> mail.data.contains("Final-Recipient: rfc822; notify@dane.test"));
        assertThat(notice.from).isEmpty();
        assertThat(notice.data)
                .contains("report-type=delivery-status")
                .contains("Action: relayed")
                .contains("Status: 2.0.0")
                .contains("Remote-MTA: dns; mx.dane.test")
                .contains("X-Secure-Delivery-Trace: mx=mx.dane.test")
                .contains("requirement=dane")
                .contains("authentication=DANE-EE")
                .containsPattern("tls=TLSv1\\.[23]")
                .contains("Subject: notify me")
                .doesNotContain(SECRET);
    }
}
