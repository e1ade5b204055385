package dev.securedelivery.delivery;

import dev.securedelivery.dns.DnsResolver;
import dev.securedelivery.mtasts.MtaStsEngine;
import dev.securedelivery.policy.DeliveryPolicy;
import dev.securedelivery.policy.DomainName;
import dev.securedelivery.policy.DomainOverride;
import dev.securedelivery.smtp.IdleSessions;
import dev.securedelivery.smtp.SmtpClient;
import dev.securedelivery.smtp.SmtpLimits;
import dev.securedelivery.smtp.SmtpSettings;
import dev.securedelivery.testing.InMemoryDns;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import javax.net.ssl.X509TrustManager;
import org.xbill.DNS.Type;

/**
 * The domain {@code dest.test} with its MX hosts on loopback addresses (unsigned DNS, no MTA-STS),
 * and the delivery core pointed at it: a plan, real SMTP sessions, fates.
 */
final class TestDestination implements AutoCloseable {
    static final DomainName DOMAIN = DomainName.of("dest.test");

    private final DeliveryPolicy policy;
    final DomainDelivery delivery;
    final DeliveryOutcomes outcomes = new DeliveryOutcomes(Clock.systemUTC(), 100);

    /**
     * @param mxAddresses one MX host per address, mx1.dest.test first, all of preference 10 + index
     * @param override a local override for dest.test, or null
     */
    TestDestination(
            List<String> mxAddresses, DomainOverride override, int port, boolean sendPartial, X509TrustManager pkix)
            throws IOException {
        this(
                mxAddresses,
                override,
                port,
                sendPartial,
                pkix,
                DeliveryLimits.DEFAULT,
                SmtpLimits.DEFAULT
                        .withConnectTimeout(Duration.ofSeconds(2))
                        .withReadTimeout(Duration.ofSeconds(5))
                        .withWriteTimeout(Duration.ofSeconds(5)));
    }

    TestDestination(
            List<String> mxAddresses,
            DomainOverride override,
            int port,
            boolean sendPartial,
            X509TrustManager pkix,
            DeliveryLimits limits,
            SmtpLimits sessionLimits)
            throws IOException {
        this(mxAddresses, override, port, sendPartial, pkix, limits, sessionLimits, null, null);
    }

    /**
     * @param sessions where sessions wait for the next message, or null for none
     * @param recorder where sessions are recorded for TLS reports, or null
     */
    TestDestination(
            List<String> mxAddresses,
            DomainOverride override,
            int port,
            boolean sendPartial,
            X509TrustManager pkix,
            DeliveryLimits limits,
            SmtpLimits sessionLimits,
            IdleSessions sessions,
            TlsRptRecorder recorder)
            throws IOException {
        InMemoryDns dns = new InMemoryDns();
        for (int i = 0; i < mxAddresses.size(); i++) {
            String host = "mx" + (i + 1) + ".dest.test.";
            dns.add("dest.test.", Type.MX, 300, (10 + i) + " " + host);
            dns.addA(host, mxAddresses.get(i));
        }
        DnsResolver resolver = new DnsResolver(dns, false, Duration.ofSeconds(2));
        this.policy = new DeliveryPolicy(
                resolver,
                MtaStsEngine.builder(resolver)
                        .lookupTimeout(Duration.ofSeconds(2))
                        .build(),
                override == null ? Map.of() : Map.of("dest.test", override));
        SmtpSettings settings = SmtpSettings.of("sender.test")
                .withPort(port)
                .withSendPartial(sendPartial)
                .withLimits(sessionLimits);
        this.delivery = new DomainDelivery(
                policy,
                new SmtpClient(settings, pkix, Clock.systemUTC(), sessions),
                outcomes,
                recorder,
                DomainDelivery.Observer.NONE,
                new Random(1),
                limits);
    }

    static Envelope envelope(List<String> recipients) {
        byte[] message = ("From: sender@sender.test\r\nSubject: test\r\n\r\nHello.\r\n.leading dot\r\n")
                .getBytes(StandardCharsets.US_ASCII);
        return Envelope.of("test-mail", DOMAIN, "sender@sender.test", recipients, out -> out.write(message));
    }

    @Override
    public void close() throws IOException {
        policy.close();
    }
}
