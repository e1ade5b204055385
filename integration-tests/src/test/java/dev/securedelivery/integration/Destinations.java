package dev.securedelivery.integration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.securedelivery.dane.TlsaRecord;
import dev.securedelivery.testing.InMemorySignedDns;
import dev.securedelivery.testing.IssuedCertificate;
import dev.securedelivery.testing.LoopbackPorts;
import dev.securedelivery.testing.RawDnsServer;
import dev.securedelivery.testing.SignedZone;
import dev.securedelivery.testing.StartTlsStrippingProxy;
import dev.securedelivery.testing.TestCertificateAuthority;
import dev.securedelivery.testing.TestHttpsServer;
import dev.securedelivery.testing.TestSmtpServer;
import java.io.IOException;
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
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.xbill.DNS.Type;

/**
 * The recipients' side of the internet, on 127.0.0.x: zones under {@code test.} (signed or not),
 * receiving MX servers speaking STARTTLS with certificates from a test CA, attackers stripping
 * STARTTLS, MTA-STS policies on an HTTPS server, and DNS over UDP. {@code mx.sink.test} receives
 * the bounces sent to {@code sender@sink.test}.
 *
 * <p>Declare the world, {@link #start()} it, and hand James {@link #configuration(Path)}.
 */
final class Destinations implements AutoCloseable {
    static final String SENDER = "sender@sink.test";

    // Worlds in one JVM never share an address, so one world's servers never answer for another's.
    private static final AtomicInteger NEXT_ADDRESS = new AtomicInteger(10);

    private final TestCertificateAuthority root = TestCertificateAuthority.root("Destinations Root");
    private final TestCertificateAuthority ca = root.intermediate("Destinations Intermediate");
    private final SignedZone tld = SignedZone.signed("test.");
    private final Map<String, SignedZone> zones = new LinkedHashMap<>();
    private final Map<String, TestSmtpServer> servers = new HashMap<>();
    private final Map<String, TestHttpsServer.Responder> policies = new ConcurrentHashMap<>();
    /** The domains whose policy was asked for, in order. */
    private final List<String> policyRequests = new CopyOnWriteArrayList<>();

    private final List<AutoCloseable> closeables = new ArrayList<>();
    private final int smtpPort;
    private InMemorySignedDns upstream;
    private RawDnsServer dns;
    private TestHttpsServer policyHost;

    Destinations() {
        smtpPort = LoopbackPorts.freeTcpPort(InetAddress.getLoopbackAddress());
        mx(zone("sink.test", false), "mx.sink.test", 10, ca.issue("mx.sink.test"));
    }

    /** The port every MX listens on: the delivery mailet's {@code smtpPort}. */
    int smtpPort() {
        return smtpPort;
    }

    TestCertificateAuthority ca() {
        return ca;
    }

    /** A zone {@code domain} with {@code mta-sts.<domain>} pointing at the policy host. */
    SignedZone zone(String domain, boolean signed) {
        SignedZone zone = signed ? SignedZone.signed(domain + ".") : SignedZone.unsigned(domain + ".");
        zones.put(domain, zone);
        zone.add("mta-sts." + domain + ".", Type.A, "127.0.0.1");
        return zone;
    }

    /** An SMTP server with STARTTLS and {@code certificate}, on an address of its own, not in DNS. */
    TestSmtpServer server(String host, IssuedCertificate certificate) {
        TestSmtpServer server = TestSmtpServer.withStartTls(nextLoopback(), smtpPort, certificate);
        closeables.add(server);
        servers.put(host, server);
        return server;
    }

    /** A loopback address of this world's own, for a server a test starts itself. */
    InetAddress address() {
        return nextLoopback();
    }

    /** A server published as an MX host of {@code zone}. */
    TestSmtpServer mx(SignedZone zone, String host, int preference, IssuedCertificate certificate) {
        TestSmtpServer server = server(host, certificate);
        zone.add(zone.origin().toString(), Type.MX, preference + " " + host + ".");
        zone.add(host + ".", Type.A, server.address().getAddress().getHostAddress());
        return server;
    }

    /** An attacker in front of {@code target}, published as the MX host {@code host} of {@code zone}. */
    StartTlsStrippingProxy proxyFor(
            String host, SignedZone zone, TestSmtpServer target, StartTlsStrippingProxy.Variant variant) {
        return proxyFor(host, 10, zone, target, variant);
    }

    /** An attacker in front of {@code target}: the MX host {@code host} of preference {@code preference}. */
    StartTlsStrippingProxy proxyFor(
            String host,
            int preference,
            SignedZone zone,
            TestSmtpServer target,
            StartTlsStrippingProxy.Variant variant) {
        InetAddress address = nextLoopback();
        StartTlsStrippingProxy proxy = StartTlsStrippingProxy.start(address, smtpPort, target.address(), variant);
        closeables.add(proxy);
        zone.add(zone.origin().toString(), Type.MX, preference + " " + host + ".");
        zone.add(host + ".", Type.A, address.getHostAddress());
        return proxy;
    }

    /** A signed zone {@code domain} whose one MX, {@code host}, is pinned by a DANE-EE 3 1 1 record of its key. */
    SignedZone daneDomain(String domain, String host) {
        IssuedCertificate certificate = ca.issue(host);
        SignedZone zone = zone(domain, true);
        mx(zone, host, 10, certificate);
        tlsa(
                zone,
                host,
                TlsaRecord.forCertificate(
                        TlsaRecord.DANE_EE, TlsaRecord.SELECTOR_SPKI, TlsaRecord.MATCH_SHA256, certificate.leaf()));
        return zone;
    }

    /**
     * A signed zone {@code domain} whose one MX, {@code alias}, is a CNAME for {@code real}, where the
     * server and its DANE-EE 3 1 1 record are: the TLSA base domain is {@code real} (RFC 7672 2.2.2).
     */
    SignedZone daneDomainBehindCname(String domain, String alias, String real) {
        IssuedCertificate certificate = ca.issue(real);
        SignedZone zone = zone(domain, true);
        TestSmtpServer server = server(real, certificate);
        zone.add(zone.origin().toString(), Type.MX, "10 " + alias + ".");
        zone.add(alias + ".", Type.CNAME, real + ".");
        zone.add(real + ".", Type.A, server.address().getAddress().getHostAddress());
        tlsa(
                zone,
                real,
                TlsaRecord.forCertificate(
                        TlsaRecord.DANE_EE, TlsaRecord.SELECTOR_SPKI, TlsaRecord.MATCH_SHA256, certificate.leaf()));
        return zone;
    }

    void tlsa(SignedZone zone, String host, TlsaRecord record) {
        zone.add("_25._tcp." + host + ".", Type.TLSA, record.toPresentation());
    }

    void enforce(String domain, String id, String... mx) {
        publish(domain, id, "enforce", mx);
    }

    /** Publishes (or replaces) the MTA-STS record and policy of {@code domain}. */
    void publish(String domain, String id, String mode, String... mx) {
        StringBuilder body =
                new StringBuilder("version: STSv1\r\nmode: ").append(mode).append("\r\n");
        for (String pattern : mx) {
            body.append("mx: ").append(pattern).append("\r\n");
        }
        body.append("max_age: 86400\r\n");
        zones.get(domain)
                .remove("_mta-sts." + domain + ".", Type.TXT)
                .addTxt("_mta-sts." + domain + ".", "v=STSv1; id=" + id);
        policies.put(domain, TestHttpsServer.ok("text/plain", body.toString()));
    }

    /** Publishes the MTA-STS record of {@code domain} and serves {@code body} as its policy, byte for byte. */
    void publishPolicy(String domain, String id, String body) {
        publishRecord(domain, id, TestHttpsServer.ok("text/plain", body));
    }

    /** Publishes the MTA-STS record of {@code domain}, its policy host answering as {@code responder} does. */
    void publishRecord(String domain, String id, TestHttpsServer.Responder responder) {
        zones.get(domain)
                .remove("_mta-sts." + domain + ".", Type.TXT)
                .addTxt("_mta-sts." + domain + ".", "v=STSv1; id=" + id);
        policies.put(domain, responder);
    }

    /**
     * Moves {@code mta-sts.<domain>} to a policy host of its own, on the policy port, whose certificate
     * comes from a CA James does not trust: its policy cannot be authenticated (RFC 8460 4.3.2.2
     * sts-webpki-invalid). After {@link #start()}.
     */
    void untrustedPolicyHost(String domain, String policyBody) {
        InetAddress address = nextLoopback();
        TestCertificateAuthority stranger = TestCertificateAuthority.root("Untrusted Root");
        TestHttpsServer host = TestHttpsServer.start(
                address, policyHost.port(), stranger.issue("mta-sts." + domain).serverContext());
        closeables.add(host);
        host.respondWith(TestHttpsServer.ok("text/plain", policyBody));
        zones.get(domain)
                .remove("mta-sts." + domain + ".", Type.A)
                .add("mta-sts." + domain + ".", Type.A, address.getHostAddress());
        zones.get(domain)
                .remove("_mta-sts." + domain + ".", Type.TXT)
                .addTxt("_mta-sts." + domain + ".", "v=STSv1; id=1");
    }

    /**
     * Serves the declared world: the zones over UDP, delegated from a signed {@code test.}, and the
     * policies of every {@code mta-sts.<zone>} over HTTPS. Zones may change afterwards; no new
     * zone may be added.
     */
    void start() {
        List<SignedZone> all = new ArrayList<>();
        all.add(tld);
        List<String> policyHosts = new ArrayList<>();
        for (SignedZone zone : zones.values()) {
            tld.delegate(zone);
            all.add(zone);
            policyHosts.add("mta-sts." + zone.origin().toString().replaceFirst("\\.$", ""));
        }
        upstream = new InMemorySignedDns(all.toArray(new SignedZone[0]));
        dns = RawDnsServer.serving(upstream);
        closeables.add(dns);
        policyHost = TestHttpsServer.start(
                InetAddress.getLoopbackAddress(),
                ca.issue(policyHosts.toArray(new String[0])).serverContext());
        closeables.add(policyHost);
        policyHost.respondWith(TestHttpsServer.byPolicyDomain(domain -> {
            policyRequests.add(domain);
            return policies.getOrDefault(domain, TestHttpsServer.notFound());
        }));
    }

    /** The DNS the world serves, for tampering with answers on the way. */
    InMemorySignedDns upstream() {
        return upstream;
    }

    /**
     * {@code secure-delivery.properties} for a James that sends into this world: its DNS, its trust
     * anchor, its CA, its policy host's port; files go to {@code directory}.
     */
    Properties configuration(Path directory) throws IOException {
        Files.createDirectories(directory);
        Path anchor = directory.resolve("anchor.ds");
        Files.writeString(anchor, tld.ds() + "\n");
        Path trusted = directory.resolve("ca.pem");
        Files.writeString(trusted, root.rootPem());
        Properties configuration = new Properties();
        configuration.setProperty("dns.servers", "127.0.0.1:" + dns.address().getPort());
        configuration.setProperty("dns.trust-anchor", anchor.toString());
        configuration.setProperty("tls.trusted-certificates", trusted.toString());
        configuration.setProperty("mta-sts.fetch.port", String.valueOf(policyHost.port()));
        configuration.setProperty(
                "mta-sts.cache.directory", directory.resolve("mta-sts").toString());
        return configuration;
    }

    /**
     * The HTTPS endpoint for TLS reports of {@code reports} (a zone named reports.test):
     * tlsrpt.reports.test on 127.0.0.1, answering 201 to every POST and keeping its body in {@code
     * posted}. The caller closes it.
     */
    TestHttpsServer reportEndpoint(SignedZone reports, List<byte[]> posted) {
        TestHttpsServer endpoint = TestHttpsServer.start(
                InetAddress.getLoopbackAddress(),
                ca.issue("tlsrpt.reports.test").serverContext());
        endpoint.respondWith(exchange -> {
            posted.add(endpoint.lastRequestBody());
            exchange.sendResponseHeaders(201, -1);
        });
        reports.add("tlsrpt.reports.test.", Type.A, "127.0.0.1");
        return endpoint;
    }

    /**
     * {@link #configuration(Path)} with TLS reports on: from tlsrpt@sink.test for "Sink Test Mail",
     * node james1, one report per {@code period}; uploads to 127.0.0.0/8 allowed, where the endpoint is.
     */
    Properties reportingConfiguration(Path directory, String period) throws IOException {
        Properties configuration = configuration(directory);
        configuration.setProperty("tls-reports.enabled", "true");
        configuration.setProperty("tls-reports.organization-name", "Sink Test Mail");
        configuration.setProperty("tls-reports.contact-info", "postmaster@sink.test");
        configuration.setProperty("tls-reports.sender", "tlsrpt@sink.test");
        configuration.setProperty("tls-reports.node-name", "james1");
        configuration.setProperty("tls-reports.period", period);
        configuration.setProperty("tls-reports.upload-allowed-networks", "127.0.0.0/8");
        return configuration;
    }

    /**
     * The delivery mailet's parameters for a James that sends into this world and gives up fast:
     * three attempts 300 ms apart, then a bounce through the {@code bounces} processor; the trace
     * header on. Tests add their own.
     */
    Map<String, String> quicklyBouncingMailet() {
        Map<String, String> mailet = new LinkedHashMap<>();
        mailet.put("outgoing", "outgoing");
        mailet.put("delayTime", "300, 300, 300");
        mailet.put("maxRetries", "2");
        mailet.put("timeout", "10000");
        mailet.put("connectiontimeout", "5000");
        mailet.put("bounceProcessor", "bounces");
        mailet.put("deliveryThreads", "4");
        mailet.put("smtpPort", String.valueOf(smtpPort));
        mailet.put("traceHeader", "true");
        return mailet;
    }

    /** The server declared as {@code host}. */
    TestSmtpServer server(String host) {
        return servers.get(host);
    }

    /** Waits for the one message {@code host} is to receive, and returns it. */
    TestSmtpServer.Received awaitOne(String host) {
        TestSmtpServer server = servers.get(host);
        await().atMost(Duration.ofSeconds(60)).until(() -> !server.received().isEmpty());
        assertThat(server.received()).hasSize(1);
        return server.received().get(0);
    }

    /** How often the policy host was asked for the MTA-STS policy of {@code domain}. */
    long policyRequests(String domain) {
        return policyRequests.stream().filter(domain::equals).count();
    }

    /** Waits until the policy host has been asked for the MTA-STS policy of {@code domain}. */
    void awaitPolicyRequest(String domain) {
        await().atMost(Duration.ofSeconds(60)).until(() -> policyRequests.contains(domain));
    }

    /** Waits for the DSN that reports {@code recipient} to {@link #SENDER}, and returns it. */
    String awaitBounceFor(String recipient) {
        return awaitReceived("mx.sink.test", mail -> mail.data.contains("Final-Recipient: rfc822; " + recipient)).data;
    }

    /** Waits for the first message {@code host} receives that {@code wanted} accepts, and returns it. */
    TestSmtpServer.Received awaitReceived(String host, java.util.function.Predicate<TestSmtpServer.Received> wanted) {
        TestSmtpServer server = servers.get(host);
        await().atMost(Duration.ofSeconds(60))
                .until(() -> server.received().stream().anyMatch(wanted));
        return server.received().stream().filter(wanted).findFirst().orElseThrow();
    }

    private static InetAddress nextLoopback() {
        int next = NEXT_ADDRESS.getAndIncrement();
        if (next > 254) {
            throw new IllegalStateException("out of 127.0.0.x addresses");
        }
        try {
            return InetAddress.getByName("127.0.0." + next);
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() throws IOException {
        // Close everything, and report the first failure.
        IOException failure = null;
        for (AutoCloseable closeable : closeables) {
            try {
                closeable.close();
            } catch (Exception e) {
                if (failure == null) {
                    failure = new IOException("closing " + closeable, e);
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
    }
}
