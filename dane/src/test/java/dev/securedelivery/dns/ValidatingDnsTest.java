package dev.securedelivery.dns;

import static dev.securedelivery.testing.InMemoryDns.name;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.securedelivery.testing.InMemorySignedDns;
import dev.securedelivery.testing.SignedZone;
import dev.securedelivery.testing.TestClock;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.Type;

/**
 * dnsjava's validator over zones signed in the test: secure, insecure and bogus answers, proofs of
 * non-existence, CNAME chains, and the failures a validator must catch.
 */
class ValidatingDnsTest {
    private final SignedZone tld = SignedZone.signed("test.");
    private final SignedZone example = SignedZone.signed("example.test.")
            .add("example.test.", Type.MX, "10 mx.example.test.")
            .add("mx.example.test.", Type.A, "192.0.2.25")
            .add(
                    "_25._tcp.mx.example.test.",
                    Type.TLSA,
                    "3 1 1 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")
            .add("alias.example.test.", Type.CNAME, "mx.example.test.")
            .add("out.example.test.", Type.CNAME, "mx.insecure.test.")
            .add("loop.example.test.", Type.CNAME, "loop2.example.test.")
            .add("loop2.example.test.", Type.CNAME, "loop.example.test.");
    private final SignedZone insecure =
            SignedZone.unsigned("insecure.test.").add("mx.insecure.test.", Type.A, "192.0.2.26");

    private InMemorySignedDns upstream() {
        tld.delegate(example).delegate(insecure);
        return new InMemorySignedDns(tld, example, insecure);
    }

    private DnsResolver validating(InMemorySignedDns upstream, Clock clock) throws IOException {
        return DnssecValidation.validating(
                upstream, tld.ds().toString().getBytes(StandardCharsets.US_ASCII), clock, Duration.ofSeconds(5));
    }

    private DnsResolver validating() throws IOException {
        return validating(upstream(), Clock.systemUTC());
    }

    @Test
    void anAnswerFromASignedZoneIsSecure() throws Exception {
        DnsAnswer answer = validating().lookupNow(name("mx.example.test."), Type.A);

        assertThat(answer.status()).as(answer.toString()).isEqualTo(DnsStatus.SECURE);
        assertThat(answer.records()).hasSize(1);
    }

    @Test
    void anAnswerFromAnUnsignedZoneBehindAProvenInsecureDelegationIsInsecure() throws Exception {
        DnsAnswer answer = validating().lookupNow(name("mx.insecure.test."), Type.A);

        assertThat(answer.status()).as(answer.toString()).isEqualTo(DnsStatus.INSECURE);
        assertThat(answer.records()).hasSize(1);
    }

    @Test
    void aSignedNxdomainIsASecureAnswerThatTheNameDoesNotExist() throws Exception {
        DnsAnswer answer = validating().lookupNow(name("_25._tcp.nothing.example.test."), Type.TLSA);

        assertThat(answer.status()).as(answer.toString()).isEqualTo(DnsStatus.SECURE);
        assertThat(answer.nameExists()).isFalse();
    }

    @Test
    void aSignedNodataIsASecureAnswerWithoutRecords() throws Exception {
        DnsAnswer answer = validating().lookupNow(name("mx.example.test."), Type.TLSA);

        assertThat(answer.status()).as(answer.toString()).isEqualTo(DnsStatus.SECURE);
        assertThat(answer.nameExists()).isTrue();
        assertThat(answer.records()).isEmpty();
    }

    @Test
    void aForgedRecordIsBogus() throws Exception {
        InMemorySignedDns upstream = upstream();
        example.forge("mx.example.test.", Type.A, "203.0.113.66");

        DnsAnswer answer = validating(upstream, Clock.systemUTC()).lookupNow(name("mx.example.test."), Type.A);

        assertThat(answer.status()).as(answer.toString()).isEqualTo(DnsStatus.BOGUS);
        assertThat(answer.records()).isEmpty();
    }

    @Test
    void strippedSignaturesAreBogus() throws Exception {
        DnsAnswer answer = validating(upstream().stripSignatures("_25._tcp.mx.example.test."), Clock.systemUTC())
                .lookupNow(name("_25._tcp.mx.example.test."), Type.TLSA);

        assertThat(answer.status()).as(answer.toString()).isEqualTo(DnsStatus.BOGUS);
    }

    @Test
    void expiredSignaturesAreBogus() throws Exception {
        Instant now = Instant.now();
        example.signatureValidity(now.minus(Duration.ofDays(10)), now.plus(Duration.ofDays(1)));
        TestClock later = new TestClock(now.plus(Duration.ofDays(2)));

        DnsAnswer answer = validating(upstream(), later).lookupNow(name("mx.example.test."), Type.A);

        assertThat(answer.status()).as(answer.toString()).isEqualTo(DnsStatus.BOGUS);
    }

    @Test
    void aWrongTrustAnchorMakesEverythingBogus() throws Exception {
        byte[] otherAnchor = SignedZone.signed("test.").ds().toString().getBytes(StandardCharsets.US_ASCII);
        DnsResolver resolver =
                DnssecValidation.validating(upstream(), otherAnchor, Clock.systemUTC(), Duration.ofSeconds(5));

        assertThat(resolver.lookupNow(name("mx.example.test."), Type.A).status())
                .isEqualTo(DnsStatus.BOGUS);
    }

    @Test
    void aSecureCnameChainIsSecureAndItsTargetIsTheCanonicalName() throws Exception {
        DnsAnswer answer = validating().lookupNow(name("alias.example.test."), Type.A);

        assertThat(answer.status()).as(answer.toString()).isEqualTo(DnsStatus.SECURE);
        assertThat(answer.canonicalName()).isEqualTo(name("mx.example.test."));
    }

    @Test
    void aCnameIntoAnInsecureZoneIsInsecure() throws Exception {
        DnsAnswer answer = validating().lookupNow(name("out.example.test."), Type.A);

        assertThat(answer.status()).as(answer.toString()).isEqualTo(DnsStatus.INSECURE);
        assertThat(answer.records()).hasSize(1);
    }

    @Test
    void aCnameLoopInASignedZoneIsAFailure() throws Exception {
        // The upstream chases the loop until it gives up; dnsjava's validator cannot classify the
        // partial chain and calls it bogus. Either way nothing is answered (DnsResolverTest covers
        // the loops DnsResolver sees itself, link by link).
        DnsAnswer answer = validating().lookupNow(name("loop.example.test."), Type.A);

        assertThat(answer.isAnswered()).as(answer.toString()).isFalse();
        assertThat(answer.status()).isIn(DnsStatus.FAILED, DnsStatus.BOGUS);
        assertThat(answer.records()).isEmpty();
    }

    @Test
    void aFailingUpstreamIsAFailureNotBogus() throws Exception {
        DnsAnswer answer = validating(upstream().servfail("mx.example.test."), Clock.systemUTC())
                .lookupNow(name("mx.example.test."), Type.A);

        assertThat(answer.status()).as(answer.toString()).isIn(DnsStatus.FAILED, DnsStatus.BOGUS);
        assertThat(answer.records()).isEmpty();
    }

    @Test
    void aTrustAnchorFileWithoutAnchorsIsRefused() {
        assertThatThrownBy(() -> DnssecValidation.validating(
                        upstream(),
                        "; nothing\n".getBytes(StandardCharsets.US_ASCII),
                        Clock.systemUTC(),
                        Duration.ofSeconds(1)))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("no trust anchor");
    }

    @Test
    void theBundledRootAnchorsAreTheTwoIanaKeySigningKeys() {
        String anchors = new String(DnssecValidation.rootTrustAnchors(), StandardCharsets.US_ASCII);

        assertThat(anchors)
                .contains(". IN DS 20326 8 2 E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D")
                .contains(". IN DS 38696 8 2 683D2D0ACB8C9B712A1948B27F741219298D0A450D612C483AF444A4C0FB2B16");
    }

    // Needs no DNS server: it runs wherever the tests run, not only where knot and unbound are installed.
    @Test
    void theAdFlagOfAResolverOffLoopbackIsNeverTrusted() throws Exception {
        InetSocketAddress remote = new InetSocketAddress(InetAddress.getByName("192.0.2.53"), 53);

        assertThatThrownBy(() -> DnssecValidation.trustingLoopbackValidator(List.of(remote), Duration.ofSeconds(1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("not 192.0.2.53");
    }
}
