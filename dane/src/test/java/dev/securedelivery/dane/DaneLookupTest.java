package dev.securedelivery.dane;

import static org.assertj.core.api.Assertions.assertThat;

import dev.securedelivery.dns.DnsResolver;
import dev.securedelivery.dns.DnssecValidation;
import dev.securedelivery.testing.InMemorySignedDns;
import dev.securedelivery.testing.IssuedCertificate;
import dev.securedelivery.testing.SignedZone;
import dev.securedelivery.testing.TestCertificateAuthority;
import dev.securedelivery.tlsrpt.ResultType;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.Type;

/** RFC 7672 2.1 and 2.2 over zones signed in the test and validated by dnsjava. */
class DaneLookupTest {
    private static final String EE = "3 1 1 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    private static final String PKIX = "1 1 1 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    private final SignedZone tld = SignedZone.signed("test.");
    private final SignedZone example = SignedZone.signed("example.test.")
            .add("mx.example.test.", Type.A, "192.0.2.25")
            .add("mx.example.test.", Type.AAAA, "2001:db8::25")
            .add("_25._tcp.mx.example.test.", Type.TLSA, EE)
            .add("pkix.example.test.", Type.A, "192.0.2.26")
            .add("_25._tcp.pkix.example.test.", Type.TLSA, PKIX)
            .add("plain.example.test.", Type.A, "192.0.2.27")
            .add("alias.example.test.", Type.CNAME, "mx.example.test.")
            .add("_25._tcp.alias.example.test.", Type.TLSA, PKIX)
            .add("other-alias.example.test.", Type.CNAME, "plain.example.test.")
            .add("_25._tcp.other-alias.example.test.", Type.TLSA, EE)
            .add("shared.example.test.", Type.A, "192.0.2.28")
            .add("_25._tcp.shared.example.test.", Type.CNAME, "tlsa._dane.example.test.")
            .add("tlsa._dane.example.test.", Type.TLSA, EE)
            .add("lent.example.test.", Type.A, "192.0.2.29")
            .add("_25._tcp.lent.example.test.", Type.CNAME, "tlsa.insecure.test.")
            .add("gone.example.test.", Type.CNAME, "mx.insecure.test.")
            .add("noaddress.example.test.", Type.TXT, "\"nothing here\"");
    private final SignedZone insecure = SignedZone.unsigned("insecure.test.")
            .add("mx.insecure.test.", Type.A, "192.0.2.30")
            .add("_25._tcp.mx.insecure.test.", Type.TLSA, EE)
            .add("tlsa.insecure.test.", Type.TLSA, EE);

    private InMemorySignedDns upstream;

    private DaneRequirement requirement(String host) throws Exception {
        return requirement(host, true);
    }

    private DaneRequirement requirement(String host, boolean hostNameSecure) throws Exception {
        if (upstream == null) {
            upstream();
        }
        DnsResolver dns = DnssecValidation.validating(
                upstream,
                tld.ds().toString().getBytes(StandardCharsets.US_ASCII),
                Clock.systemUTC(),
                Duration.ofSeconds(5));
        return new DaneLookup(dns)
                .requirement(host, hostNameSecure, "example.test")
                .get();
    }

    private InMemorySignedDns upstream() {
        tld.delegate(example).delegate(insecure);
        upstream = new InMemorySignedDns(tld, example, insecure);
        return upstream;
    }

    @Test
    void secureUsableTlsaRecordsRequireDane() throws Exception {
        DaneRequirement requirement = requirement("MX.example.test.");

        assertThat(requirement.kind()).as(requirement.toString()).isEqualTo(DaneRequirement.Kind.DANE);
        assertThat(requirement.host()).isEqualTo("mx.example.test");
        assertThat(requirement.records()).containsExactly(TlsaRecord.parse(EE));
        assertThat(requirement.addresses())
                .extracting(address -> address.getHostAddress())
                .containsExactly("192.0.2.25", "2001:db8:0:0:0:0:0:25");
        assertThat(requirement.referenceIdentifiers().orElseThrow().names())
                .containsExactly("mx.example.test", "example.test");
        assertThat(requirement.serverName()).isEqualTo("mx.example.test");
        assertThat(requirement.reason()).isEqualTo("1 secure TLSA record(s) at _25._tcp.mx.example.test");
    }

    @Test
    void aTlsaRrsetOfFiveThousandRecordsIsTakenAndVerifiedWhole() throws Exception {
        // Beyond what a DNS message carries (about 1,400 records of 3 1 1 in 64 KiB): the bound is the
        // message, and the verification of a chain against every record still ends at once.
        IssuedCertificate certificate =
                TestCertificateAuthority.root("Large RRset Root").issue("big.example.test");
        example.add("big.example.test.", Type.A, "192.0.2.31");
        for (int i = 0; i < 4_999; i++) {
            example.add("_25._tcp.big.example.test.", Type.TLSA, String.format("3 1 1 %064x", i));
        }
        TlsaRecord matching = TlsaRecord.forCertificate(3, 1, 1, certificate.leaf());
        example.add("_25._tcp.big.example.test.", Type.TLSA, matching.toPresentation());

        DaneRequirement requirement = requirement("big.example.test");

        assertThat(requirement.kind()).isEqualTo(DaneRequirement.Kind.DANE);
        assertThat(requirement.records()).hasSize(5_000);
        assertThat(requirement.reason()).isEqualTo("5000 secure TLSA record(s) at _25._tcp.big.example.test");
        DaneVerification verification = DaneVerifier.verify(
                certificate.chain(),
                requirement.records(),
                requirement.referenceIdentifiers().orElseThrow(),
                Instant.now());
        assertThat(verification.isVerified()).isTrue();
        assertThat(verification.matchedRecord()).contains(matching);
    }

    @Test
    void secureTlsaRecordsNoneUsableRequireEncryptionOnly() throws Exception {
        DaneRequirement requirement = requirement("pkix.example.test");

        assertThat(requirement.kind()).as(requirement.toString()).isEqualTo(DaneRequirement.Kind.ENCRYPT);
    }

    @Test
    void aSecureHostWithoutTlsaRecordsHasNoDaneRequirement() throws Exception {
        DaneRequirement requirement = requirement("plain.example.test");

        assertThat(requirement.kind()).as(requirement.toString()).isEqualTo(DaneRequirement.Kind.NONE);
        assertThat(requirement.reason()).isEqualTo("no TLSA records at _25._tcp.plain.example.test");
        assertThat(requirement.addresses()).hasSize(1);
    }

    @Test
    void anInsecureHostIsNotAskedForTlsaRecords() throws Exception {
        DaneRequirement requirement = requirement("mx.insecure.test");

        assertThat(requirement.kind()).as(requirement.toString()).isEqualTo(DaneRequirement.Kind.NONE);
        assertThat(requirement.reason()).contains("not DNSSEC-signed (RFC 7672 2.2)");
        assertThat(upstream.queryCount("_25._tcp.mx.insecure.test.", Type.TLSA)).isZero();
    }

    @Test
    void aHostNamedByAnInsecureMxRecordIsNotAskedForTlsaRecords() throws Exception {
        DaneRequirement requirement = requirement("mx.example.test", false);

        assertThat(requirement.kind()).isEqualTo(DaneRequirement.Kind.NONE);
        assertThat(requirement.reason()).contains("(RFC 7672 2.2.1)");
        assertThat(upstream.queryCount("_25._tcp.mx.example.test.", Type.TLSA)).isZero();
    }

    @Test
    void bogusTlsaRecordsMakeTheHostUnavailableNeverNone() throws Exception {
        upstream().stripSignatures("_25._tcp.mx.example.test.");

        DaneRequirement requirement = requirement("mx.example.test");

        assertThat(requirement.kind()).as(requirement.toString()).isEqualTo(DaneRequirement.Kind.UNAVAILABLE);
        assertThat(requirement.failureType()).contains(ResultType.DNSSEC_INVALID);
    }

    @Test
    void bogusAddressRecordsMakeTheHostUnavailable() throws Exception {
        upstream();
        example.forge("mx.example.test.", Type.A, "203.0.113.66");

        DaneRequirement requirement = requirement("mx.example.test");

        assertThat(requirement.kind()).as(requirement.toString()).isEqualTo(DaneRequirement.Kind.UNAVAILABLE);
        assertThat(requirement.failureType()).contains(ResultType.DNSSEC_INVALID);
        assertThat(requirement.addresses()).isEmpty();
    }

    @Test
    void aFailedTlsaLookupMakesTheHostUnavailable() throws Exception {
        upstream().servfail("_25._tcp.mx.example.test.");

        DaneRequirement requirement = requirement("mx.example.test");

        assertThat(requirement.kind()).as(requirement.toString()).isEqualTo(DaneRequirement.Kind.UNAVAILABLE);
    }

    @Test
    void aSecureCnameIsExpandedAndTheTargetsRecordsComeFirst() throws Exception {
        DaneRequirement requirement = requirement("alias.example.test");

        assertThat(requirement.kind()).as(requirement.toString()).isEqualTo(DaneRequirement.Kind.DANE);
        assertThat(requirement.records()).containsExactly(TlsaRecord.parse(EE));
        assertThat(requirement.serverName()).isEqualTo("mx.example.test");
        assertThat(requirement.referenceIdentifiers().orElseThrow().names())
                .containsExactly("mx.example.test", "alias.example.test", "example.test");
    }

    @Test
    void withoutRecordsAtTheExpandedNameThoseOfTheOriginalNameCount() throws Exception {
        DaneRequirement requirement = requirement("other-alias.example.test");

        assertThat(requirement.kind()).as(requirement.toString()).isEqualTo(DaneRequirement.Kind.DANE);
        assertThat(requirement.serverName()).isEqualTo("other-alias.example.test");
        assertThat(upstream.queryCount("_25._tcp.plain.example.test.", Type.TLSA))
                .isEqualTo(1);
    }

    @Test
    void aCnameIntoAnInsecureZoneLeavesNoDane() throws Exception {
        assertThat(requirement("gone.example.test").kind()).isEqualTo(DaneRequirement.Kind.NONE);
    }

    @Test
    void aTlsaRecordSharedThroughASecureCnameCounts() throws Exception {
        DaneRequirement requirement = requirement("shared.example.test");

        assertThat(requirement.kind()).as(requirement.toString()).isEqualTo(DaneRequirement.Kind.DANE);
        assertThat(requirement.serverName()).isEqualTo("shared.example.test");
    }

    @Test
    void aTlsaCnameIntoAnInsecureZoneDoesNotCount() throws Exception {
        DaneRequirement requirement = requirement("lent.example.test");

        assertThat(requirement.kind()).as(requirement.toString()).isEqualTo(DaneRequirement.Kind.NONE);
        assertThat(requirement.reason()).contains("not DNSSEC-signed");
    }

    @Test
    void aHostWithoutAddressesHasNone() throws Exception {
        DaneRequirement requirement = requirement("noaddress.example.test");

        assertThat(requirement.kind()).isEqualTo(DaneRequirement.Kind.NONE);
        assertThat(requirement.addresses()).isEmpty();
    }
}
