package dev.securedelivery.testing;

import java.io.IOException;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A certificate authority for tests: a self-signed root, intermediates under it, and end-entity
 * certificates with any names and validity, so that every certificate case of a TLS test (right
 * name, other name, expired, untrusted issuer) is built in the test itself.
 */
public final class TestCertificateAuthority {
    private static final AtomicLong SERIALS = new AtomicLong(System.currentTimeMillis());
    private static final SecureRandom RANDOM = new SecureRandom();

    private final KeyPair keyPair;
    private final X509Certificate certificate;
    /** This CA's certificate first, then its issuers up to and including the root. */
    private final List<X509Certificate> path;

    private TestCertificateAuthority(KeyPair keyPair, X509Certificate certificate, List<X509Certificate> path) {
        this.keyPair = keyPair;
        this.certificate = certificate;
        this.path = List.copyOf(path);
    }

    /** A new self-signed root, valid from a day ago for ten years. */
    public static TestCertificateAuthority root(String commonName) {
        KeyPair keys = newKeyPair();
        Instant now = Instant.now();
        X509Certificate certificate = sign(
                new X500Name("CN=" + commonName),
                keys.getPublic(),
                new X500Name("CN=" + commonName),
                keys,
                null,
                true,
                List.of(),
                now.minus(Duration.ofDays(1)),
                now.plus(Duration.ofDays(3650)));
        return new TestCertificateAuthority(keys, certificate, List.of(certificate));
    }

    /** A CA certificate issued by this one. */
    public TestCertificateAuthority intermediate(String commonName) {
        KeyPair keys = newKeyPair();
        Instant now = Instant.now();
        X509Certificate issued = sign(
                new X500Name("CN=" + commonName),
                keys.getPublic(),
                issuerName(),
                keyPair,
                certificate,
                true,
                List.of(),
                now.minus(Duration.ofDays(1)),
                now.plus(Duration.ofDays(1825)));
        List<X509Certificate> issuedPath = new ArrayList<>();
        issuedPath.add(issued);
        issuedPath.addAll(path);
        return new TestCertificateAuthority(keys, issued, issuedPath);
    }

    /**
     * {@code subject}'s name and key certified by this CA between the two instants: a cross-sign, as
     * DST Root CA X3 signed ISRG Root X1 (and servers went on sending it after it expired).
     */
    public X509Certificate crossSign(TestCertificateAuthority subject, Instant notBefore, Instant notAfter) {
        return sign(
                X500Name.getInstance(
                        subject.certificate.getSubjectX500Principal().getEncoded()),
                subject.keyPair.getPublic(),
                issuerName(),
                keyPair,
                certificate,
                true,
                List.of(),
                notBefore,
                notAfter);
    }

    /** A server certificate for {@code dnsNames}, valid from a day ago for 90 days. */
    public IssuedCertificate issue(String... dnsNames) {
        Instant now = Instant.now();
        return issue(now.minus(Duration.ofDays(1)), now.plus(Duration.ofDays(90)), dnsNames);
    }

    /** A server certificate for {@code dnsNames} valid between the two instants. */
    public IssuedCertificate issue(Instant notBefore, Instant notAfter, String... dnsNames) {
        KeyPair keys = newKeyPair();
        String commonName = dnsNames.length == 0 ? "no name" : dnsNames[0];
        X509Certificate leaf = sign(
                new X500Name("CN=" + commonName),
                keys.getPublic(),
                issuerName(),
                keyPair,
                certificate,
                false,
                List.of(dnsNames),
                notBefore,
                notAfter);
        List<X509Certificate> chain = new ArrayList<>();
        chain.add(leaf);
        // Servers send the intermediates but not the root, as real servers do.
        chain.addAll(path.subList(0, path.size() - 1));
        return new IssuedCertificate(keys.getPrivate(), chain, rootCertificate());
    }

    public X509Certificate certificate() {
        return certificate;
    }

    /** The root this CA chains to. */
    public X509Certificate rootCertificate() {
        return path.get(path.size() - 1);
    }

    /** A trust store holding only this CA's root. */
    public KeyStore trustStore() {
        try {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            store.setCertificateEntry("root", rootCertificate());
            return store;
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A trust manager that trusts this CA's root and nothing else. */
    public X509TrustManager trustManager() {
        try {
            TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            factory.init(trustStore());
            return (X509TrustManager) factory.getTrustManagers()[0];
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The root certificate in PEM, as an administrator's CA file holds it. */
    public String rootPem() {
        return Pem.certificate(rootCertificate());
    }

    private X500Name issuerName() {
        return X500Name.getInstance(certificate.getSubjectX500Principal().getEncoded());
    }

    private static KeyPair newKeyPair() {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
            generator.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
            return generator.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static X509Certificate sign(
            X500Name subject,
            PublicKey subjectKey,
            X500Name issuer,
            KeyPair issuerKeys,
            X509Certificate issuerCertificate,
            boolean ca,
            List<String> dnsNames,
            Instant notBefore,
            Instant notAfter) {
        try {
            JcaX509ExtensionUtils extensions = new JcaX509ExtensionUtils();
            X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(
                    issuer,
                    BigInteger.valueOf(SERIALS.incrementAndGet()),
                    Date.from(notBefore),
                    Date.from(notAfter),
                    subject,
                    subjectKey);
            builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(ca));
            builder.addExtension(
                    Extension.subjectKeyIdentifier, false, extensions.createSubjectKeyIdentifier(subjectKey));
            builder.addExtension(
                    Extension.authorityKeyIdentifier,
                    false,
                    issuerCertificate == null
                            ? extensions.createAuthorityKeyIdentifier(subjectKey)
                            : extensions.createAuthorityKeyIdentifier(issuerCertificate));
            if (ca) {
                builder.addExtension(
                        Extension.keyUsage,
                        true,
                        new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign | KeyUsage.digitalSignature));
            } else {
                builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
                builder.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(new KeyPurposeId[] {
                    KeyPurposeId.id_kp_serverAuth
                }));
                if (!dnsNames.isEmpty()) {
                    GeneralName[] names = dnsNames.stream()
                            .map(name -> new GeneralName(GeneralName.dNSName, name))
                            .toArray(GeneralName[]::new);
                    builder.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(names));
                }
            }
            ContentSigner signer = new JcaContentSignerBuilder("SHA256withECDSA").build(issuerKeys.getPrivate());
            return new JcaX509CertificateConverter().getCertificate(builder.build(signer));
        } catch (Exception e) {
            throw new IllegalStateException("could not issue a test certificate for " + subject, e);
        }
    }
}
