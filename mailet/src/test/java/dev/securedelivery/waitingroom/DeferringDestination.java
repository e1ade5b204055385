package dev.securedelivery.waitingroom;

import dev.securedelivery.configuration.PolicyEngineConfiguration;
import dev.securedelivery.mailet.SecureDeliveryEngine;
import dev.securedelivery.mailet.SecureRemoteDelivery;
import dev.securedelivery.mtasts.FetchListener;
import dev.securedelivery.testing.InMemorySignedDns;
import dev.securedelivery.testing.LoopbackPorts;
import dev.securedelivery.testing.RawDnsServer;
import dev.securedelivery.testing.SignedZone;
import dev.securedelivery.testing.TestCertificateAuthority;
import dev.securedelivery.testing.TestSmtpServer;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Properties;
import java.util.stream.Collectors;
import javax.mail.internet.MimeMessage;
import org.apache.james.core.builder.MimeMessageBuilder;
import org.apache.james.metrics.tests.RecordingMetricFactory;
import org.apache.james.queue.api.MailQueueFactory;
import org.apache.mailet.base.test.FakeMail;
import org.apache.mailet.base.test.FakeMailContext;
import org.apache.mailet.base.test.FakeMailetConfig;
import org.xbill.DNS.Type;

/**
 * A destination whose MX defers the recipient (450) until told to recover, and the delivery mailet
 * that sends to it from a given queue factory and repository store, started and stopped as a node
 * would be: what the retry-schedule tests share.
 */
final class DeferringDestination implements AutoCloseable {
    static final String RECIPIENT = "user@dest.test";

    final TestSmtpServer mx;
    final FakeMailContext context = FakeMailContext.defaultContext();
    private final RawDnsServer dns;
    private final Path directory;
    private final Properties configuration = new Properties();
    private final MailQueueFactory<?> queues;
    private final SingleRepositoryStore repositories;
    private final RecordingMetricFactory metrics = new RecordingMetricFactory();
    SecureDeliveryEngine engine;
    private SecureRemoteDelivery mailet;
    // Other nodes on the same queue, repository and (where the configuration shares one) store.
    private final List<SecureDeliveryEngine> otherEngines = new java.util.ArrayList<>();
    private final List<SecureRemoteDelivery> otherMailets = new java.util.ArrayList<>();

    DeferringDestination(
            Path directory, String mxAddress, MailQueueFactory<?> queues, SingleRepositoryStore repositories)
            throws Exception {
        this(directory, mxAddress, queues, repositories, new Properties());
    }

    /** With {@code extra} keys of secure-delivery.properties (a shared store's). */
    DeferringDestination(
            Path directory,
            String mxAddress,
            MailQueueFactory<?> queues,
            SingleRepositoryStore repositories,
            Properties extra)
            throws Exception {
        this.directory = directory;
        configuration.putAll(extra);
        this.queues = queues;
        this.repositories = repositories;
        InetAddress address = InetAddress.getByName(mxAddress);
        mx = TestSmtpServer.withStartTls(
                address,
                LoopbackPorts.freeTcpPort(address),
                TestCertificateAuthority.root("Schedule Test Root").issue("mx.dest.test"));
        mx.defer(RECIPIENT);
        SignedZone tld = SignedZone.signed("test.");
        SignedZone zone = SignedZone.signed("dest.test.")
                .add("dest.test.", Type.MX, "10 mx.dest.test.")
                .add("mx.dest.test.", Type.A, address.getHostAddress());
        tld.delegate(zone);
        dns = RawDnsServer.serving(new InMemorySignedDns(tld, zone));
        Path anchor = directory.resolve("anchor.ds");
        Files.writeString(anchor, tld.ds() + "\n");
        configuration.setProperty("dns.servers", "127.0.0.1:" + dns.address().getPort());
        configuration.setProperty("dns.trust-anchor", anchor.toString());
        engine = newEngine();
    }

    private SecureDeliveryEngine newEngine() throws Exception {
        return newEngine(configuration);
    }

    private SecureDeliveryEngine newEngine(Properties settings) throws Exception {
        return SecureDeliveryEngine.from(
                PolicyEngineConfiguration.from(settings, directory), Clock.systemUTC(), FetchListener.NONE, null);
    }

    /** Starts the mailet with this schedule; {@code queueDelays} null for the default (auto). */
    void startMailet(String delayTime, int maxRetries, String queueDelays) throws Exception {
        mailet = new SecureRemoteDelivery(null, queues, repositories, metrics, engine);
        mailet.init(mailetConfig(delayTime, maxRetries, queueDelays));
    }

    /** Another node, {@code node} by name, on the same queues, repository and configuration otherwise. */
    SecureDeliveryEngine startOtherNode(String node, String delayTime, int maxRetries) throws Exception {
        Properties settings = new Properties();
        settings.putAll(configuration);
        settings.setProperty("store.node-name", node);
        SecureDeliveryEngine other = newEngine(settings);
        otherEngines.add(other);
        SecureRemoteDelivery otherMailet = new SecureRemoteDelivery(null, queues, repositories, metrics, other);
        otherMailet.init(mailetConfig(delayTime, maxRetries, null));
        otherMailets.add(otherMailet);
        return other;
    }

    private FakeMailetConfig mailetConfig(String delayTime, int maxRetries, String queueDelays) {
        FakeMailetConfig.Builder config = FakeMailetConfig.builder()
                .mailetName("SecureRemoteDelivery")
                .mailetContext(context)
                .setProperty("outgoing", "outgoing")
                .setProperty("heloName", "sender.test")
                .setProperty("smtpPort", String.valueOf(mx.port()))
                .setProperty("delayTime", delayTime)
                .setProperty("maxRetries", String.valueOf(maxRetries))
                .setProperty("sessionReuse", "false");
        if (queueDelays != null) {
            config.setProperty(QueueDelaySupport.PARAMETER, queueDelays);
        }
        return config.build();
    }

    /** The node stops (its mailet and engine: what it kept in memory is gone) and starts again. */
    void restart(String delayTime, int maxRetries) throws Exception {
        stopNode();
        engine = newEngine();
        startMailet(delayTime, maxRetries, null);
    }

    void submit(String name) throws Exception {
        submit(name, RECIPIENT);
    }

    void submit(String name, String recipient) throws Exception {
        MimeMessage message = MimeMessageBuilder.mimeMessageBuilder()
                .setSubject(name)
                .setText("On schedule.")
                .addFrom("sender@sender.test")
                .addToRecipient(recipient)
                .build();
        mailet.service(FakeMail.builder()
                .name(name)
                .sender("sender@sender.test")
                .recipient(recipient)
                .mimeMessage(message)
                .build());
    }

    /** When the MX saw a RCPT TO for {@code recipient}: its message's attempts. */
    List<Instant> attempts(String recipient) {
        return mx.recipientAttempts().stream()
                .filter(attempt -> attempt.recipient.equals(recipient))
                .map(attempt -> attempt.at)
                .collect(Collectors.toList());
    }

    /** When the MX saw each RCPT TO: each attempt. */
    List<Instant> attempts() {
        return mx.recipientAttempts().stream().map(attempt -> attempt.at).collect(Collectors.toList());
    }

    /** Bounces handed to James, whichever way. */
    int bounces() {
        return context.getBouncedMails().size() + context.getSentMails().size();
    }

    private void stopNode() throws Exception {
        for (SecureRemoteDelivery other : otherMailets) {
            other.destroy();
        }
        otherMailets.clear();
        for (SecureDeliveryEngine other : otherEngines) {
            other.close();
        }
        otherEngines.clear();
        if (mailet != null) {
            mailet.destroy();
            mailet = null;
        }
        if (engine != null) {
            engine.close();
            engine = null;
        }
    }

    @Override
    public void close() throws Exception {
        stopNode();
        dns.close();
        mx.close();
    }
}
