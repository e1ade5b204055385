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
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.UnaryOperator;
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
        this(mxAddresses, override, port, sendPartial, pkix, DeliveryLimits.DEFAULT, quickLimits());
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
        this(
                defaultNames(mxAddresses.size()),
                mxAddresses,
                override,
                port,
                pkix,
                limits,
                sessionLimits,
                sessions,
                recorder,
                settings -> settings.withSendPartial(sendPartial));
    }

    /**
     * @param mxNames the MX hosts' names (with the trailing dot), in preference order, each at the
     *     address of the same index
     * @param tuning the SMTP settings beyond the port and the session bounds (sendpartial, the
     *     recipient limit)
     */
    TestDestination(
            List<String> mxNames,
            List<String> mxAddresses,
            DomainOverride override,
            int port,
            X509TrustManager pkix,
            DeliveryLimits limits,
            SmtpLimits sessionLimits,
            IdleSessions sessions,
            TlsRptRecorder recorder,
            UnaryOperator<SmtpSettings> tuning)
            throws IOException {
        InMemoryDns dns = new InMemoryDns();
        for (int i = 0; i < mxAddresses.size(); i++) {
            String host = mxNames.get(i);
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
        SmtpSettings settings =
                tuning.apply(SmtpSettings.of("sender.test").withPort(port).withLimits(sessionLimits));
        this.delivery = new DomainDelivery(
                policy,
                new SmtpClient(settings, pkix, Clock.systemUTC(), sessions),
                outcomes,
                recorder,
                DomainDelivery.Observer.NONE,
                new Random(1),
                limits);
    }

    /** mx1.dest.test., mx2.dest.test., ... */
    static List<String> defaultNames(int count) {
        List<String> names = new ArrayList<>();
        for (int i = 1; i <= count; i++) {
            names.add("mx" + i + ".dest.test.");
        }
        return names;
    }

    /** The default SMTP bounds of these tests: quick to connect and to answer. */
    static SmtpLimits quickLimits() {
        return SmtpLimits.DEFAULT
                .withConnectTimeout(Duration.ofSeconds(2))
                .withReadTimeout(Duration.ofSeconds(5))
                .withWriteTimeout(Duration.ofSeconds(5));
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
