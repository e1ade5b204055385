package dev.securedelivery.dane;

import static org.assertj.core.api.Assertions.assertThat;

import dev.securedelivery.testing.HostileText;
import dev.securedelivery.testing.IssuedCertificate;
import dev.securedelivery.testing.TestCertificateAuthority;
import dev.securedelivery.tlsrpt.ResultType;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;

/**
 * DANE matching of random TLSA records against random chains (RFC 7672 3, RFC 7671 5): records
 * of every usage, selector and matching type, whose data pins a certificate or key of the chain,
 * of another chain, a mangled one, or nothing; chains in any order, with strangers, expired leaves
 * and leaves for other names. Every case ends in one of the documented outcomes, never an
 * exception, and a leaf that a usable DANE-EE record pins always passes.
 */
class DaneVerifierPropertyTest {
    static final Instant NOW = Instant.now();
    static final List<Instant> INSTANTS =
            List.of(NOW, Instant.parse("2000-01-01T00:00:00Z"), Instant.parse("2100-01-01T00:00:00Z"));
    static final List<ReferenceIdentifiers> NAMES = List.of(
            ReferenceIdentifiers.of("mx.example.test"),
            ReferenceIdentifiers.of("other.example", "mx.example.test"),
            ReferenceIdentifiers.of("elsewhere.example"));

    /** Certificates to build chains and records from, issued once. */
    static final class Pool {
        static final List<X509Certificate> CERTIFICATES = issue();

        private static List<X509Certificate> issue() {
            TestCertificateAuthority root = TestCertificateAuthority.root("Fuzz Root");
            TestCertificateAuthority intermediate = root.intermediate("Fuzz Intermediate");
            IssuedCertificate leaf = intermediate.issue("mx.example.test");
            IssuedCertificate expired = intermediate.issue(
                    Instant.parse("2001-01-01T00:00:00Z"), Instant.parse("2002-01-01T00:00:00Z"), "mx.example.test");
            IssuedCertificate otherName = intermediate.issue("other.example");
            TestCertificateAuthority stranger = TestCertificateAuthority.root("Stranger Root");
            IssuedCertificate strangerLeaf = stranger.issue("mx.example.test");
            // A server chooses the names in its chain: line breaks, escapes and bidi overrides included.
            TestCertificateAuthority hostile = root.intermediate("Evil\r\nIntermediate\u001b[31m\u202e");
            IssuedCertificate hostileLeaf = hostile.issue("mx.example.test");
            return List.of(
                    leaf.leaf(),
                    intermediate.certificate(),
                    root.certificate(),
                    expired.leaf(),
                    otherName.leaf(),
                    stranger.certificate(),
                    strangerLeaf.leaf(),
                    hostile.certificate(),
                    hostileLeaf.leaf());
        }
    }

    @Property
    void everyChainAndRecordSetEndsInADocumentedOutcome(
            @ForAll("chains") List<X509Certificate> chain,
            @ForAll("recordSets") List<TlsaRecord> records,
            @ForAll("names") ReferenceIdentifiers names,
            @ForAll("instants") Instant now) {
        check(chain, records, names, now);
    }

    /**
     * Found by everyChainAndRecordSetEndsInADocumentedOutcome: the JDK's message about a key from
     * DNS that is no key, and the names in the server's chain, came into failures and detail with
     * their line breaks.
     */
    @Example
    void failuresAndDetailAreSingleLines() {
        List<X509Certificate> pool = Pool.CERTIFICATES;
        X509Certificate hostileIntermediate = pool.get(7);
        List<X509Certificate> chain = List.of(pool.get(8), hostileIntermediate);
        byte[] notAKey = pin(pool.get(0), TlsaRecord.SELECTOR_SPKI, TlsaRecord.MATCH_FULL);
        notAKey[notAKey.length - 40] ^= 0x01;

        DaneVerification anchored = DaneVerifier.verify(
                chain,
                List.of(
                        TlsaRecord.of(TlsaRecord.DANE_TA, TlsaRecord.SELECTOR_SPKI, TlsaRecord.MATCH_FULL, notAKey),
                        TlsaRecord.of(
                                TlsaRecord.DANE_TA,
                                TlsaRecord.SELECTOR_CERT,
                                TlsaRecord.MATCH_SHA256,
                                pin(hostileIntermediate, TlsaRecord.SELECTOR_CERT, TlsaRecord.MATCH_SHA256))),
                NAMES.get(0),
                NOW);

        assertThat(anchored.method()).contains(DaneVerification.Method.DANE_TA);
        assertThat(anchored.detail().orElseThrow()).startsWith("trust anchor CN=Evil  Intermediate [31m ,");
        assertThat(anchored.failures())
                .hasSize(1)
                .allSatisfy(line -> HostileText.assertLogSafe("a failure", line, true));
    }

    /**
     * What {@link DaneVerifier#verify} promises: a verification or a failure with one of the
     * RFC 8460 result types the verifier documents, consistent in itself; an empty chain is a
     * validation failure, no usable record a tlsa-invalid; a success rests on a usable record of
     * its method's usage; a leaf pinned by a usable DANE-EE record passes; what it says is fit
     * for a log line. Any exception fails the caller.
     */
    static void check(List<X509Certificate> chain, List<TlsaRecord> records, ReferenceIdentifiers names, Instant now) {
        DaneVerification verification = DaneVerifier.verify(chain, records, names, now);

        assertThat(verification.method().isPresent()).isEqualTo(verification.isVerified());
        assertThat(verification.matchedRecord().isPresent()).isEqualTo(verification.isVerified());
        assertThat(verification.failureType().isPresent()).isNotEqualTo(verification.isVerified());
        List<TlsaRecord> usable = DaneVerifier.usable(records, new ArrayList<>());
        if (chain.isEmpty()) {
            assertThat(verification.failureType()).contains(ResultType.VALIDATION_FAILURE);
        } else if (usable.isEmpty()) {
            assertThat(verification.failureType()).contains(ResultType.TLSA_INVALID);
        } else if (usable.stream().anyMatch(r -> r.usage() == TlsaRecord.DANE_EE && r.matches(chain.get(0)))) {
            assertThat(verification.method()).contains(DaneVerification.Method.DANE_EE);
        }
        if (verification.isVerified()) {
            TlsaRecord matched = verification.matchedRecord().orElseThrow();
            assertThat(usable).contains(matched);
            int usage = verification.method().orElseThrow() == DaneVerification.Method.DANE_EE
                    ? TlsaRecord.DANE_EE
                    : TlsaRecord.DANE_TA;
            assertThat(matched.usage()).isEqualTo(usage);
        } else {
            assertThat(verification.failureType().orElseThrow())
                    .isIn(
                            ResultType.TLSA_INVALID,
                            ResultType.VALIDATION_FAILURE,
                            ResultType.CERTIFICATE_EXPIRED,
                            ResultType.CERTIFICATE_HOST_MISMATCH);
        }
        for (String failure : verification.failures()) {
            HostileText.assertLogSafe("a failure", failure, true);
        }
        verification.detail().ifPresent(detail -> HostileText.assertLogSafe("the detail", detail, true));
        HostileText.assertLogSafe("the verification", verification.toString(), false);
    }

    /** The data a record of {@code selector} and {@code matchingType} needs to pin {@code certificate}. */
    static byte[] pin(X509Certificate certificate, int selector, int matchingType) {
        byte[] selected;
        try {
            selected = selector == TlsaRecord.SELECTOR_CERT
                    ? certificate.getEncoded()
                    : certificate.getPublicKey().getEncoded();
        } catch (CertificateEncodingException e) {
            throw new IllegalStateException(e);
        }
        switch (matchingType) {
            case TlsaRecord.MATCH_SHA256:
                return TlsaRecord.digest("SHA-256", selected);
            case TlsaRecord.MATCH_SHA512:
                return TlsaRecord.digest("SHA-512", selected);
            default:
                return selected;
        }
    }

    @Provide
    Arbitrary<List<X509Certificate>> chains() {
        Arbitrary<X509Certificate> any = Arbitraries.of(Pool.CERTIFICATES);
        Arbitrary<List<X509Certificate>> withLeaf = any.list().ofMaxSize(4).map(rest -> {
            List<X509Certificate> chain = new ArrayList<>();
            chain.add(Pool.CERTIFICATES.get(0));
            chain.addAll(rest);
            return chain;
        });
        return Arbitraries.frequencyOf(
                Tuple.of(6, withLeaf),
                Tuple.of(3, any.list().ofMinSize(1).ofMaxSize(5)),
                Tuple.of(1, Arbitraries.just(List.of())),
                Tuple.of(2, Arbitraries.just(Pool.CERTIFICATES.subList(0, 3))));
    }

    @Provide
    Arbitrary<List<TlsaRecord>> recordSets() {
        return record().list().ofMaxSize(5);
    }

    @Provide
    Arbitrary<ReferenceIdentifiers> names() {
        return Arbitraries.of(NAMES);
    }

    @Provide
    Arbitrary<Instant> instants() {
        return Arbitraries.of(INSTANTS);
    }

    private static Arbitrary<TlsaRecord> record() {
        Arbitrary<Integer> usage = Arbitraries.frequencyOf(
                Tuple.of(4, Arbitraries.just(3)),
                Tuple.of(4, Arbitraries.just(2)),
                Tuple.of(1, Arbitraries.integers().between(0, 255)));
        Arbitrary<Integer> selector = Arbitraries.frequencyOf(
                Tuple.of(9, Arbitraries.of(0, 1)),
                Tuple.of(1, Arbitraries.integers().between(0, 255)));
        Arbitrary<Integer> matching = Arbitraries.frequencyOf(
                Tuple.of(9, Arbitraries.of(0, 1, 2)),
                Tuple.of(1, Arbitraries.integers().between(0, 255)));
        Arbitrary<Integer> certificate = Arbitraries.integers().between(0, Pool.CERTIFICATES.size() - 1);
        Arbitrary<Integer> where = Arbitraries.integers().between(0, Integer.MAX_VALUE);
        Arbitrary<Integer> kind = Arbitraries.frequencyOf(
                Tuple.of(6, Arbitraries.just(0)), Tuple.of(2, Arbitraries.just(1)), Tuple.of(2, Arbitraries.just(2)));
        Arbitrary<byte[]> random = Arbitraries.oneOf(
                Arbitraries.bytes().array(byte[].class).ofSize(32),
                Arbitraries.bytes().array(byte[].class).ofSize(64),
                Arbitraries.bytes().array(byte[].class).ofMaxSize(200));
        return Combinators.combine(usage, selector, matching, kind, certificate, where, random)
                .as((u, s, m, k, c, w, bytes) -> TlsaRecord.of(u, s, m, data(s, m, k, c, w, bytes)));
    }

    /**
     * Data that pins pool certificate {@code certificate} ({@code kind} 0), the same with one byte
     * changed (1), or {@code random} (2).
     */
    static byte[] data(int selector, int matchingType, int kind, int certificate, int where, byte[] random) {
        if (kind == 2 || selector > 1 || matchingType > 2) {
            return random;
        }
        byte[] pinned = pin(Pool.CERTIFICATES.get(certificate), selector, matchingType);
        if (kind == 1) {
            pinned[where % pinned.length] ^= (byte) (1 + where % 255);
        }
        return pinned;
    }
}
