package dev.securedelivery.benchmarks;

import dev.securedelivery.dane.DaneVerification;
import dev.securedelivery.dane.DaneVerifier;
import dev.securedelivery.dane.ReferenceIdentifiers;
import dev.securedelivery.dane.TlsaRecord;
import dev.securedelivery.testing.IssuedCertificate;
import dev.securedelivery.testing.TestCertificateAuthority;
import java.io.ByteArrayInputStream;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.X509TrustManager;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The cost of checking a handshake's chain (leaf, intermediate, root; ECDSA P-256) by DANE against
 * the JDK's PKIX trust manager checking the same chain to the same root. Target: DANE at most 5%
 * more than PKIX. {@code daneTaRoot} does the same signature checks as {@code pkix}; the others
 * do fewer. Each operation decodes the chain afresh, as each handshake does, and the leaf is one
 * of {@value #LEAVES} different ones: the JDK keeps recently decoded certificates and their last
 * successful signature check, which would otherwise hide the cost of checking the leaf's
 * signature (the shared intermediate and root stay cached, as they would for a real MTA).
 */
@Fork(1)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@State(Scope.Benchmark)
public class DaneVerificationBenchmark {
    private static final String MX = "mx.example.net";
    static final int LEAVES = 1024;

    private final List<List<byte[]>> encodedChains = new ArrayList<>();
    private int next;
    private X509TrustManager pkix;
    private List<TlsaRecord> taRoot;
    private List<TlsaRecord> taIntermediate;
    private List<TlsaRecord> ee;
    private ReferenceIdentifiers names;

    @Setup(Level.Trial)
    public void issue() {
        TestCertificateAuthority root = TestCertificateAuthority.root("Benchmark Root");
        TestCertificateAuthority intermediate = root.intermediate("Benchmark Intermediate");
        IssuedCertificate issued = intermediate.issue(MX);
        for (int i = 0; i < LEAVES; i++) {
            List<byte[]> encoded = new ArrayList<>();
            for (X509Certificate certificate :
                    (i == 0 ? issued : intermediate.issue(MX)).sendingRoot().chain()) {
                try {
                    encoded.add(certificate.getEncoded());
                } catch (CertificateException e) {
                    throw new IllegalStateException(e);
                }
            }
            encodedChains.add(encoded);
        }
        pkix = root.trustManager();
        taRoot = List.of(TlsaRecord.forCertificate(
                TlsaRecord.DANE_TA, TlsaRecord.SELECTOR_CERT, TlsaRecord.MATCH_SHA256, root.certificate()));
        taIntermediate = List.of(TlsaRecord.forCertificate(
                TlsaRecord.DANE_TA, TlsaRecord.SELECTOR_CERT, TlsaRecord.MATCH_SHA256, intermediate.certificate()));
        ee = List.of(TlsaRecord.forCertificate(
                TlsaRecord.DANE_EE, TlsaRecord.SELECTOR_SPKI, TlsaRecord.MATCH_SHA256, issued.leaf()));
        names = ReferenceIdentifiers.of(MX, "example.net");
    }

    /** The chain as a handshake hands it over: decoded from the wire. */
    private List<X509Certificate> received() throws CertificateException {
        CertificateFactory factory = CertificateFactory.getInstance("X.509");
        List<byte[]> encodedChain = encodedChains.get(next++ & (LEAVES - 1));
        List<X509Certificate> chain = new ArrayList<>(encodedChain.size());
        for (byte[] encoded : encodedChain) {
            chain.add((X509Certificate) factory.generateCertificate(new ByteArrayInputStream(encoded)));
        }
        return chain;
    }

    @Benchmark
    public X509Certificate[] pkix() throws CertificateException {
        X509Certificate[] chain = received().toArray(new X509Certificate[0]);
        pkix.checkServerTrusted(chain, "ECDHE_ECDSA");
        return chain;
    }

    @Benchmark
    public DaneVerification daneTaRoot() throws CertificateException {
        return verified(DaneVerifier.verify(received(), taRoot, names, Instant.now()));
    }

    @Benchmark
    public DaneVerification daneTaIntermediate() throws CertificateException {
        return verified(DaneVerifier.verify(received(), taIntermediate, names, Instant.now()));
    }

    @Benchmark
    public DaneVerification daneEe() throws CertificateException {
        // A DANE-EE record pins one leaf: check the first chain's, decoded afresh like the others.
        next = 0;
        return verified(DaneVerifier.verify(received(), ee, names, Instant.now()));
    }

    private static DaneVerification verified(DaneVerification verification) {
        if (!verification.isVerified()) {
            throw new IllegalStateException(verification.toString());
        }
        return verification;
    }
}
