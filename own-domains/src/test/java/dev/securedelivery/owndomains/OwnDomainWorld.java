package dev.securedelivery.owndomains;

import dev.securedelivery.dns.DnsResolver;
import dev.securedelivery.dns.DnssecValidation;
import dev.securedelivery.mtasts.MtaStsFetcher;
import dev.securedelivery.smtp.SmtpClient;
import dev.securedelivery.smtp.SmtpLimits;
import dev.securedelivery.smtp.SmtpSettings;
import dev.securedelivery.testing.InMemorySignedDns;
import dev.securedelivery.testing.IssuedCertificate;
import dev.securedelivery.testing.LoopbackPorts;
import dev.securedelivery.testing.SignedZone;
import dev.securedelivery.testing.TestCertificateAuthority;
import dev.securedelivery.testing.TestHttpsServer;
import dev.securedelivery.testing.TestSmtpServer;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import org.xbill.DNS.Type;

/**
 * One domain of ours, {@code ours.test}, published as it should be: a DNSSEC-signed zone with its MX
 * ({@code mx.ours.test}, a STARTTLS server on 127.0.0.x with a certificate of the test CA), the TLSA
 * {@code 3 1 1} of that server's key, an MTA-STS record and policy (mode enforce, served by an HTTPS
 * server for {@code mta-sts.ours.test}) and a TLS-RPT record; and the check a sender's view makes of
 * it. Tests then make it drift.
 */
public final class OwnDomainWorld implements AutoCloseable {
    public static final String DOMAIN = "ours.test";
    public static final String MX = "mx.ours.test";

    public final TestCertificateAuthority ca = TestCertificateAuthority.root("Own Domains Test Root");
    final SignedZone tld = SignedZone.signed("test.");
    public final SignedZone zone;
    final InetAddress mxAddress;
    final int smtpPort;
    public IssuedCertificate mxCertificate;
    public TestSmtpServer mx;
    public TestHttpsServer policyHost;
    InMemorySignedDns upstream;
    private String policy;

    public OwnDomainWorld(String mxAddress, boolean signed) throws Exception {
        this.mxAddress = InetAddress.getByName(mxAddress);
        this.smtpPort = LoopbackPorts.freeTcpPort(this.mxAddress);
        zone = signed ? SignedZone.signed(DOMAIN + ".") : SignedZone.unsigned(DOMAIN + ".");
        zone.add(DOMAIN + ".", Type.MX, "10 " + MX + ".").add(MX + ".", Type.A, mxAddress);
        tld.delegate(zone, signed);
        startMx(ca.issue(MX));
    }

    /** The whole set-up, as it should be: TLSA of the MX's key, MTA-STS enforce naming it, TLS-RPT. */
    public static OwnDomainWorld published(String mxAddress) throws Exception {
        OwnDomainWorld world = new OwnDomainWorld(mxAddress, true);
        world.zone.add(
                "_25._tcp." + MX + ".",
                Type.TLSA,
                TlsaRollover.record(world.mxCertificate.leaf()).toPresentation());
        world.startPolicyHost(world.ca.issue("mta-sts." + DOMAIN));
        world.publishPolicy("1", "enforce", 1_209_600, MX);
        world.zone.addTxt("_smtp._tls." + DOMAIN + ".", "v=TLSRPTv1; rua=mailto:tlsrpt@" + DOMAIN);
        return world;
    }

    public void startMx(IssuedCertificate certificate) {
        if (mx != null) {
            mx.close();
        }
        mxCertificate = certificate;
        mx = TestSmtpServer.withStartTls(mxAddress, smtpPort, certificate);
    }

    public void startPolicyHost(IssuedCertificate certificate) throws Exception {
        if (policyHost != null) {
            policyHost.close();
        }
        policyHost = TestHttpsServer.start(InetAddress.getByName("127.0.0.1"), certificate.serverContext());
        zone.remove("mta-sts." + DOMAIN + ".", Type.A);
        zone.add("mta-sts." + DOMAIN + ".", Type.A, "127.0.0.1");
        if (policy != null) {
            policyHost.respondWith(TestHttpsServer.ok("text/plain", policy));
        }
    }

    /** Serves a policy and publishes its record under {@code id}. */
    public void publishPolicy(String id, String mode, long maxAge, String... mx) {
        StringBuilder body = new StringBuilder("version: STSv1\r\nmode: " + mode + "\r\n");
        for (String host : mx) {
            body.append("mx: ").append(host).append("\r\n");
        }
        body.append("max_age: ").append(maxAge).append("\r\n");
        policy = body.toString();
        policyHost.respondWith(TestHttpsServer.ok("text/plain", policy));
        zone.remove("_mta-sts." + DOMAIN + ".", Type.TXT);
        zone.addTxt("_mta-sts." + DOMAIN + ".", "v=STSv1; id=" + id);
    }

    public DnsResolver dns() throws Exception {
        if (upstream == null) {
            upstream = new InMemorySignedDns(tld, zone);
        }
        return DnssecValidation.validating(
                upstream,
                tld.ds().toString().getBytes(StandardCharsets.US_ASCII),
                Clock.systemUTC(),
                Duration.ofSeconds(5));
    }

    public DomainCheck.Builder check(Clock clock) throws Exception {
        DnsResolver dns = dns();
        SmtpClient smtp = new SmtpClient(
                SmtpSettings.of("checker.test")
                        .withPort(smtpPort)
                        .withLimits(SmtpLimits.DEFAULT
                                .withConnectTimeout(Duration.ofSeconds(3))
                                .withReadTimeout(Duration.ofSeconds(5))
                                .withWriteTimeout(Duration.ofSeconds(5))),
                ca.trustManager(),
                clock);
        MtaStsFetcher.Builder fetchers = MtaStsFetcher.builder(dns)
                .port(policyHost == null ? 443 : policyHost.port())
                .connectTimeout(Duration.ofSeconds(2))
                .readTimeout(Duration.ofSeconds(2))
                .fetchTimeout(Duration.ofSeconds(4));
        return DomainCheck.builder(dns, fetchers, ca.trustManager(), smtp).clock(clock);
    }

    /** A certificate for {@code names} valid from now until {@code until}. */
    public IssuedCertificate certificateUntil(Instant until, String... names) {
        return ca.issue(Instant.now().minus(Duration.ofDays(1)), until, names);
    }

    @Override
    public void close() {
        if (mx != null) {
            mx.close();
        }
        if (policyHost != null) {
            policyHost.close();
        }
    }
}
