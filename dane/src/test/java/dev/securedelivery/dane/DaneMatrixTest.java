package dev.securedelivery.dane;

import static dev.securedelivery.dane.TlsaRecord.DANE_EE;
import static dev.securedelivery.dane.TlsaRecord.DANE_TA;
import static dev.securedelivery.dane.TlsaRecord.MATCH_FULL;
import static dev.securedelivery.dane.TlsaRecord.MATCH_SHA256;
import static dev.securedelivery.dane.TlsaRecord.MATCH_SHA512;
import static dev.securedelivery.dane.TlsaRecord.SELECTOR_CERT;
import static dev.securedelivery.dane.TlsaRecord.SELECTOR_SPKI;
import static org.assertj.core.api.Assertions.assertThat;

import dev.securedelivery.testing.IssuedCertificate;
import dev.securedelivery.testing.TestCertificateAuthority;
import dev.securedelivery.testing.TestTlsServer;
import dev.securedelivery.tlsrpt.ResultType;
import java.io.IOException;
import java.net.InetAddress;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The DANE matrix over real TLS handshakes on 127.0.0.1: chains from a test CA (root, intermediate,
 * leaf), TLSA records of every usable kind, and the outcome the client's trust manager reaches.
 */
class DaneMatrixTest {
    private static final String MX = "mx.example.test";
    private static final ReferenceIdentifiers NAMES = ReferenceIdentifiers.of(MX, "example.test");

    private static TestCertificateAuthority root;
    private static TestCertificateAuthority intermediate;
    private static IssuedCertificate good;

    @BeforeAll
    static void issue() {
        root = TestCertificateAuthority.root("DANE Test Root");
        intermediate = root.intermediate("DANE Test Intermediate");
        good = intermediate.issue(MX);
    }

    @Nested
    class DaneEe {
        @ParameterizedTest(name = "3 {0} {1}")
        @CsvSource({"1, 1", "1, 2", "0, 0", "0, 1", "1, 0", "0, 2"})
        void theLeafMatchingAnyDaneEeRecordPasses(int selector, int matchingType) throws Exception {
            Outcome outcome = handshake(good, record(DANE_EE, selector, matchingType, good.leaf()));

            assertThat(outcome.verification.isVerified()).isTrue();
            assertThat(outcome.verification.method()).contains(DaneVerification.Method.DANE_EE);
            assertThat(outcome.verification.matchedRecord())
                    .contains(record(DANE_EE, selector, matchingType, good.leaf()));
        }

        @Test
        void anExpiredLeafPassesBecauseDaneEeChecksNoDates() throws Exception {
            Instant now = Instant.now();
            IssuedCertificate expired =
                    intermediate.issue(now.minus(Duration.ofDays(60)), now.minus(Duration.ofDays(1)), MX);

            assertThat(handshake(expired, record(DANE_EE, SELECTOR_SPKI, MATCH_SHA256, expired.leaf()))
                            .verification
                            .isVerified())
                    .isTrue();
        }

        @Test
        void aNamelessLeafFromAnUntrustedIssuerPassesBecauseDaneEeChecksNoNamesOrChain() throws Exception {
            IssuedCertificate nameless = TestCertificateAuthority.root("Nobody").issue();

            assertThat(handshake(nameless, record(DANE_EE, SELECTOR_CERT, MATCH_SHA256, nameless.leaf()))
                            .verification
                            .isVerified())
                    .isTrue();
        }

        @Test
        void aWrongDigestFails() throws Exception {
            IssuedCertificate other = intermediate.issue(MX);

            Outcome outcome = handshake(good, record(DANE_EE, SELECTOR_SPKI, MATCH_SHA256, other.leaf()));

            assertThat(outcome.handshakeFailed).isTrue();
            assertThat(outcome.verification.failureType()).contains(ResultType.TLSA_INVALID);
            assertThat(outcome.verification.failures())
                    .singleElement()
                    .asString()
                    .endsWith("the leaf certificate does not match");
        }

        @Test
        void aDaneEeRecordForAnIntermediateDoesNotAuthenticateTheLeaf() throws Exception {
            assertThat(handshake(good, record(DANE_EE, SELECTOR_CERT, MATCH_SHA256, intermediate.certificate()))
                            .verification
                            .isVerified())
                    .isFalse();
        }
    }

    @Nested
    class DaneTa {
        @ParameterizedTest(name = "2 {0} {1} for the root, root sent")
        @CsvSource({"0, 1", "0, 2", "1, 1", "1, 2", "0, 0", "1, 0"})
        void theRootAsTrustAnchorPassesWhenTheServerSendsIt(int selector, int matchingType) throws Exception {
            Outcome outcome =
                    handshake(good.sendingRoot(), record(DANE_TA, selector, matchingType, root.certificate()));

            assertThat(outcome.verification.method()).contains(DaneVerification.Method.DANE_TA);
            assertThat(outcome.verification.detail())
                    .get()
                    .asString()
                    .contains("DANE Test Root")
                    .contains(MX);
        }

        @ParameterizedTest(name = "2 {0} {1} for the intermediate, root sent: {2}")
        @CsvSource({
            "0, 1, true",
            "0, 2, true",
            "1, 1, true",
            "1, 2, true",
            "0, 1, false",
            "0, 2, false",
            "1, 1, false",
            "1, 2, false",
            "0, 0, false"
        })
        void theIntermediateAsTrustAnchorPassesWithOrWithoutTheRoot(int selector, int matchingType, boolean rootSent)
                throws Exception {
            IssuedCertificate served = rootSent ? good.sendingRoot() : good;

            Outcome outcome = handshake(served, record(DANE_TA, selector, matchingType, intermediate.certificate()));

            assertThat(outcome.verification.method()).contains(DaneVerification.Method.DANE_TA);
            assertThat(outcome.verification.detail()).get().asString().contains("DANE Test Intermediate");
        }

        @Test
        void aFullRootCertificateTheServerDoesNotSendAnchorsTheChain() throws Exception {
            // RFC 7671 5.2.2: "2 0 0" is the one DANE-TA record that need not be in the handshake.
            Outcome outcome = handshake(good, record(DANE_TA, SELECTOR_CERT, MATCH_FULL, root.certificate()));

            assertThat(outcome.verification.method()).contains(DaneVerification.Method.DANE_TA);
        }

        @Test
        void aFullRootKeyTheServerDoesNotSendAnchorsTheChainThatItSigned() throws Exception {
            // RFC 7671 5.2.3: clients are recommended to check the topmost certificate's signature.
            assertThat(handshake(good, record(DANE_TA, SELECTOR_SPKI, MATCH_FULL, root.certificate()))
                            .verification
                            .method())
                    .contains(DaneVerification.Method.DANE_TA);
        }

        @ParameterizedTest(name = "2 {0} {1} for a root the server does not send")
        @CsvSource({"0, 1", "0, 2", "1, 1", "1, 2"})
        void aDigestOfATrustAnchorTheServerDoesNotSendFails(int selector, int matchingType) throws Exception {
            Outcome outcome = handshake(good, record(DANE_TA, selector, matchingType, root.certificate()));

            assertThat(outcome.handshakeFailed).isTrue();
            assertThat(outcome.verification.failureType()).contains(ResultType.TLSA_INVALID);
            assertThat(outcome.verification.failures())
                    .singleElement()
                    .asString()
                    .endsWith("no certificate of the chain matches");
        }

        @Test
        void aLeafNamingNoReferenceIdentifierFails() throws Exception {
            IssuedCertificate elsewhere = intermediate.issue("mail.elsewhere.test");

            Outcome outcome =
                    handshake(elsewhere, record(DANE_TA, SELECTOR_CERT, MATCH_SHA256, intermediate.certificate()));

            assertThat(outcome.handshakeFailed).isTrue();
            assertThat(outcome.verification.failureType()).contains(ResultType.CERTIFICATE_HOST_MISMATCH);
            assertThat(outcome.verification.failures())
                    .singleElement()
                    .asString()
                    .contains("[mail.elsewhere.test], none of [mx.example.test, example.test]");
        }

        @Test
        void aLeafForTheNextHopDomainPasses() throws Exception {
            IssuedCertificate domainCertificate = intermediate.issue("example.test");

            assertThat(handshake(
                                    domainCertificate,
                                    record(DANE_TA, SELECTOR_CERT, MATCH_SHA256, intermediate.certificate()))
                            .verification
                            .isVerified())
                    .isTrue();
        }

        @Test
        void aWildcardLeafPassesForOneLabelOnly() throws Exception {
            IssuedCertificate wildcard = intermediate.issue("*.example.test");
            IssuedCertificate tooWide = intermediate.issue("*.test");

            assertThat(handshake(wildcard, record(DANE_TA, SELECTOR_CERT, MATCH_SHA256, intermediate.certificate()))
                            .verification
                            .isVerified())
                    .isTrue();
            assertThat(handshake(tooWide, record(DANE_TA, SELECTOR_CERT, MATCH_SHA256, intermediate.certificate()))
                            .verification
                            .failureType())
                    .contains(ResultType.CERTIFICATE_HOST_MISMATCH);
        }

        @Test
        void anExpiredLeafFails() throws Exception {
            Instant now = Instant.now();
            IssuedCertificate expired =
                    intermediate.issue(now.minus(Duration.ofDays(60)), now.minus(Duration.ofDays(1)), MX);

            Outcome outcome =
                    handshake(expired, record(DANE_TA, SELECTOR_CERT, MATCH_SHA256, intermediate.certificate()));

            assertThat(outcome.handshakeFailed).isTrue();
            assertThat(outcome.verification.failureType()).contains(ResultType.CERTIFICATE_EXPIRED);
        }

        @Test
        void aLeafNotSignedByTheMatchedAnchorFails() throws Exception {
            // A leaf from another CA of the same name, sent with the pinned intermediate.
            IssuedCertificate forged =
                    root.intermediate("DANE Test Intermediate").issue(MX).withIssuers(intermediate.certificate());

            Outcome outcome =
                    handshake(forged, record(DANE_TA, SELECTOR_CERT, MATCH_SHA256, intermediate.certificate()));

            assertThat(outcome.handshakeFailed).isTrue();
            assertThat(outcome.verification.failureType()).contains(ResultType.VALIDATION_FAILURE);
            assertThat(outcome.verification.failures())
                    .singleElement()
                    .asString()
                    .contains("does not validate");
        }

        @Test
        void aFullKeyThatSignedNoCertificateOfTheChainFails() throws Exception {
            IssuedCertificate fromImpostor =
                    root.intermediate("DANE Test Intermediate").issue(MX);

            Outcome outcome =
                    handshake(fromImpostor, record(DANE_TA, SELECTOR_SPKI, MATCH_FULL, intermediate.certificate()));

            assertThat(outcome.handshakeFailed).isTrue();
            assertThat(outcome.verification.failureType()).contains(ResultType.TLSA_INVALID);
            assertThat(outcome.verification.failures())
                    .singleElement()
                    .asString()
                    .contains("did not sign the topmost one");
        }
    }

    @Nested
    class RecordSets {
        @Test
        void onlyPkixUsagesAreUnusable() throws Exception {
            Outcome outcome = handshake(
                    good,
                    record(0, SELECTOR_CERT, MATCH_SHA256, root.certificate()),
                    record(1, SELECTOR_SPKI, MATCH_SHA256, good.leaf()));

            assertThat(outcome.handshakeFailed).isTrue();
            assertThat(outcome.verification.failureType()).contains(ResultType.TLSA_INVALID);
            assertThat(outcome.verification.failures())
                    .allSatisfy(line -> assertThat(line).contains("unusable"));
        }

        @Test
        void aMalformedRecordBesideAGoodOneIsIgnored() throws Exception {
            TlsaRecord truncated = TlsaRecord.of(DANE_EE, SELECTOR_SPKI, MATCH_SHA256, new byte[31]);

            Outcome outcome = handshake(good, truncated, record(DANE_EE, SELECTOR_SPKI, MATCH_SHA256, good.leaf()));

            assertThat(outcome.verification.isVerified()).isTrue();
            assertThat(outcome.verification.failures())
                    .singleElement()
                    .asString()
                    .contains("a SHA-256 digest has 32 bytes, this one 31");
        }

        @Test
        void theStrongerDigestOfAUsageAndSelectorIsTheOnlyOneUsed() throws Exception {
            // RFC 7671 9: with both SHA2-256 and SHA2-512 published, a match on SHA2-256 alone is not enough.
            IssuedCertificate other = intermediate.issue(MX);

            Outcome outcome = handshake(
                    good,
                    record(DANE_EE, SELECTOR_SPKI, MATCH_SHA256, good.leaf()),
                    record(DANE_EE, SELECTOR_SPKI, MATCH_SHA512, other.leaf()));

            assertThat(outcome.verification.isVerified()).isFalse();
        }

        @Test
        void fullRecordsAreUsedBesideDigests() throws Exception {
            IssuedCertificate other = intermediate.issue(MX);

            Outcome outcome = handshake(
                    good,
                    record(DANE_EE, SELECTOR_SPKI, MATCH_SHA512, other.leaf()),
                    record(DANE_EE, SELECTOR_SPKI, MATCH_FULL, good.leaf()));

            assertThat(outcome.verification.isVerified()).isTrue();
        }

        @Test
        void theClientSendsTheTlsaBaseDomainAsSni() throws Exception {
            try (TestTlsServer server = TestTlsServer.start(InetAddress.getLoopbackAddress(), good.serverContext())) {
                connect(
                        server,
                        new DaneTrustManager(
                                List.of(record(DANE_EE, SELECTOR_SPKI, MATCH_SHA256, good.leaf())),
                                NAMES,
                                Clock.systemUTC()));
                assertThat(server.serverNames()).containsExactly(MX);
            }
        }
    }

    // ---- fixtures ----

    private static TlsaRecord record(int usage, int selector, int matchingType, X509Certificate certificate) {
        return TlsaRecord.forCertificate(usage, selector, matchingType, certificate);
    }

    private static final class Outcome {
        final boolean handshakeFailed;
        final DaneVerification verification;

        Outcome(boolean handshakeFailed, DaneVerification verification) {
            this.handshakeFailed = handshakeFailed;
            this.verification = verification;
        }
    }

    private static Outcome handshake(IssuedCertificate served, TlsaRecord... records) throws Exception {
        DaneTrustManager trustManager = new DaneTrustManager(Arrays.asList(records), NAMES, Clock.systemUTC());
        try (TestTlsServer server = TestTlsServer.start(InetAddress.getLoopbackAddress(), served.serverContext())) {
            boolean failed;
            try {
                connect(server, trustManager);
                failed = false;
            } catch (SSLHandshakeException e) {
                failed = true;
            }
            DaneVerification verification = trustManager.verification().orElseThrow();
            assertThat(failed)
                    .as("handshake failed <=> not verified: %s", verification)
                    .isEqualTo(!verification.isVerified());
            return new Outcome(failed, verification);
        }
    }

    private static void connect(TestTlsServer server, DaneTrustManager trustManager) throws Exception {
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, new TrustManager[] {trustManager}, new SecureRandom());
        try (SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket()) {
            socket.connect(server.address(), 5000);
            socket.setSoTimeout(5000);
            SSLParameters parameters = socket.getSSLParameters();
            parameters.setServerNames(List.of(new SNIHostName(NAMES.primary())));
            socket.setSSLParameters(parameters);
            socket.startHandshake();
            if (socket.getInputStream().read() != '.') {
                throw new IOException("the server did not answer after the handshake");
            }
        }
    }
}
