package dev.securedelivery.integration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.securedelivery.dane.TlsaRecord;
import dev.securedelivery.testing.InMemorySignedDns;
import dev.securedelivery.testing.LoopbackPorts;
import dev.securedelivery.testing.IssuedCertificate;
import dev.securedelivery.testing.RawDnsServer;
import dev.securedelivery.testing.SignedZone;
import dev.securedelivery.testing.StartTlsStrippingProxy;
import dev.securedelivery.testing.TestCertificateAuthority;
import dev.securedelivery.testing.TestHttpsServer;
import dev.securedelivery.testing.TestSmtpServer;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;
import org.xbill.DNS.Type;

/**
 * A real James 3.8.1 delivering through {@code SecureRemoteDelivery}, configured through
 * mailetcontainer.xml, to receiving MX servers on 127.0.0.x that speak STARTTLS with test-CA
 * certificates; DNS from zones signed in the test, served over UDP; MTA-STS policies from an
 * HTTPS server; and a STARTTLS-stripping attacker. Each case asserts where the message ends:
 * which MX received it, still waiting, or bounced with which status code.
 */
class SecureDeliveryInJamesTest {
    private static final String SECRET = "the-secret-body-";
    private static final TestCertificateAuthority ROOT = TestCertificateAuthority.root("Integration Root");
    private static final TestCertificateAuthority CA = ROOT.intermediate("Integration Intermediate");

    @TempDir
    static Path directory;

    private static final SignedZone TLD = SignedZone.signed("test.");
    private static final Map<String, SignedZone> ZONES = new LinkedHashMap<>();
    private static final Map<String, TestSmtpServer> MX = new HashMap<>();
    private static final Map<String, TestHttpsServer.Responder> POLICIES = new ConcurrentHashMap<>();
    private static final List<AutoCloseable> CLOSEABLES = new ArrayList<>();
    private static final ListAppender<ILoggingEvent> LOG = new ListAppender<>();
    private static InMemorySignedDns upstream;
    private static StartTlsStrippingProxy hidingProxy;
    private static StartTlsStrippingProxy refusingProxy;
    private static StartTlsStrippingProxy daneProxy;
    private static JamesUnderTest james;
    private static int smtpPort;
    private static int nextAddress = 10;

    @BeforeAll
    static void startTheWorld() throws Exception {
        LOG.start();
        ((Logger) LoggerFactory.getLogger("dev.securedelivery")).addAppender(LOG);
        smtpPort = LoopbackPorts.freeTcpPort(InetAddress.getLoopbackAddress());
        TestHttpsServer policyHost = TestHttpsServer.start(InetAddress.getLoopbackAddress(), CA.issue(
                "mta-sts.sts.test", "mta-sts.stripped.test", "mta-sts.stripped454.test", "mta-sts.badcert.test",
                "mta-sts.outside.test", "mta-sts.testing.test", "mta-sts.both.test", "mta-sts.fixed.test")
                .serverContext());
        CLOSEABLES.add(policyHost);
        policyHost.respondWith(exchange -> {
            String host = exchange.getRequestHeaders().getFirst("Host").replaceFirst(":\\d+$", "");
            POLICIES.getOrDefault(host.substring("mta-sts.".length()), TestHttpsServer.notFound()).respond(exchange);
        });

        // No policy, unsigned zone: opportunistic.
        IssuedCertificate plainCertificate = CA.issue("mx.plain.test");
        mx(zone("plain.test", false), "mx.plain.test", 10, plainCertificate);
        // A server that refuses one of two recipients.
        mx(zone("partial.test", false), "mx.partial.test", 10, CA.issue("mx.partial.test"))
                .refuse("nobody@partial.test");
        // The DSN sink for bounces to sender@sink.test.
        mx(zone("sink.test", false), "mx.sink.test", 10, CA.issue("mx.sink.test"));
        // MTA-STS enforce, good.
        mx(zone("sts.test", true), "mx1.sts.test", 10, CA.issue("mx1.sts.test"));
        enforce("sts.test", "1", "mx1.sts.test");
        // MTA-STS enforce behind an attacker hiding STARTTLS, and one answering it with 454.
        TestSmtpServer behindHiding = server("mx.stripped.test", CA.issue("mx.stripped.test"));
        hidingProxy = proxyFor("mx.stripped.test", zone("stripped.test", true), behindHiding,
                StartTlsStrippingProxy.Variant.HIDE);
        enforce("stripped.test", "1", "mx.stripped.test");
        TestSmtpServer behindRefusing = server("mx.stripped454.test", CA.issue("mx.stripped454.test"));
        refusingProxy = proxyFor("mx.stripped454.test", zone("stripped454.test", true), behindRefusing,
                StartTlsStrippingProxy.Variant.REFUSE_454);
        enforce("stripped454.test", "1", "mx.stripped454.test");
        // MTA-STS enforce, the first MX with a certificate for another name.
        SignedZone badcert = zone("badcert.test", true);
        mx(badcert, "mx1.badcert.test", 10, CA.issue("wrong.name.test"));
        mx(badcert, "mx2.badcert.test", 20, CA.issue("mx2.badcert.test"));
        enforce("badcert.test", "1", "*.badcert.test");
        // MTA-STS enforce, the first MX outside the policy.
        SignedZone outside = zone("outside.test", true);
        mx(outside, "mx1.outside.test", 10, CA.issue("mx1.outside.test"));
        mx(outside, "mx2.outside.test", 20, CA.issue("mx2.outside.test"));
        enforce("outside.test", "1", "mx2.outside.test");
        // MTA-STS testing, with a certificate for another name.
        mx(zone("testing.test", true), "mx.testing.test", 10, CA.issue("wrong.name.test"));
        publish("testing.test", "1", "testing", "mx.testing.test");

        // DANE: DANE-EE and DANE-TA records that match, one that does not, and STARTTLS stripped.
        IssuedCertificate daneEe = CA.issue("mx.daneee.test");
        SignedZone daneeeZone = zone("daneee.test", true);
        mx(daneeeZone, "mx.daneee.test", 10, daneEe);
        tlsa(daneeeZone, "mx.daneee.test", TlsaRecord.forCertificate(TlsaRecord.DANE_EE, TlsaRecord.SELECTOR_SPKI,
                TlsaRecord.MATCH_SHA256, daneEe.leaf()));
        SignedZone danetaZone = zone("daneta.test", true);
        mx(danetaZone, "mx.daneta.test", 10, CA.issue("mx.daneta.test"));
        tlsa(danetaZone, "mx.daneta.test", TlsaRecord.forCertificate(TlsaRecord.DANE_TA, TlsaRecord.SELECTOR_CERT,
                TlsaRecord.MATCH_SHA256, CA.certificate()));
        SignedZone danebadZone = zone("danebad.test", true);
        mx(danebadZone, "mx.danebad.test", 10, CA.issue("mx.danebad.test"));
        tlsa(danebadZone, "mx.danebad.test", TlsaRecord.forCertificate(TlsaRecord.DANE_EE, TlsaRecord.SELECTOR_SPKI,
                TlsaRecord.MATCH_SHA256, CA.issue("mx.danebad.test").leaf()));
        IssuedCertificate stripCertificate = CA.issue("mx.danestrip.test");
        SignedZone danestripZone = zone("danestrip.test", true);
        daneProxy = proxyFor("mx.danestrip.test", danestripZone, server("mx.danestrip.test", stripCertificate),
                StartTlsStrippingProxy.Variant.HIDE);
        tlsa(danestripZone, "mx.danestrip.test", TlsaRecord.forCertificate(TlsaRecord.DANE_EE,
                TlsaRecord.SELECTOR_SPKI, TlsaRecord.MATCH_SHA256, stripCertificate.leaf()));
        // Bogus DNSSEC: the MX host's address records lose their signatures on the way.
        mx(zone("bogus.test", true), "mx.bogus.test", 10, CA.issue("mx.bogus.test"));
        // An unsigned zone publishing TLSA records: they cannot be trusted, so opportunistic.
        IssuedCertificate insecureCertificate = CA.issue("mx.insecuredane.test");
        SignedZone insecureZone = zone("insecuredane.test", false);
        mx(insecureZone, "mx.insecuredane.test", 10, insecureCertificate);
        tlsa(insecureZone, "mx.insecuredane.test", TlsaRecord.forCertificate(TlsaRecord.DANE_EE,
                TlsaRecord.SELECTOR_SPKI, TlsaRecord.MATCH_SHA256, CA.issue("mx.insecuredane.test").leaf()));
        // DANE and MTA-STS both published: the policy lists only mx2, mx1 has TLSA records.
        IssuedCertificate bothCertificate = CA.issue("mx1.both.test");
        SignedZone bothZone = zone("both.test", true);
        mx(bothZone, "mx1.both.test", 10, bothCertificate);
        mx(bothZone, "mx2.both.test", 20, CA.issue("mx2.both.test"));
        tlsa(bothZone, "mx1.both.test", TlsaRecord.forCertificate(TlsaRecord.DANE_EE, TlsaRecord.SELECTOR_SPKI,
                TlsaRecord.MATCH_SHA256, bothCertificate.leaf()));
        enforce("both.test", "1", "mx2.both.test");
        // A peer whose TLS is broken, named in an override "none".
        mx(zone("broken.test", false), "mx.broken.test", 10, CA.issue("wrong.name.test"));
        // An enforce policy that excludes the only MX, fixed while the message waits.
        mx(zone("fixed.test", true), "mx.fixed.test", 10, CA.issue("mx.fixed.test"));
        enforce("fixed.test", "1", "mx.elsewhere.test");

        upstream = new InMemorySignedDns(allZones());
        upstream.stripSignatures("mx.bogus.test.");
        RawDnsServer dns = RawDnsServer.serving(upstream);
        CLOSEABLES.add(dns);

        Path anchor = directory.resolve("anchor.ds");
        Files.writeString(anchor, TLD.ds() + "\n");
        Path ca = directory.resolve("ca.pem");
        Files.writeString(ca, ROOT.rootPem());
        Properties configuration = new Properties();
        configuration.setProperty("dns.servers", "127.0.0.1:" + dns.address().getPort());
        configuration.setProperty("dns.trust-anchor", anchor.toString());
        configuration.setProperty("tls.trusted-certificates", ca.toString());
        configuration.setProperty("mta-sts.fetch.port", String.valueOf(policyHost.port()));
        configuration.setProperty("mta-sts.cache.directory", directory.resolve("mta-sts").toString());
        configuration.setProperty("tls-policy.broken.test", "none");
        Map<String, String> mailet = new LinkedHashMap<>();
        mailet.put("outgoing", "outgoing");
        mailet.put("delayTime", "300, 300, 300");
        mailet.put("maxRetries", "2");
        mailet.put("maxDnsProblemRetries", "0");
        mailet.put("timeout", "10000");
        mailet.put("connectiontimeout", "5000");
        mailet.put("bounceProcessor", "bounces");
        mailet.put("sendpartial", "true");
        mailet.put("deliveryThreads", "4");
        mailet.put("smtpPort", String.valueOf(smtpPort));
        mailet.put("traceHeader", "true");
        james = JamesUnderTest.start(directory.resolve("james"), mailet, configuration);
    }

    @AfterAll
    static void stopTheWorld() throws Exception {
        if (james != null) {
            james.close();
        }
        for (AutoCloseable closeable : CLOSEABLES) {
            closeable.close();
        }
        ((Logger) LoggerFactory.getLogger("dev.securedelivery")).detachAppender(LOG);
    }

    // ---- the cases ----

    @Test
    void withoutAPolicyTheMessageIsDeliveredWithTlsWhenOffered() throws Exception {
        james.send("sender@sink.test", "user@plain.test", "plain", SECRET + "plain");

        TestSmtpServer.Received received = awaitOne("mx.plain.test");
        assertThat(received.overTls).isTrue();
        assertThat(received.data).contains("X-Secure-Delivery: mx=mx.plain.test").contains("requirement=opportunistic")
                .contains("authentication=none");
    }

    @Test
    void anEnforcePolicyDeliversOverPkixVerifiedTls() throws Exception {
        james.send("sender@sink.test", "user@sts.test", "sts", SECRET + "sts");

        TestSmtpServer.Received received = awaitOne("mx1.sts.test");
        assertThat(received.overTls).isTrue();
        assertThat(received.data).contains("requirement=pkix").contains("authentication=PKIX");
    }

    @Test
    void anEnforcePolicyWithStartTlsHiddenNeverLetsTheMessageThroughAndBouncesIt() throws Exception {
        james.send("sender@sink.test", "user@stripped.test", "stripped", SECRET + "stripped");

        String dsn = awaitBounceFor("user@stripped.test");
        assertThat(dsn).contains("Status: 5.7.4");
        assertThat(MX.get("mx.stripped.test").received()).isEmpty();
        assertThat(hidingProxy.seenFromClients()).doesNotContain(SECRET).doesNotContain("RCPT TO");
        assertThat(logLines()).anyMatch(line -> line.contains("deferred") && line.contains("stripped.test"));
    }

    @Test
    void anEnforcePolicyWithStartTlsRefusedNeverLetsTheMessageThrough() throws Exception {
        james.send("sender@sink.test", "user@stripped454.test", "refused", SECRET + "refused");

        String dsn = awaitBounceFor("user@stripped454.test");
        assertThat(dsn).contains("Status: 5.7.4");
        assertThat(MX.get("mx.stripped454.test").received()).isEmpty();
        assertThat(refusingProxy.seenFromClients()).doesNotContain(SECRET).doesNotContain("RCPT TO");
    }

    @Test
    void aWrongCertificateOnTheFirstMxSendsTheMessageThroughTheSecond() throws Exception {
        james.send("sender@sink.test", "user@badcert.test", "badcert", SECRET + "badcert");

        TestSmtpServer.Received received = awaitOne("mx2.badcert.test");
        assertThat(received.overTls).isTrue();
        assertThat(MX.get("mx1.badcert.test").received()).isEmpty();
    }

    @Test
    void anMxOutsideTheEnforcePolicyIsNeverContacted() throws Exception {
        james.send("sender@sink.test", "user@outside.test", "outside", SECRET + "outside");

        awaitOne("mx2.outside.test");
        assertThat(MX.get("mx1.outside.test").sessions()).isZero();
    }

    @Test
    void aTestingPolicyWithABadCertificateDeliversAndRecordsWhatEnforceWouldHaveDone() throws Exception {
        james.send("sender@sink.test", "user@testing.test", "testing", SECRET + "testing");

        TestSmtpServer.Received received = awaitOne("mx.testing.test");
        assertThat(received.data).contains("requirement=opportunistic");
        assertThat(logLines()).anyMatch(line -> line.startsWith("testing.test: deliver via mx.testing.test")
                && line.contains("mta-sts testing id 1: would require PKIX"));
    }

    @Test
    void aRecipientRefusedBesideAnAcceptedOneIsBouncedAndTheOtherDelivered() throws Exception {
        james.send("sender@sink.test", List.of("user@partial.test", "nobody@partial.test"), "partial",
                SECRET + "partial");

        TestSmtpServer.Received received = awaitOne("mx.partial.test");
        assertThat(received.recipients).containsExactly("user@partial.test");
        String dsn = awaitBounceFor("nobody@partial.test");
        assertThat(dsn).contains("Status: 5.1.1").doesNotContain("Final-Recipient: rfc822; user@partial.test");
    }

    @Test
    void daneEeAuthenticatesTheServerByItsTlsaRecord() throws Exception {
        james.send("sender@sink.test", "user@daneee.test", "dane-ee", SECRET + "dane-ee");

        TestSmtpServer.Received received = awaitOne("mx.daneee.test");
        assertThat(received.overTls).isTrue();
        assertThat(received.data).contains("requirement=dane").contains("authentication=DANE-EE 3 1 1");
    }

    @Test
    void daneTaAuthenticatesTheServerByItsIssuer() throws Exception {
        james.send("sender@sink.test", "user@daneta.test", "dane-ta", SECRET + "dane-ta");

        TestSmtpServer.Received received = awaitOne("mx.daneta.test");
        assertThat(received.data).contains("authentication=DANE-TA 2 0 1");
    }

    @Test
    void aTlsaMismatchDefersAndFinallyBounces() throws Exception {
        james.send("sender@sink.test", "user@danebad.test", "dane-bad", SECRET + "dane-bad");

        String dsn = awaitBounceFor("user@danebad.test");
        assertThat(dsn).contains("Status: 5.7.5");
        assertThat(MX.get("mx.danebad.test").received()).isEmpty();
        assertThat(logLines()).anyMatch(line -> line.contains("domain=danebad.test")
                && line.contains("result-type=tlsa-invalid"));
        assertThat(logLines()).anyMatch(line -> line.contains("-to-danebad.test deferred"));
    }

    @Test
    void daneWithStartTlsStrippedNeverLetsTheMessageThrough() throws Exception {
        james.send("sender@sink.test", "user@danestrip.test", "dane-strip", SECRET + "dane-strip");

        String dsn = awaitBounceFor("user@danestrip.test");
        assertThat(dsn).contains("Status: 5.7.4");
        assertThat(MX.get("mx.danestrip.test").received()).isEmpty();
        assertThat(daneProxy.seenFromClients()).doesNotContain(SECRET).doesNotContain("RCPT TO");
    }

    @Test
    void bogusDnssecDefersAndFinallyBounces() throws Exception {
        james.send("sender@sink.test", "user@bogus.test", "bogus", SECRET + "bogus");

        String dsn = awaitBounceFor("user@bogus.test");
        assertThat(dsn).contains("Status: 5.7.5");
        assertThat(MX.get("mx.bogus.test").sessions()).isZero();
    }

    @Test
    void tlsaRecordsInAnUnsignedZoneLeaveDeliveryOpportunistic() throws Exception {
        james.send("sender@sink.test", "user@insecuredane.test", "insecure", SECRET + "insecure");

        TestSmtpServer.Received received = awaitOne("mx.insecuredane.test");
        assertThat(received.data).contains("requirement=opportunistic");
    }

    @Test
    void whereDaneAndMtaStsAreBothPublishedDaneDecides() throws Exception {
        james.send("sender@sink.test", "user@both.test", "both", SECRET + "both");

        TestSmtpServer.Received received = awaitOne("mx1.both.test");
        assertThat(received.data).contains("requirement=dane").contains("authentication=DANE-EE");
        assertThat(MX.get("mx2.both.test").received()).isEmpty();
    }

    @Test
    void theOverrideNoneDeliversToItsPeerWithoutTls() throws Exception {
        james.send("sender@sink.test", "user@broken.test", "broken", SECRET + "broken");

        TestSmtpServer.Received received = awaitOne("mx.broken.test");
        assertThat(received.overTls).isFalse();
        assertThat(received.data).contains("requirement=none");
    }

    @Test
    void aPolicyFixedWhileTheMessageWaitsLetsItThroughOnRetry() throws Exception {
        james.send("sender@sink.test", "user@fixed.test", "fixed", SECRET + "fixed");

        await().atMost(Duration.ofSeconds(30)).until(() -> logLines().stream()
                .anyMatch(line -> line.contains("-to-fixed.test deferred")));
        enforce("fixed.test", "2", "mx.fixed.test");

        TestSmtpServer.Received received = awaitOne("mx.fixed.test");
        assertThat(received.data).contains("requirement=pkix");
        assertThat(MX.get("mx.sink.test").received()).noneMatch(mail -> mail.data.contains("user@fixed.test"));
    }

    // ---- the world ----

    private static TestSmtpServer.Received awaitOne(String mxHost) {
        TestSmtpServer server = MX.get(mxHost);
        await().atMost(Duration.ofSeconds(30)).until(() -> !server.received().isEmpty());
        assertThat(server.received()).hasSize(1);
        return server.received().get(0);
    }

    private static String awaitBounceFor(String recipient) {
        TestSmtpServer sink = MX.get("mx.sink.test");
        await().atMost(Duration.ofSeconds(60)).until(() -> sink.received().stream()
                .anyMatch(mail -> mail.data.contains("Final-Recipient: rfc822; " + recipient)));
        return sink.received().stream().filter(mail -> mail.data.contains("Final-Recipient: rfc822; " + recipient))
                .findFirst().orElseThrow().data;
    }

    private static List<String> logLines() {
        List<String> lines = new ArrayList<>();
        for (ILoggingEvent event : LOG.list) {
            lines.add(event.getFormattedMessage());
        }
        return lines;
    }

    private static SignedZone zone(String domain, boolean signed) {
        SignedZone zone = signed ? SignedZone.signed(domain + ".") : SignedZone.unsigned(domain + ".");
        ZONES.put(domain, zone);
        zone.add("mta-sts." + domain + ".", Type.A, "127.0.0.1");
        return zone;
    }

    private static SignedZone[] allZones() {
        List<SignedZone> zones = new ArrayList<>();
        zones.add(TLD);
        for (SignedZone zone : ZONES.values()) {
            TLD.delegate(zone);
            zones.add(zone);
        }
        return zones.toArray(new SignedZone[0]);
    }

    private static InetAddress nextLoopback() {
        try {
            return InetAddress.getByName("127.0.0." + nextAddress++);
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    private static TestSmtpServer server(String host, IssuedCertificate certificate) {
        TestSmtpServer server = TestSmtpServer.withStartTls(nextLoopback(), smtpPort, certificate);
        CLOSEABLES.add(server);
        MX.put(host, server);
        return server;
    }

    private static TestSmtpServer mx(SignedZone zone, String host, int preference, IssuedCertificate certificate) {
        TestSmtpServer server = server(host, certificate);
        zone.add(zone.origin().toString(), Type.MX, preference + " " + host + ".");
        zone.add(host + ".", Type.A, server.address().getAddress().getHostAddress());
        return server;
    }

    private static StartTlsStrippingProxy proxyFor(String host, SignedZone zone, TestSmtpServer target,
            StartTlsStrippingProxy.Variant variant) {
        InetAddress address = nextLoopback();
        StartTlsStrippingProxy proxy = StartTlsStrippingProxy.start(address, smtpPort, target.address(), variant);
        CLOSEABLES.add(proxy);
        zone.add(zone.origin().toString(), Type.MX, "10 " + host + ".");
        zone.add(host + ".", Type.A, address.getHostAddress());
        return proxy;
    }

    private static void enforce(String domain, String id, String... mx) {
        publish(domain, id, "enforce", mx);
    }

    private static void publish(String domain, String id, String mode, String... mx) {
        StringBuilder body = new StringBuilder("version: STSv1\r\nmode: ").append(mode).append("\r\n");
        for (String pattern : mx) {
            body.append("mx: ").append(pattern).append("\r\n");
        }
        body.append("max_age: 86400\r\n");
        ZONES.get(domain).remove("_mta-sts." + domain + ".", Type.TXT).addTxt("_mta-sts." + domain + ".",
                "v=STSv1; id=" + id);
        POLICIES.put(domain, TestHttpsServer.ok("text/plain", body.toString()));
    }

    private static void tlsa(SignedZone zone, String host, TlsaRecord record) {
        zone.add("_25._tcp." + host + ".", Type.TLSA, record.toPresentation());
    }
}
