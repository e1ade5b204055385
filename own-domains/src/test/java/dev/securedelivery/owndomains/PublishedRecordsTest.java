package dev.securedelivery.owndomains;

import static org.assertj.core.api.Assertions.assertThat;

import dev.securedelivery.mtasts.MtaStsMode;
import dev.securedelivery.mtasts.MtaStsPolicy;
import dev.securedelivery.testing.IssuedCertificate;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xbill.DNS.Master;
import org.xbill.DNS.Record;
import org.xbill.DNS.Type;

/**
 * The records {@link PublishedRecords} gives, from a James {@code smtpserver.xml} and its keystore
 * ({@link SmtpServerKeystore}): zone-file syntax a DNS server reads as it is, a policy the strict
 * parser takes, and, published into the test zone and served, a set-up the check finds nothing to fix
 * in.
 */
class PublishedRecordsTest {
    @TempDir
    Path home;

    private OwnDomainWorld world;

    @AfterEach
    void close() {
        if (world != null) {
            world.close();
        }
    }

    private Path smtpServerXml(IssuedCertificate certificate, String secret) throws Exception {
        Path conf = Files.createDirectories(home.resolve("conf"));
        certificate.writePkcs12(conf.resolve("keystore"), secret);
        Files.writeString(
                conf.resolve("smtpserver.xml"),
                "<?xml version=\"1.0\"?>\n<smtpservers>\n"
                        + "  <smtpserver enabled=\"true\"><bind>127.0.0.1:587</bind></smtpserver>\n"
                        + "  <smtpserver enabled=\"true\">\n    <bind>0.0.0.0:25</bind>\n"
                        + "    <tls socketTLS=\"false\" startTLS=\"true\">\n"
                        + "      <keystore>file://conf/keystore</keystore>\n"
                        + "      <keystoreType>PKCS12</keystoreType>\n"
                        + "      <secret>" + secret + "</secret>\n    </tls>\n  </smtpserver>\n</smtpservers>\n");
        return conf.resolve("smtpserver.xml");
    }

    @Test
    void recordsMadeFromJamessKeystoreAreReadByADnsServerAndPassTheCheck() throws Exception {
        world = new OwnDomainWorld("127.0.0.81", true);
        world.startPolicyHost(world.ca.issue("mta-sts." + OwnDomainWorld.DOMAIN));
        List<X509Certificate> keystore =
                SmtpServerKeystore.read(smtpServerXml(world.mxCertificate, "james72laBalle"), home);
        assertThat(keystore.get(0)).isEqualTo(world.mxCertificate.leaf());

        PublishedRecords records = PublishedRecords.of(
                OwnDomainWorld.DOMAIN,
                List.of(OwnDomainWorld.MX),
                keystore.get(0),
                Optional.empty(),
                "tlsrpt@ours.test",
                MtaStsMode.ENFORCE,
                Instant.parse("2026-12-07T12:00:00Z"));

        assertThat(records.id()).isEqualTo("20261207120000");
        // As a DNS server reads a zone file: every line a record, or a comment.
        List<Record> parsed = new java.util.ArrayList<>();
        try (Master master = new Master(
                new java.io.ByteArrayInputStream(
                        records.zoneFile().getBytes(java.nio.charset.StandardCharsets.US_ASCII)),
                org.xbill.DNS.Name.root)) {
            for (Record record = master.nextRecord(); record != null; record = master.nextRecord()) {
                parsed.add(record);
            }
        }
        assertThat(parsed).extracting(Record::getType).containsExactly(Type.TXT, Type.TXT, Type.TXT, Type.TLSA);
        MtaStsPolicy policy = MtaStsPolicy.parse(records.policyText());
        assertThat(policy.mode()).isEqualTo(MtaStsMode.ENFORCE);
        assertThat(policy.mxPatterns()).containsExactly(OwnDomainWorld.MX);

        // Published and served as given: the check finds nothing to fix.
        parsed.forEach(world.zone::add);
        world.policyHost.respondWith(dev.securedelivery.testing.TestHttpsServer.ok("text/plain", records.policyText()));
        Findings findings = world.check(Clock.systemUTC()).build().check(OwnDomainWorld.DOMAIN);
        assertThat(findings.all().stream()
                        .filter(finding -> finding.severity().needsAction())
                        .collect(Collectors.toList()))
                .isEmpty();
        assertThat(findings.all())
                .extracting(Finding::message)
                .anySatisfy(message -> assertThat(message).startsWith("TLSA: DANE-EE"));
    }

    @Test
    void aTestingPolicyComesFirstWithWhatMustHoldBeforeEnforce() {
        IssuedCertificate certificate = dev.securedelivery.testing.TestCertificateAuthority.root("Publish Root")
                .issue("mx1.ours.test", "mx2.ours.test");
        IssuedCertificate next = dev.securedelivery.testing.TestCertificateAuthority.root("Publish Root")
                .issue("mx1.ours.test", "mx2.ours.test");

        PublishedRecords records = PublishedRecords.of(
                "ours.test",
                List.of("mx1.ours.test", "mx2.ours.test"),
                certificate.leaf(),
                Optional.of(next.leaf()),
                "tlsrpt@ours.test",
                MtaStsMode.TESTING,
                Instant.parse("2026-12-07T12:00:00Z"));

        assertThat(records.policyText()).contains("mode: testing").contains("max_age: 86400");
        assertThat(records.tlsa().get("mx2.ours.test"))
                .containsExactly(TlsaRollover.record(certificate.leaf()), TlsaRollover.record(next.leaf()));
        assertThat(records.steps())
                .anySatisfy(step -> assertThat(step).contains("Before enforce"))
                .anySatisfy(step -> assertThat(step).contains("Key change: wait 3600 s"));
    }

    @Test
    void aKeystoreThatCannotBeOpenedIsNamedWithWhy() throws Exception {
        world = new OwnDomainWorld("127.0.0.82", true);
        Path xml = smtpServerXml(world.mxCertificate, "right-secret");
        Files.writeString(xml, Files.readString(xml).replace("right-secret", "wrong-secret"));

        org.assertj.core.api.Assertions.assertThatThrownBy(() -> SmtpServerKeystore.read(xml, home))
                .isInstanceOf(SmtpServerKeystore.UnreadableException.class)
                .hasMessageContaining("cannot open the keystore")
                .hasMessageContaining("PKCS12");
        Files.writeString(
                xml, "<!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]><smtpservers>&e;</smtpservers>");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> SmtpServerKeystore.read(xml, home))
                .isInstanceOf(SmtpServerKeystore.UnreadableException.class)
                .hasMessageContaining("cannot read");
    }
}
