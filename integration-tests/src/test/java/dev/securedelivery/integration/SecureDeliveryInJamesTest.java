package dev.securedelivery.integration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.securedelivery.dane.TlsaRecord;
import dev.securedelivery.testing.IssuedCertificate;
import dev.securedelivery.testing.SignedZone;
import dev.securedelivery.testing.StartTlsStrippingProxy;
import dev.securedelivery.testing.TestCertificateAuthority;
import dev.securedelivery.testing.TestSmtpServer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * A real James 3.8.1 delivering through {@code SecureRemoteDelivery}, configured through
 * mailetcontainer.xml, to receiving MX servers on 127.0.0.x that speak STARTTLS with test-CA
 * certificates; DNS from zones signed in the test, served over UDP; MTA-STS policies from an
 * HTTPS server; and a STARTTLS-stripping attacker. Each case asserts where the message ends:
 * which MX received it, still waiting, or bounced with which status code.
 */
class SecureDeliveryInJamesTest {
    private static final String SECRET = "the-secret-body-";

    @TempDir
    static Path directory;

    private static final Destinations WORLD = new Destinations();
    private static final ListAppender<ILoggingEvent> LOG = new ListAppender<>();
    private static StartTlsStrippingProxy hidingProxy;
    private static StartTlsStrippingProxy refusingProxy;
    private static StartTlsStrippingProxy daneProxy;
    private static JamesUnderTest james;

    @BeforeAll
    static void startTheWorld() throws Exception {
        LOG.start();
        ((Logger) LoggerFactory.getLogger("dev.securedelivery")).addAppender(LOG);
        TestCertificateAuthority ca = WORLD.ca();

        // No policy, unsigned zone: opportunistic.
        WORLD.mx(WORLD.zone("plain.test", false), "mx.plain.test", 10, ca.issue("mx.plain.test"));
        // A server that refuses one of two recipients.
        WORLD.mx(WORLD.zone("partial.test", false), "mx.partial.test", 10, ca.issue("mx.partial.test"))
                .refuse("nobody@partial.test");
        // MTA-STS enforce, good.
        WORLD.mx(WORLD.zone("sts.test", true), "mx1.sts.test", 10, ca.issue("mx1.sts.test"));
        WORLD.enforce("sts.test", "1", "mx1.sts.test");
        // MTA-STS enforce behind an attacker hiding STARTTLS, and one answering it with 454.
        TestSmtpServer behindHiding = WORLD.server("mx.stripped.test", ca.issue("mx.stripped.test"));
        hidingProxy = WORLD.proxyFor(
                "mx.stripped.test",
                WORLD.zone("stripped.test", true),
                behindHiding,
                StartTlsStrippingProxy.Variant.HIDE);
        WORLD.enforce("stripped.test", "1", "mx.stripped.test");
        TestSmtpServer behindRefusing = WORLD.server("mx.stripped454.test", ca.issue("mx.stripped454.test"));
        refusingProxy = WORLD.proxyFor(
                "mx.stripped454.test",
                WORLD.zone("stripped454.test", true),
                behindRefusing,
                StartTlsStrippingProxy.Variant.REFUSE_454);
        WORLD.enforce("stripped454.test", "1", "mx.stripped454.test");
        // MTA-STS enforce, the first MX with a certificate for another name.
        SignedZone badcert = WORLD.zone("badcert.test", true);
        WORLD.mx(badcert, "mx1.badcert.test", 10, ca.issue("wrong.name.test"));
        WORLD.mx(badcert, "mx2.badcert.test", 20, ca.issue("mx2.badcert.test"));
        WORLD.enforce("badcert.test", "1", "*.badcert.test");
        // MTA-STS enforce, the first MX outside the policy.
        SignedZone outside = WORLD.zone("outside.test", true);
        WORLD.mx(outside, "mx1.outside.test", 10, ca.issue("mx1.outside.test"));
        WORLD.mx(outside, "mx2.outside.test", 20, ca.issue("mx2.outside.test"));
        WORLD.enforce("outside.test", "1", "mx2.outside.test");
        // MTA-STS testing, with a certificate for another name.
        WORLD.mx(WORLD.zone("testing.test", true), "mx.testing.test", 10, ca.issue("wrong.name.test"));
        WORLD.publish("testing.test", "1", "testing", "mx.testing.test");

        // DANE: DANE-EE and DANE-TA records that match, one that does not, and STARTTLS stripped.
        IssuedCertificate daneEe = ca.issue("mx.daneee.test");
        SignedZone daneeeZone = WORLD.zone("daneee.test", true);
        WORLD.mx(daneeeZone, "mx.daneee.test", 10, daneEe);
        WORLD.tlsa(
                daneeeZone,
                "mx.daneee.test",
                TlsaRecord.forCertificate(
                        TlsaRecord.DANE_EE, TlsaRecord.SELECTOR_SPKI, TlsaRecord.MATCH_SHA256, daneEe.leaf()));
        SignedZone danetaZone = WORLD.zone("daneta.test", true);
        WORLD.mx(danetaZone, "mx.daneta.test", 10, ca.issue("mx.daneta.test"));
        WORLD.tlsa(
                danetaZone,
                "mx.daneta.test",
                TlsaRecord.forCertificate(
                        TlsaRecord.DANE_TA, TlsaRecord.SELECTOR_CERT, TlsaRecord.MATCH_SHA256, ca.certificate()));
        SignedZone danebadZone = WORLD.zone("danebad.test", true);
        WORLD.mx(danebadZone, "mx.danebad.test", 10, ca.issue("mx.danebad.test"));
        WORLD.tlsa(
                danebadZone,
                "mx.danebad.test",
                TlsaRecord.forCertificate(
                        TlsaRecord.DANE_EE,
                        TlsaRecord.SELECTOR_SPKI,
                        TlsaRecord.MATCH_SHA256,
                        ca.issue("mx.danebad.test").leaf()));
        IssuedCertificate stripCertificate = ca.issue("mx.danestrip.test");
        SignedZone danestripZone = WORLD.zone("danestrip.test", true);
        daneProxy = WORLD.proxyFor(
                "mx.danestrip.test",
                danestripZone,
                WORLD.server("mx.danestrip.test", stripCertificate),
                StartTlsStrippingProxy.Variant.HIDE);
        WORLD.tlsa(
                danestripZone,
                "mx.danestrip.test",
                TlsaRecord.forCertificate(
                        TlsaRecord.DANE_EE,
                        TlsaRecord.SELECTOR_SPKI,
                        TlsaRecord.MATCH_SHA256,
                        stripCertificate.leaf()));
        // DANE-EE, for two messages in a row: the second goes over the first's session.
        IssuedCertificate reuseCertificate = ca.issue("mx.reuse.test");
        SignedZone reuseZone = WORLD.zone("reuse.test", true);
        WORLD.mx(reuseZone, "mx.reuse.test", 10, reuseCertificate);
        WORLD.tlsa(
                reuseZone,
                "mx.reuse.test",
                TlsaRecord.forCertificate(
                        TlsaRecord.DANE_EE,
                        TlsaRecord.SELECTOR_SPKI,
                        TlsaRecord.MATCH_SHA256,
                        reuseCertificate.leaf()));
        // Bogus DNSSEC: the MX host's address records lose their signatures on the way.
        WORLD.mx(WORLD.zone("bogus.test", true), "mx.bogus.test", 10, ca.issue("mx.bogus.test"));
        // An unsigned zone publishing TLSA records: they cannot be trusted, so opportunistic.
        SignedZone insecureZone = WORLD.zone("insecuredane.test", false);
        WORLD.mx(insecureZone, "mx.insecuredane.test", 10, ca.issue("mx.insecuredane.test"));
        WORLD.tlsa(
                insecureZone,
                "mx.insecuredane.test",
                TlsaRecord.forCertificate(
                        TlsaRecord.DANE_EE,
                        TlsaRecord.SELECTOR_SPKI,
                        TlsaRecord.MATCH_SHA256,
                        ca.issue("mx.insecuredane.test").leaf()));
        // DANE and MTA-STS both published: the policy lists only mx2, mx1 has TLSA records.
        IssuedCertificate bothCertificate = ca.issue("mx1.both.test");
        SignedZone bothZone = WORLD.zone("both.test", true);
        WORLD.mx(bothZone, "mx1.both.test", 10, bothCertificate);
        WORLD.mx(bothZone, "mx2.both.test", 20, ca.issue("mx2.both.test"));
        WORLD.tlsa(
                bothZone,
                "mx1.both.test",
                TlsaRecord.forCertificate(
                        TlsaRecord.DANE_EE, TlsaRecord.SELECTOR_SPKI, TlsaRecord.MATCH_SHA256, bothCertificate.leaf()));
        WORLD.enforce("both.test", "1", "mx2.both.test");
        // A peer whose TLS is broken, named in an override "none".
        WORLD.mx(WORLD.zone("broken.test", false), "mx.broken.test", 10, ca.issue("wrong.name.test"));
        // An enforce policy that excludes the only MX, fixed while the message waits.
        WORLD.mx(WORLD.zone("fixed.test", true), "mx.fixed.test", 10, ca.issue("mx.fixed.test"));
        WORLD.enforce("fixed.test", "1", "mx.elsewhere.test");

        WORLD.start();
        WORLD.upstream().stripSignatures("mx.bogus.test.");

        Properties configuration = WORLD.configuration(directory);
        configuration.setProperty("tls-policy.broken.test", "none");
        Map<String, String> mailet = WORLD.quicklyBouncingMailet();
        mailet.put("maxDnsProblemRetries", "0");
        mailet.put("sendpartial", "true");
        james = JamesUnderTest.start(directory.resolve("james"), mailet, configuration);
    }

    @AfterAll
    static void stopTheWorld() throws Exception {
        if (james != null) {
            james.close();
        }
        WORLD.close();
        ((Logger) LoggerFactory.getLogger("dev.securedelivery")).detachAppender(LOG);
    }

    // ---- the cases ----

    @Test
    void withoutAPolicyTheMessageIsDeliveredWithTlsWhenOffered() throws Exception {
        james.send(Destinations.SENDER, "user@plain.test", "plain", SECRET + "plain");

        TestSmtpServer.Received received = awaitOne("mx.plain.test");
        assertThat(received.overTls).isTrue();
        assertThat(received.data)
                .contains("X-Secure-Delivery: mx=mx.plain.test")
                .contains("requirement=opportunistic")
                .contains("authentication=none");
    }

    @Test
    void anEnforcePolicyDeliversOverPkixVerifiedTls() throws Exception {
        Counters counters = counters("secureDelivery.mtaSts.fetch.ok", "secureDelivery.attempt.delivered.pkix");
        james.send(Destinations.SENDER, "user@sts.test", "sts", SECRET + "sts");

        TestSmtpServer.Received received = awaitOne("mx1.sts.test");
        assertThat(received.overTls).isTrue();
        assertThat(received.data).contains("requirement=pkix").contains("authentication=PKIX");
        counters.awaitEachGrown();
    }

    @Test
    void anEnforcePolicyWithStartTlsHiddenNeverLetsTheMessageThroughAndBouncesIt() throws Exception {
        Counters counters = counters(
                "secureDelivery.attempt.temporary_failure.plaintext",
                "secureDelivery.mail.deferred",
                "secureDelivery.mail.bounced");
        james.send(Destinations.SENDER, "user@stripped.test", "stripped", SECRET + "stripped");

        String dsn = awaitBounceFor("user@stripped.test");
        assertThat(dsn).contains("Status: 5.7.4");
        assertThat(WORLD.server("mx.stripped.test").received()).isEmpty();
        assertThat(hidingProxy.seenFromClients()).doesNotContain(SECRET).doesNotContain("RCPT TO");
        assertThat(logLines()).anyMatch(line -> line.contains("deferred") && line.contains("stripped.test"));
        // The plan, attempt and deferral lines alike carry the domain in the logging MDC.
        assertThat(mdcDomainsOf(line -> line.startsWith("stripped.test: ")))
                .isNotEmpty()
                .containsOnly("stripped.test");
        assertThat(mdcDomainsOf(line -> line.contains(" domain=stripped.test ")))
                .isNotEmpty()
                .containsOnly("stripped.test");
        assertThat(mdcDomainsOf(line -> line.contains("-to-stripped.test deferred")))
                .isNotEmpty()
                .containsOnly("stripped.test");
        counters.awaitEachGrown();
    }

    @Test
    void anEnforcePolicyWithStartTlsRefusedNeverLetsTheMessageThrough() throws Exception {
        james.send(Destinations.SENDER, "user@stripped454.test", "refused", SECRET + "refused");

        String dsn = awaitBounceFor("user@stripped454.test");
        assertThat(dsn).contains("Status: 5.7.4");
        assertThat(WORLD.server("mx.stripped454.test").received()).isEmpty();
        assertThat(refusingProxy.seenFromClients()).doesNotContain(SECRET).doesNotContain("RCPT TO");
    }

    @Test
    void aWrongCertificateOnTheFirstMxSendsTheMessageThroughTheSecond() throws Exception {
        james.send(Destinations.SENDER, "user@badcert.test", "badcert", SECRET + "badcert");

        TestSmtpServer.Received received = awaitOne("mx2.badcert.test");
        assertThat(received.overTls).isTrue();
        assertThat(WORLD.server("mx1.badcert.test").received()).isEmpty();
    }

    @Test
    void anMxOutsideTheEnforcePolicyIsNeverContacted() throws Exception {
        james.send(Destinations.SENDER, "user@outside.test", "outside", SECRET + "outside");

        awaitOne("mx2.outside.test");
        assertThat(WORLD.server("mx1.outside.test").sessions()).isZero();
    }

    @Test
    void aTestingPolicyWithABadCertificateDeliversAndRecordsWhatEnforceWouldHaveDone() throws Exception {
        james.send(Destinations.SENDER, "user@testing.test", "testing", SECRET + "testing");

        TestSmtpServer.Received received = awaitOne("mx.testing.test");
        assertThat(received.data).contains("requirement=opportunistic");
        assertThat(logLines())
                .anyMatch(line -> line.startsWith("testing.test: deliver via mx.testing.test")
                        && line.contains("mta-sts testing id 1: would require PKIX"));
    }

    @Test
    void aRecipientRefusedBesideAnAcceptedOneIsBouncedAndTheOtherDelivered() throws Exception {
        james.send(
                Destinations.SENDER,
                List.of("user@partial.test", "nobody@partial.test"),
                "partial",
                SECRET + "partial");

        TestSmtpServer.Received received = awaitOne("mx.partial.test");
        assertThat(received.recipients).containsExactly("user@partial.test");
        String dsn = awaitBounceFor("nobody@partial.test");
        assertThat(dsn).contains("Status: 5.1.1").doesNotContain("Final-Recipient: rfc822; user@partial.test");
    }

    @Test
    void daneEeAuthenticatesTheServerByItsTlsaRecord() throws Exception {
        Counters counters = counters("secureDelivery.attempt.delivered.dane-ee", "secureDelivery.mail.delivered");
        james.send(Destinations.SENDER, "user@daneee.test", "dane-ee", SECRET + "dane-ee");

        TestSmtpServer.Received received = awaitOne("mx.daneee.test");
        assertThat(received.overTls).isTrue();
        assertThat(received.data).contains("requirement=dane").contains("authentication=DANE-EE 3 1 1");
        counters.awaitEachGrown();
    }

    @Test
    void twoMessagesToOneDestinationShareOneDaneVerifiedSession() throws Exception {
        TestSmtpServer server = WORLD.server("mx.reuse.test");
        james.send(Destinations.SENDER, "first@reuse.test", "reuse-1", SECRET + "reuse-1");
        WORLD.awaitReceived("mx.reuse.test", mail -> mail.recipients.contains("first@reuse.test"));
        // Within the 2 s the session waits idle (sessionIdleSeconds).
        james.send(Destinations.SENDER, "second@reuse.test", "reuse-2", SECRET + "reuse-2");
        WORLD.awaitReceived("mx.reuse.test", mail -> mail.recipients.contains("second@reuse.test"));

        assertThat(server.received()).hasSize(2).allSatisfy(mail -> {
            assertThat(mail.overTls).isTrue();
            assertThat(mail.data).contains("requirement=dane").contains("authentication=DANE-EE 3 1 1");
            assertThat(mail.session).isEqualTo("session-1");
        });
        assertThat(server.sessions()).isEqualTo(1);
        // RFC 5321 4.1.1.5: the kept session was reset before the second transaction.
        assertThat(server.resets()).isEqualTo(1);
        assertThat(logLines()).anyMatch(line -> line.contains("mx=mx.reuse.test") && line.contains("reused-session=1"));
    }

    @Test
    void daneTaAuthenticatesTheServerByItsIssuer() throws Exception {
        james.send(Destinations.SENDER, "user@daneta.test", "dane-ta", SECRET + "dane-ta");

        TestSmtpServer.Received received = awaitOne("mx.daneta.test");
        assertThat(received.data).contains("authentication=DANE-TA 2 0 1");
    }

    @Test
    void aTlsaMismatchDefersAndFinallyBounces() throws Exception {
        james.send(Destinations.SENDER, "user@danebad.test", "dane-bad", SECRET + "dane-bad");

        String dsn = awaitBounceFor("user@danebad.test");
        assertThat(dsn).contains("Status: 5.7.5");
        assertThat(WORLD.server("mx.danebad.test").received()).isEmpty();
        assertThat(logLines())
                .anyMatch(line -> line.contains("domain=danebad.test") && line.contains("result-type=tlsa-invalid"));
        assertThat(logLines()).anyMatch(line -> line.contains("-to-danebad.test deferred"));
    }

    @Test
    void daneWithStartTlsStrippedNeverLetsTheMessageThrough() throws Exception {
        james.send(Destinations.SENDER, "user@danestrip.test", "dane-strip", SECRET + "dane-strip");

        String dsn = awaitBounceFor("user@danestrip.test");
        assertThat(dsn).contains("Status: 5.7.4");
        assertThat(WORLD.server("mx.danestrip.test").received()).isEmpty();
        assertThat(daneProxy.seenFromClients()).doesNotContain(SECRET).doesNotContain("RCPT TO");
    }

    @Test
    void bogusDnssecDefersAndFinallyBounces() throws Exception {
        james.send(Destinations.SENDER, "user@bogus.test", "bogus", SECRET + "bogus");

        String dsn = awaitBounceFor("user@bogus.test");
        assertThat(dsn).contains("Status: 5.7.5");
        assertThat(WORLD.server("mx.bogus.test").sessions()).isZero();
    }

    @Test
    void tlsaRecordsInAnUnsignedZoneLeaveDeliveryOpportunistic() throws Exception {
        james.send(Destinations.SENDER, "user@insecuredane.test", "insecure", SECRET + "insecure");

        TestSmtpServer.Received received = awaitOne("mx.insecuredane.test");
        assertThat(received.data).contains("requirement=opportunistic");
    }

    @Test
    void whereDaneAndMtaStsAreBothPublishedDaneDecides() throws Exception {
        james.send(Destinations.SENDER, "user@both.test", "both", SECRET + "both");

        TestSmtpServer.Received received = awaitOne("mx1.both.test");
        assertThat(received.data).contains("requirement=dane").contains("authentication=DANE-EE");
        assertThat(WORLD.server("mx2.both.test").received()).isEmpty();
    }

    @Test
    void theOverrideNoneDeliversToItsPeerWithoutTls() throws Exception {
        james.send(Destinations.SENDER, "user@broken.test", "broken", SECRET + "broken");

        TestSmtpServer.Received received = awaitOne("mx.broken.test");
        assertThat(received.overTls).isFalse();
        assertThat(received.data).contains("requirement=none");
    }

    @Test
    void aPolicyFixedWhileTheMessageWaitsLetsItThroughOnRetry() throws Exception {
        james.send(Destinations.SENDER, "user@fixed.test", "fixed", SECRET + "fixed");

        await().atMost(Duration.ofSeconds(30))
                .until(() -> logLines().stream().anyMatch(line -> line.contains("-to-fixed.test deferred")));
        WORLD.enforce("fixed.test", "2", "mx.fixed.test");

        TestSmtpServer.Received received = awaitOne("mx.fixed.test");
        assertThat(received.data).contains("requirement=pkix");
        assertThat(WORLD.server("mx.sink.test").received()).noneMatch(mail -> mail.data.contains("user@fixed.test"));
    }

    // ---- what the world saw ----

    private static TestSmtpServer.Received awaitOne(String mxHost) {
        return WORLD.awaitOne(mxHost);
    }

    private static String awaitBounceFor(String recipient) {
        return WORLD.awaitBounceFor(recipient);
    }

    /** The named counters of James's MetricFactory, as they stand now. */
    private static Counters counters(String... names) {
        Map<String, Long> before = new LinkedHashMap<>();
        for (String name : names) {
            before.put(name, james.counter(name));
        }
        return new Counters(before);
    }

    private static final class Counters {
        private final Map<String, Long> before;

        Counters(Map<String, Long> before) {
            this.before = before;
        }

        // Other cases' mail may still be moving, so each counter must have grown, not by exactly one.
        void awaitEachGrown() {
            before.forEach((name, count) -> await().atMost(Duration.ofSeconds(10))
                    .untilAsserted(
                            () -> assertThat(james.counter(name)).as(name).isGreaterThan(count)));
        }
    }

    // The "domain" MDC value of every log line that matches.
    private static List<String> mdcDomainsOf(Predicate<String> line) {
        List<String> domains = new ArrayList<>();
        synchronized (LOG) {
            for (ILoggingEvent event : LOG.list) {
                if (line.test(event.getFormattedMessage())) {
                    domains.add(event.getMDCPropertyMap().get("domain"));
                }
            }
        }
        return domains;
    }

    private static List<String> logLines() {
        List<String> lines = new ArrayList<>();
        // The appender adds under its own lock, from James's threads.
        synchronized (LOG) {
            for (ILoggingEvent event : LOG.list) {
                lines.add(event.getFormattedMessage());
            }
        }
        return lines;
    }
}
