package dev.securedelivery.james39;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.securedelivery.configuration.PolicyEngineConfiguration;
import dev.securedelivery.dane.TlsaRecord;
import dev.securedelivery.mailet.SecureDeliveryEngine;
import dev.securedelivery.mailet.SecureRemoteDelivery;
import dev.securedelivery.mtasts.FetchListener;
import dev.securedelivery.testing.InMemorySignedDns;
import dev.securedelivery.testing.IssuedCertificate;
import dev.securedelivery.testing.LoopbackPorts;
import dev.securedelivery.testing.RawDnsServer;
import dev.securedelivery.testing.SignedZone;
import dev.securedelivery.testing.TestCertificateAuthority;
import dev.securedelivery.testing.TestSmtpServer;
import jakarta.mail.internet.MimeMessage;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Properties;
import org.apache.james.core.builder.MimeMessageBuilder;
import org.apache.james.metrics.tests.RecordingMetricFactory;
import org.apache.james.queue.api.MailQueue;
import org.apache.james.queue.api.MailQueueName;
import org.apache.mailet.Mail;
import org.apache.mailet.base.test.FakeMail;
import org.apache.mailet.base.test.FakeMailContext;
import org.apache.mailet.base.test.FakeMailetConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xbill.DNS.Type;

/**
 * The mailet of the James 3.9 jar, on James 3.9.0's mailet API (Jakarta Mail), driven as James
 * drives it: built with its dependencies, initialised with a mailet configuration, handed a Mail.
 * It takes the Jakarta MimeMessage, queues it, and delivers it over STARTTLS to a receiving MX on
 * 127.0.0.x pinned by a DANE-EE record in a DNSSEC-signed zone.
 */
class SecureRemoteDeliveryOnJames39Test {
    private final TestCertificateAuthority ca = TestCertificateAuthority.root("James 3.9 Test Root");
    private final SignedZone tld = SignedZone.signed("test.");
    private TestSmtpServer mx;
    private RawDnsServer dns;
    private SecureDeliveryEngine engine;
    private SecureRemoteDelivery mailet;
    private final InMemoryMailQueue.Factory queues = new InMemoryMailQueue.Factory();
    private final RecordingMetricFactory metrics = new RecordingMetricFactory();

    @BeforeEach
    void startTheWorld(@TempDir Path directory) throws Exception {
        IssuedCertificate certificate = ca.issue("mx.pinned.test");
        InetAddress address = InetAddress.getByName("127.0.0.2");
        mx = TestSmtpServer.withStartTls(address, LoopbackPorts.freeTcpPort(address), certificate);
        SignedZone zone = SignedZone.signed("pinned.test.");
        zone.add("pinned.test.", Type.MX, "10 mx.pinned.test.");
        zone.add("mx.pinned.test.", Type.A, "127.0.0.2");
        // RFC 7672 3.1.1: DANE-EE(3) SPKI(1) SHA-256(1), the key of the MX's certificate.
        zone.add(
                "_25._tcp.mx.pinned.test.",
                Type.TLSA,
                TlsaRecord.forCertificate(
                                TlsaRecord.DANE_EE,
                                TlsaRecord.SELECTOR_SPKI,
                                TlsaRecord.MATCH_SHA256,
                                certificate.leaf())
                        .toPresentation());
        tld.delegate(zone);
        dns = RawDnsServer.serving(new InMemorySignedDns(tld, zone));

        Path anchor = directory.resolve("anchor.ds");
        Files.writeString(anchor, tld.ds() + "\n");
        Properties configuration = new Properties();
        configuration.setProperty("dns.servers", "127.0.0.1:" + dns.address().getPort());
        configuration.setProperty("dns.trust-anchor", anchor.toString());
        engine = SecureDeliveryEngine.from(
                PolicyEngineConfiguration.from(configuration, directory), Clock.systemUTC(), FetchListener.NONE, null);
    }

    @AfterEach
    void stopTheWorld() throws Exception {
        if (mailet != null) {
            mailet.destroy();
        }
        if (engine != null) {
            engine.close();
        }
        if (dns != null) {
            dns.close();
        }
        if (mx != null) {
            mx.close();
        }
    }

    @Test
    void aMailOfTheJames39ApiIsDeliveredWithDane() throws Exception {
        FakeMailContext context = FakeMailContext.defaultContext();
        // DomainList is only read for a HELO name when heloName is not given.
        // Delays honoured: no waiting room, so no repository store.
        mailet = new SecureRemoteDelivery(null, queues, null, metrics, engine);
        mailet.init(FakeMailetConfig.builder()
                .mailetName("SecureRemoteDelivery")
                .mailetContext(context)
                .setProperty("outgoing", "outgoing")
                .setProperty("heloName", "james39.test")
                .setProperty("smtpPort", String.valueOf(mx.port()))
                // The test's queue holds a message for its delay, as James's memory queue does.
                .setProperty("queueDelays", "honoured")
                .setProperty("traceHeader", "true")
                .build());
        MimeMessage message = MimeMessageBuilder.mimeMessageBuilder()
                .setSubject("on James 3.9")
                .setText("Delivered from a Jakarta MimeMessage.")
                .addFrom("sender@sink.test")
                .addToRecipient("user@pinned.test")
                .build();
        Mail mail = FakeMail.builder()
                .name("mail-1")
                .sender("sender@sink.test")
                .recipient("user@pinned.test")
                .mimeMessage(message)
                .build();

        mailet.service(mail);

        // Taken into the outgoing queue: the mail itself goes no further in the mailet container.
        assertThat(mail.getState()).isEqualTo(Mail.GHOST);
        await().atMost(Duration.ofSeconds(30)).until(() -> !mx.received().isEmpty());
        TestSmtpServer.Received received = mx.received().get(0);
        assertThat(received.overTls).isTrue();
        assertThat(received.from).isEqualTo("sender@sink.test");
        assertThat(received.recipients).containsExactly("user@pinned.test");
        assertThat(received.data)
                .contains("Subject: on James 3.9")
                .contains("Delivered from a Jakarta MimeMessage.")
                .contains("requirement=dane")
                .contains("authentication=DANE-EE");
        InMemoryMailQueue outgoing =
                queues.getQueue(MailQueueName.of("outgoing")).orElseThrow();
        await().atMost(Duration.ofSeconds(10))
                .until(() -> outgoing.completions().contains(MailQueue.MailQueueItem.CompletionStatus.SUCCESS));
        assertThat(metrics.countFor("secureDelivery.mail.delivered")).isEqualTo(1);
        assertThat(context.getBouncedMails()).isEmpty();
    }
}
