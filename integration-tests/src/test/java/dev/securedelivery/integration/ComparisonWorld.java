package dev.securedelivery.integration;

import dev.securedelivery.owndomains.TlsaRollover;
import dev.securedelivery.testing.IssuedCertificate;
import dev.securedelivery.testing.KnotAndUnbound;
import dev.securedelivery.testing.SharedPolicyHost;
import dev.securedelivery.testing.TestCertificateAuthority;
import dev.securedelivery.testing.TestHttpsServer;
import dev.securedelivery.testing.TestSmtpServer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What the senders of {@link PostfixComparison} send into: one STARTTLS sink on 127.0.0.41:25 that is
 * the MX of every destination, its certificate from a test CA naming every MX host; a zone knot signs
 * with the destinations (one DANE domain, {@code dane.test}; 1,000 domains under {@code many.test}, a
 * third each DANE, MTA-STS enforce and no policy; 1,000 MTA-STS domains under {@code cold.test}); a
 * validating unbound on 127.0.0.53:53, started afresh for each sender so that each starts cold; and
 * one HTTPS server on 127.0.0.1:443 as the policy host of every MTA-STS domain (a certificate per 100
 * names, chosen by SNI).
 */
final class ComparisonWorld implements AutoCloseable {
    static final String DANE_DOMAIN = "dane.test";
    static final String DANE_MX = "mx.dane.test";
    static final int MANY = 1_000;
    static final int COLD = 1_000;
    static final InetSocketAddress RESOLVER = new InetSocketAddress("127.0.0.53", 53);
    static final String SINK_ADDRESS = "127.0.0.41";

    /** What a destination publishes, and so how its mail must arrive. */
    enum Kind {
        DANE("authentication=DANE-EE"),
        MTA_STS("authentication=PKIX"),
        NONE("authentication=none");

        /** What our delivery log line says of a message delivered as the destination asks. */
        final String ourAuthentication;

        Kind(String ourAuthentication) {
            this.ourAuthentication = ourAuthentication;
        }
    }

    private final Path directory;
    private final TestCertificateAuthority ca = TestCertificateAuthority.root("Postfix Comparison Root");
    final TestSmtpServer sink;
    private final TestHttpsServer policyHost;
    private final String tlsa;
    final AtomicLong policyFetches = new AtomicLong();
    final Path caFile;
    final Path resolvConf;
    private KnotAndUnbound dns;
    private int runs;

    ComparisonWorld(Path directory) throws Exception {
        this.directory = directory;
        IssuedCertificate certificate = ca.issue(DANE_MX, "*.many.test", "*.cold.test");
        sink = TestSmtpServer.withStartTls(InetAddress.getByName(SINK_ADDRESS), 25, certificate);
        tlsa = TlsaRollover.record(certificate.leaf()).toPresentation();
        List<String> policyHosts = new ArrayList<>();
        for (int i = 0; i < MANY; i++) {
            if (kindOf(i) == Kind.MTA_STS) {
                policyHosts.add("mta-sts." + many(i));
            }
        }
        for (int i = 0; i < COLD; i++) {
            policyHosts.add("mta-sts." + cold(i));
        }
        policyHost = TestHttpsServer.start(
                InetAddress.getByName("127.0.0.1"), 443, SharedPolicyHost.serverContext(ca, policyHosts));
        policyHost.respondWith(TestHttpsServer.byPolicyDomain(domain -> {
            policyFetches.incrementAndGet();
            String mx = domain.endsWith(".cold.test")
                    ? domain.substring(0, domain.indexOf('.')) + "-mx.cold.test"
                    : domain.substring(0, domain.indexOf('.')) + "-mx.many.test";
            return TestHttpsServer.ok(
                    "text/plain", "version: STSv1\r\nmode: enforce\r\nmx: " + mx + "\r\nmax_age: 86400\r\n");
        }));
        caFile = directory.resolve("ca.pem");
        Files.writeString(caFile, ca.rootPem());
        resolvConf = directory.resolve("resolv.conf");
        Files.writeString(resolvConf, "nameserver " + RESOLVER.getAddress().getHostAddress() + "\noptions trust-ad\n");
    }

    static Kind kindOf(int index) {
        return Kind.values()[index % 3];
    }

    static String many(int index) {
        return "d" + index + ".many.test";
    }

    static String cold(int index) {
        return "c" + index + ".cold.test";
    }

    /** The kind of {@code domain}, one of the world's. */
    static Kind kindOf(String domain) {
        if (domain.equals(DANE_DOMAIN)) {
            return Kind.DANE;
        }
        if (domain.endsWith(".cold.test")) {
            return Kind.MTA_STS;
        }
        return kindOf(Integer.parseInt(domain.substring(1, domain.indexOf('.'))));
    }

    /**
     * Starts the DNS afresh (knot signing anew, an empty unbound cache): each sender starts cold.
     * Returns the trust anchor file for this run.
     */
    Path freshDns() throws Exception {
        if (dns != null) {
            dns.close();
        }
        runs++;
        StringBuilder many = new StringBuilder();
        for (int i = 0; i < MANY; i++) {
            String label = "d" + i;
            many.append(label).append(" MX 10 ").append(label).append("-mx\n");
            many.append(label).append("-mx A ").append(SINK_ADDRESS).append('\n');
            switch (kindOf(i)) {
                case DANE:
                    many.append("_25._tcp.")
                            .append(label)
                            .append("-mx TLSA ")
                            .append(tlsa)
                            .append('\n');
                    break;
                case MTA_STS:
                    many.append("_mta-sts.").append(label).append(" TXT \"v=STSv1; id=1\"\n");
                    many.append("mta-sts.").append(label).append(" A 127.0.0.1\n");
                    break;
                default:
                    break;
            }
        }
        StringBuilder cold = new StringBuilder();
        for (int i = 0; i < COLD; i++) {
            String label = "c" + i;
            cold.append(label).append(" MX 10 ").append(label).append("-mx\n");
            cold.append(label).append("-mx A ").append(SINK_ADDRESS).append('\n');
            cold.append("_mta-sts.").append(label).append(" TXT \"v=STSv1; id=1\"\n");
            cold.append("mta-sts.").append(label).append(" A 127.0.0.1\n");
        }
        dns = KnotAndUnbound.start(
                directory.resolve("dns-" + runs),
                RESOLVER,
                KnotAndUnbound.Zone.of(
                        DANE_DOMAIN + ".",
                        KnotAndUnbound.Delegation.SIGNED,
                        "@ MX 10 mx\nmx A " + SINK_ADDRESS + "\n_25._tcp.mx TLSA " + tlsa + "\n"),
                KnotAndUnbound.Zone.of("many.test.", KnotAndUnbound.Delegation.SIGNED, many.toString()),
                KnotAndUnbound.Zone.of("cold.test.", KnotAndUnbound.Delegation.SIGNED, cold.toString()));
        Path anchor = directory.resolve("anchor-" + runs + ".ds");
        Files.writeString(anchor, dns.trustAnchor() + "\n");
        return anchor;
    }

    /** The DNS servers of this run (knot and unbound), whose processor time both senders use. */
    List<ProcessHandle> dnsProcesses() {
        return dns.processes();
    }

    @Override
    public void close() {
        sink.close();
        policyHost.close();
        if (dns != null) {
            dns.close();
        }
    }
}
