package dev.securedelivery.dns;

import static dev.securedelivery.testing.InMemoryDns.name;
import static org.assertj.core.api.Assertions.assertThat;

import dev.securedelivery.testing.InMemoryDns;
import java.net.InetAddress;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.TXTRecord;
import org.xbill.DNS.Type;

class DnsResolverTest {
    private final InMemoryDns upstream = new InMemoryDns();
    private final DnsResolver resolver = new DnsResolver(upstream, false, Duration.ofMillis(500));

    @Test
    void recordsOfTheAskedTypeWithTheSmallestTtl() {
        upstream.add("mx.example.test.", Type.A, 300, "192.0.2.1")
                .add("mx.example.test.", Type.A, 120, "192.0.2.2")
                .add("mx.example.test.", Type.AAAA, 60, "2001:db8::1");

        DnsAnswer answer = resolver.lookupNow(name("mx.example.test."), Type.A);

        assertThat(answer.status()).isEqualTo(DnsStatus.INSECURE);
        assertThat(answer.records(ARecord.class))
                .extracting(a -> a.getAddress().getHostAddress())
                .containsExactlyInAnyOrder("192.0.2.1", "192.0.2.2");
        assertThat(answer.ttlSeconds()).isEqualTo(120);
        assertThat(answer.nameExists()).isTrue();
    }

    @Test
    void nxdomainIsAnAnswerWithTheSoaNegativeTtl() {
        upstream.add("other.example.test.", Type.A, 300, "192.0.2.1").negativeTtl(42);

        DnsAnswer answer = resolver.lookupNow(name("missing.example.test."), Type.TXT);

        assertThat(answer.isAnswered()).isTrue();
        assertThat(answer.nameExists()).isFalse();
        assertThat(answer.records()).isEmpty();
        assertThat(answer.ttlSeconds()).isEqualTo(42);
    }

    @Test
    void noDataIsAnAnswerForAnExistingName() {
        upstream.add("example.test.", Type.A, 300, "192.0.2.1").negativeTtl(30);

        DnsAnswer answer = resolver.lookupNow(name("example.test."), Type.TXT);

        assertThat(answer.isAnswered()).isTrue();
        assertThat(answer.nameExists()).isTrue();
        assertThat(answer.records()).isEmpty();
        assertThat(answer.ttlSeconds()).isEqualTo(30);
    }

    @Test
    void servfailIsAFailureNotAnEmptyAnswer() {
        upstream.add("example.test.", Type.TXT, 300, "\"x\"").servfail("example.test.");

        DnsAnswer answer = resolver.lookupNow(name("example.test."), Type.TXT);

        assertThat(answer.status()).isEqualTo(DnsStatus.FAILED);
        assertThat(answer.failureReason()).contains("SERVFAIL");
    }

    @Test
    void anUpstreamThatNeverAnswersEndsInAFailureAtTheTimeout() {
        upstream.silence("example.test.");

        DnsAnswer answer = resolver.lookupNow(name("example.test."), Type.TXT);

        assertThat(answer.status()).isEqualTo(DnsStatus.FAILED);
        assertThat(answer.failureReason()).contains("no answer within 500 ms");
    }

    @Test
    void aResponseDnsjavaCannotParseIsAFailure() {
        upstream.throwOn("example.test.");

        DnsAnswer answer = resolver.lookupNow(name("example.test."), Type.TXT);

        assertThat(answer.status()).isEqualTo(DnsStatus.FAILED);
        assertThat(answer.failureReason()).contains("out of range");
    }

    @Test
    void cnameChainIsFollowedAndItsTtlsCount() {
        upstream.add("_mta-sts.example.test.", Type.CNAME, 50, "_mta-sts.provider.test.")
                .add("_mta-sts.provider.test.", Type.CNAME, 400, "sts.provider.test.")
                .addTxt("sts.provider.test.", 300, "v=STSv1; id=1");

        DnsAnswer answer = resolver.lookupNow(name("_mta-sts.example.test."), Type.TXT);

        assertThat(answer.records(TXTRecord.class)).hasSize(1);
        assertThat(answer.canonicalName()).isEqualTo(name("sts.provider.test."));
        assertThat(answer.ttlSeconds()).isEqualTo(50);
    }

    @Test
    void aCnameTheUpstreamDidNotChaseIsAskedForDirectly() {
        upstream.withoutCnameChasing()
                .add("_mta-sts.example.test.", Type.CNAME, 300, "sts.provider.test.")
                .addTxt("sts.provider.test.", 300, "v=STSv1; id=1");

        DnsAnswer answer = resolver.lookupNow(name("_mta-sts.example.test."), Type.TXT);

        assertThat(answer.records(TXTRecord.class)).hasSize(1);
        assertThat(upstream.queryCount("sts.provider.test.", Type.TXT)).isEqualTo(1);
    }

    @Test
    void aCnameToANameThatDoesNotExistIsNxdomainOfTheTarget() {
        upstream.add("_mta-sts.example.test.", Type.CNAME, 300, "gone.provider.test.");

        DnsAnswer answer = resolver.lookupNow(name("_mta-sts.example.test."), Type.TXT);

        assertThat(answer.isAnswered()).isTrue();
        assertThat(answer.nameExists()).isFalse();
        assertThat(answer.canonicalName()).isEqualTo(name("gone.provider.test."));
    }

    @Test
    void aCnameLoopIsAFailure() {
        upstream.withoutCnameChasing()
                .add("a.example.test.", Type.CNAME, 300, "b.example.test.")
                .add("b.example.test.", Type.CNAME, 300, "a.example.test.");

        DnsAnswer answer = resolver.lookupNow(name("a.example.test."), Type.TXT);

        assertThat(answer.status()).isEqualTo(DnsStatus.FAILED);
        assertThat(answer.failureReason()).contains("CNAME loop");
    }

    @Test
    void aChainLongerThanTheLimitIsAFailure() {
        for (int i = 0; i <= DnsResolver.MAX_CNAME_LINKS; i++) {
            upstream.add("c" + i + ".example.test.", Type.CNAME, 300, "c" + (i + 1) + ".example.test.");
        }
        upstream.addTxt("c" + (DnsResolver.MAX_CNAME_LINKS + 1) + ".example.test.", 300, "end");

        DnsAnswer answer = resolver.lookupNow(name("c0.example.test."), Type.TXT);

        assertThat(answer.status()).isEqualTo(DnsStatus.FAILED);
        assertThat(answer.failureReason()).contains("longer than 8");
    }

    @Test
    void aChainOfExactlyTheLimitIsFollowed() {
        for (int i = 0; i < DnsResolver.MAX_CNAME_LINKS; i++) {
            upstream.add("c" + i + ".example.test.", Type.CNAME, 300, "c" + (i + 1) + ".example.test.");
        }
        upstream.addTxt("c" + DnsResolver.MAX_CNAME_LINKS + ".example.test.", 300, "end");

        assertThat(resolver.lookupNow(name("c0.example.test."), Type.TXT).records())
                .hasSize(1);
    }

    @Test
    void recordsOwnedByNamesOutsideTheChainAreIgnored() {
        // CVE-2024-25638: an answer section may carry records for names that were not asked.
        upstream.addToEveryAnswer(new ARecord(name("victim.test."), DClass.IN, 300, InetAddress.getLoopbackAddress()))
                .add("example.test.", Type.MX, 300, "10 mx.example.test.");

        assertThat(resolver.lookupNow(name("victim.test."), Type.MX).records()).isEmpty();
        assertThat(resolver.lookupNow(name("example.test."), Type.A).records()).isEmpty();
    }

    @Test
    void theAdFlagCountsOnlyFromATrustedUpstream() {
        upstream.authenticated(true).add("example.test.", Type.A, 300, "192.0.2.1");

        assertThat(resolver.lookupNow(name("example.test."), Type.A).status()).isEqualTo(DnsStatus.INSECURE);
        DnsResolver validating = new DnsResolver(upstream, true, Duration.ofMillis(500));
        assertThat(validating.lookupNow(name("example.test."), Type.A).status()).isEqualTo(DnsStatus.SECURE);
    }

    @Test
    void aValidatorsBogusServfailIsBogusNotFailed() {
        upstream.bogus("example.test.");
        DnsResolver validating = new DnsResolver(upstream, true, Duration.ofMillis(500));

        DnsAnswer answer = validating.lookupNow(name("example.test."), Type.TXT);

        assertThat(answer.status()).isEqualTo(DnsStatus.BOGUS);
        assertThat(answer.failureReason()).contains("DNSSEC_BOGUS").contains("signature does not verify");
        // From an upstream whose validation is not trusted the same answer is only a failure.
        assertThat(resolver.lookupNow(name("example.test."), Type.TXT).status()).isEqualTo(DnsStatus.FAILED);
    }
}
