package dev.securedelivery.integration;

import dev.securedelivery.dane.TlsaRecord;
import dev.securedelivery.testing.InMemorySignedDns;
import dev.securedelivery.testing.IssuedCertificate;
import dev.securedelivery.testing.LoopbackPorts;
import dev.securedelivery.testing.RawDnsServer;
import dev.securedelivery.testing.SignedZone;
import dev.securedelivery.testing.TestCertificateAuthority;
import dev.securedelivery.testing.TestSmtpServer;
import java.io.IOException;
import java.net.InetAddress;
import org.xbill.DNS.Type;

/**
 * One local STARTTLS sink as the MX of a DANE-EE domain ({@code dane.test}: a signed zone, the TLSA
 * record of the sink's key) and the DNS that serves it: what the throughput benchmarks send to.
 */
final class DaneSink implements AutoCloseable {
    final TestSmtpServer sink;
    final SignedZone tld;
    final RawDnsServer dns;
    final int port;

    private DaneSink(TestSmtpServer sink, SignedZone tld, RawDnsServer dns, int port) {
        this.sink = sink;
        this.tld = tld;
        this.dns = dns;
        this.port = port;
    }

    /** The sink on {@code address}, its certificate from a root named {@code root}. */
    static DaneSink start(String address, String root) throws IOException {
        InetAddress sinkAddress = InetAddress.getByName(address);
        int port = LoopbackPorts.freeTcpPort(sinkAddress);
        IssuedCertificate certificate = TestCertificateAuthority.root(root).issue("mx.dane.test");
        TestSmtpServer sink = TestSmtpServer.withStartTls(sinkAddress, port, certificate);
        SignedZone tld = SignedZone.signed("test.");
        SignedZone dane = SignedZone.signed("dane.test.")
                .add("dane.test.", Type.MX, "10 mx.dane.test.")
                .add("mx.dane.test.", Type.A, sinkAddress.getHostAddress())
                .add(
                        "_25._tcp.mx.dane.test.",
                        Type.TLSA,
                        TlsaRecord.forCertificate(
                                        TlsaRecord.DANE_EE,
                                        TlsaRecord.SELECTOR_SPKI,
                                        TlsaRecord.MATCH_SHA256,
                                        certificate.leaf())
                                .toPresentation());
        tld.delegate(dane);
        return new DaneSink(sink, tld, RawDnsServer.serving(new InMemorySignedDns(tld, dane)), port);
    }

    String address() {
        return sink.address().getAddress().getHostAddress();
    }

    @Override
    public void close() {
        sink.close();
        dns.close();
    }
}
