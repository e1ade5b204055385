package dev.securedelivery.policy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.securedelivery.dns.DnsResolver;
import dev.securedelivery.dns.DnssecValidation;
import dev.securedelivery.mtasts.MtaStsEngine;
import dev.securedelivery.mtasts.MtaStsFetcher;
import dev.securedelivery.requiretls.MessageSecurity;
import dev.securedelivery.requiretls.SecurityLevel;
import dev.securedelivery.testing.InMemorySignedDns;
import dev.securedelivery.testing.SignedZone;
import dev.securedelivery.testing.TestCertificateAuthority;
import dev.securedelivery.testing.TestHttpsServer;
import dev.securedelivery.tlsrpt.ResultType;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.Type;

/**
 * The combination of MX resolution, DANE and MTA-STS into one plan per domain, over zones signed in
 * the test and MTA-STS policies on an HTTPS server on 127.0.0.1.
 */
class DeliveryPolicyTest {
    private static final String TLSA = "3 1 1 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    private static final String UNUSABLE_TLSA =
            "1 1 1 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    private static final TestCertificateAuthority CA = TestCertificateAuthority.root("Policy Test Root");

    private final SignedZone tld = SignedZone.signed("test.");
    private final SignedZone example = SignedZone.signed("example.test.")
            .add("example.test.", Type.MX, "10 dane.example.test.")
            .add("example.test.", Type.MX, "20 pkix.example.test.")
            .add("example.test.", Type.MX, "30 mx.elsewhere.test.")
            .add("dane.example.test.", Type.A, "127.0.0.2")
            .add("_25._tcp.dane.example.test.", Type.TLSA, TLSA)
            .add("onlydane.example.test.", Type.MX, "10 dane.example.test.")
            .add("pkix.example.test.", Type.A, "127.0.0.3")
            .add("mta-sts.example.test.", Type.A, "127.0.0.1")
            .add("nomx.example.test.", Type.A, "127.0.0.4")
            .add("nullmx.example.test.", Type.MX, "0 .")
            .add("unusable.example.test.", Type.MX, "10 encrypt.example.test.")
            .add("encrypt.example.test.", Type.A, "127.0.0.5")
            .add("_25._tcp.encrypt.example.test.", Type.TLSA, UNUSABLE_TLSA)
            .add("oddnames.example.test.", Type.MX, "10 mx_1.example.test.")
            .add("oddnames.example.test.", Type.MX, "20 192.0.2.1.")
            .add("oddnames.example.test.", Type.MX, "30 pkix.example.test.")
            .add("mx_1.example.test.", Type.A, "127.0.0.8");
    private final SignedZone elsewhere =
            SignedZone.signed("elsewhere.test.").add("mx.elsewhere.test.", Type.A, "127.0.0.6");
    private final SignedZone insecure = SignedZone.unsigned("insecure.test.")
            .add("insecure.test.", Type.MX, "10 mx.insecure.test.")
            .add("mx.insecure.test.", Type.A, "127.0.0.7")
            .add("mta-sts.insecure.test.", Type.A, "127.0.0.1")
            .add("_25._tcp.mx.insecure.test.", Type.TLSA, TLSA);
    private final Map<String, TestHttpsServer.Responder> policies = new HashMap<>();
    private final Map<String, DomainOverride> overrides = new HashMap<>();
    private InMemorySignedDns upstream;
    private Duration dnsTimeout = Duration.ofSeconds(5);
    private TestHttpsServer server;
    private DeliveryPolicy policy;

    @BeforeEach
    void startPolicyHost() {
        server = TestHttpsServer.start(
                InetAddress.getLoopbackAddress(),
                CA.issue("mta-sts.example.test", "mta-sts.insecure.test").serverContext());
        server.respondWith(
                TestHttpsServer.byPolicyDomain(domain -> policies.getOrDefault(domain, TestHttpsServer.notFound())));
    }

    @AfterEach
    void stop() throws Exception {
        if (policy != null) {
            policy.close();
        }
        server.close();
    }

    private InMemorySignedDns upstream() {
        if (upstream == null) {
            tld.delegate(example).delegate(elsewhere).delegate(insecure);
            upstream = new InMemorySignedDns(tld, example, elsewhere, insecure);
        }
        return upstream;
    }

    private DeliveryPlan plan(String domain) throws Exception {
        upstream();
        if (policy == null) {
            DnsResolver dns = DnssecValidation.validating(
                    upstream, tld.ds().toString().getBytes(StandardCharsets.US_ASCII), Clock.systemUTC(), dnsTimeout);
            MtaStsEngine engine = MtaStsEngine.builder(dns)
                    .fetcher(MtaStsFetcher.builder(dns)
                            .trustManager(CA.trustManager())
                            .port(server.port())
                            .build())
                    .lookupTimeout(Duration.ofSeconds(5))
                    .build();
            policy = new DeliveryPolicy(dns, engine, overrides);
        }
        return policy.plan(DomainName.of(domain)).get();
    }

    private void publishMtaSts(String domain, String mode, String... mx) {
        StringBuilder body = new StringBuilder("version: STSv1\nmode: " + mode + "\n");
        for (String pattern : mx) {
            body.append("mx: ").append(pattern).append('\n');
        }
        body.append("max_age: 86400\n");
        (domain.equals("example.test") ? example : insecure).addTxt("_mta-sts." + domain + ".", "v=STSv1; id=1");
        policies.put(domain, TestHttpsServer.ok("text/plain", body.toString()));
    }

    private static List<String> summary(DeliveryPlan plan) {
        return plan.hosts().stream()
                .map(host -> host.host() + " "
                        + host.requirement().map(Object::toString).orElse("excluded"))
                .collect(java.util.stream.Collectors.toList());
    }

    @Test
    void withoutMtaStsEachHostGetsWhatDaneSaysInMxOrder() throws Exception {
        DeliveryPlan plan = plan("example.test");

        assertThat(plan.outcome()).isEqualTo(DeliveryPlan.Outcome.DELIVER);
        assertThat(summary(plan))
                .containsExactly(
                        "dane.example.test dane", "pkix.example.test opportunistic", "mx.elsewhere.test opportunistic");
        assertThat(plan.hosts().get(0).dane().orElseThrow().records()).hasSize(1);
        assertThat(plan.explain())
                .startsWith("example.test: deliver via dane.example.test (10) dane [1 secure TLSA")
                .contains("mta-sts: none");
    }

    @Test
    void anEnforcePolicyRequiresPkixAndSkipsHostsOutsideItsPatternsButDaneDecidesWhereItApplies() throws Exception {
        publishMtaSts("example.test", "enforce", "pkix.example.test");

        DeliveryPlan plan = plan("example.test");

        assertThat(summary(plan))
                .containsExactly("dane.example.test dane", "pkix.example.test pkix", "mx.elsewhere.test excluded");
        MxHostPlan outside = plan.hosts().get(2);
        assertThat(outside.exclusion()).get().asString().contains("not in the MTA-STS policy [pkix.example.test]");
        assertThat(outside.exclusionType()).contains(ResultType.VALIDATION_FAILURE);
        assertThat(plan.enforcesMtaSts()).isTrue();
        assertThat(plan.hosts().get(1).rule()).isEqualTo("mta-sts enforce id 1");
    }

    @Test
    void aTestingPolicyNeverBlocksButItsVerdictIsNoted() throws Exception {
        publishMtaSts("example.test", "testing", "pkix.example.test");

        DeliveryPlan plan = plan("example.test");

        assertThat(summary(plan))
                .containsExactly(
                        "dane.example.test dane", "pkix.example.test opportunistic", "mx.elsewhere.test opportunistic");
        assertThat(plan.hosts().get(1).rule()).endsWith("mta-sts testing id 1: would require PKIX");
        assertThat(plan.hosts().get(2).rule()).endsWith("mta-sts testing id 1: would exclude this host");
        assertThat(plan.enforcesMtaSts()).isFalse();
    }

    @Test
    void theOverrideMtaStsEnforceEnforcesATestingPolicy() throws Exception {
        publishMtaSts("example.test", "testing", "pkix.example.test");
        overrides.put("example.test", DomainOverride.MTA_STS_ENFORCE);

        DeliveryPlan plan = plan("example.test");

        assertThat(summary(plan))
                .containsExactly("dane.example.test dane", "pkix.example.test pkix", "mx.elsewhere.test excluded");
        assertThat(plan.explain()).endsWith("; override: mta-sts-enforce");
    }

    @Test
    void anUnknownMtaStsPolicyLeavesOnlyDaneHosts() throws Exception {
        upstream = null;
        tld.delegate(example).delegate(elsewhere).delegate(insecure);
        upstream = new InMemorySignedDns(tld, example, elsewhere, insecure).servfail("_mta-sts.example.test.");

        DeliveryPlan plan = plan("example.test");

        assertThat(summary(plan))
                .containsExactly("dane.example.test dane", "pkix.example.test excluded", "mx.elsewhere.test excluded");
        assertThat(plan.hosts().get(1).exclusion()).get().asString().startsWith("the MTA-STS policy is unknown");
        // What a TLS report files the host under (RFC 8460 4.3.2.2).
        assertThat(plan.hosts().get(1).exclusionType()).contains(ResultType.STS_POLICY_FETCH_ERROR);
    }

    @Test
    void anInsecureDomainIsOpportunisticEvenWithTlsaRecords() throws Exception {
        DeliveryPlan plan = plan("insecure.test");

        assertThat(summary(plan)).containsExactly("mx.insecure.test opportunistic");
    }

    @Test
    void anMxWhoseTargetIsNoHostNameIsSkippedBeforeAnyLookup() throws Exception {
        // RFC 5321 2.3.5: an MX names a host; an underscore or an address is none (nor can SNI carry it).
        DeliveryPlan plan = plan("oddnames.example.test");

        assertThat(summary(plan))
                .containsExactly("mx_1.example.test excluded", "192.0.2.1 excluded", "pkix.example.test opportunistic");
        assertThat(plan.hosts().subList(0, 2)).allSatisfy(host -> {
            assertThat(host.exclusion())
                    .hasValueSatisfying(reason -> assertThat(reason).contains("not a host name"));
            assertThat(host.addresses()).isEmpty();
            assertThat(host.exclusionType()).isEmpty();
        });
        assertThat(plan.outcome()).isEqualTo(DeliveryPlan.Outcome.DELIVER);
    }

    @Test
    void unusableTlsaRecordsRequireEncryption() throws Exception {
        assertThat(summary(plan("unusable.example.test"))).containsExactly("encrypt.example.test encrypt");
    }

    @Test
    void aDomainWithoutMxRecordsIsItsOwnMxHost() throws Exception {
        DeliveryPlan plan = plan("nomx.example.test");

        assertThat(summary(plan)).containsExactly("nomx.example.test opportunistic");
        assertThat(plan.hosts().get(0).preference()).isZero();
    }

    @Test
    void aNullMxMeansNoMail() throws Exception {
        DeliveryPlan plan = plan("nullmx.example.test");

        assertThat(plan.outcome()).isEqualTo(DeliveryPlan.Outcome.NULL_MX);
        assertThat(plan.hosts()).isEmpty();
    }

    @Test
    void aDomainThatDoesNotExistSaysSo() throws Exception {
        assertThat(plan("nothing.example.test").outcome()).isEqualTo(DeliveryPlan.Outcome.NO_SUCH_DOMAIN);
    }

    @Test
    void bogusMxRecordsDefer() throws Exception {
        tld.delegate(example).delegate(elsewhere).delegate(insecure);
        upstream = new InMemorySignedDns(tld, example, elsewhere, insecure).stripSignatures("example.test.");

        DeliveryPlan plan = plan("example.test");

        assertThat(plan.outcome()).isEqualTo(DeliveryPlan.Outcome.DEFER);
        assertThat(plan.failureType()).contains(ResultType.DNSSEC_INVALID);
        assertThat(plan.explain()).startsWith("example.test: defer (the MX records are bogus");
    }

    @Test
    void overridesNoneOpportunisticAndRequireTlsDecideAlone() throws Exception {
        overrides.put("example.test", DomainOverride.NONE);
        overrides.put("unusable.example.test", DomainOverride.REQUIRE_TLS);
        overrides.put("insecure.test", DomainOverride.OPPORTUNISTIC);

        assertThat(summary(plan("example.test")))
                .containsExactly("dane.example.test none", "pkix.example.test none", "mx.elsewhere.test none");
        assertThat(summary(plan("unusable.example.test"))).containsExactly("encrypt.example.test pkix");
        assertThat(summary(plan("insecure.test"))).containsExactly("mx.insecure.test opportunistic");
    }

    @Test
    void daneOnlySkipsHostsWithoutUsableTlsaRecords() throws Exception {
        overrides.put("example.test", DomainOverride.DANE_ONLY);
        overrides.put("insecure.test", DomainOverride.DANE_ONLY);

        assertThat(summary(plan("example.test")))
                .containsExactly("dane.example.test dane", "pkix.example.test excluded", "mx.elsewhere.test excluded");
        DeliveryPlan insecurePlan = plan("insecure.test");
        assertThat(insecurePlan.outcome()).isEqualTo(DeliveryPlan.Outcome.DEFER);
        assertThat(insecurePlan.failureType()).contains(ResultType.DANE_REQUIRED);
    }

    @Test
    void anEnforcePolicyThatExcludesEveryHostDefersRatherThanFails() throws Exception {
        publishMtaSts("insecure.test", "enforce", "*.provider.test");

        DeliveryPlan plan = plan("insecure.test");

        assertThat(plan.outcome()).isEqualTo(DeliveryPlan.Outcome.DEFER);
        assertThat(plan.enforcesMtaSts()).isTrue();
    }

    // RFC 7672 2.1.1 and 2.2.1: a failed A or AAAA lookup rules a host out only where DANE may apply.

    private static List<String> addresses(MxHostPlan host) {
        return host.addresses().stream().map(InetAddress::getHostAddress).collect(java.util.stream.Collectors.toList());
    }

    @Test
    void anUnsignedDomainsHostWhoseAaaaLookupTimesOutIsUsedWithItsIpv4Address() throws Exception {
        dnsTimeout = Duration.ofSeconds(2);
        upstream().silence("mx.insecure.test.", Type.AAAA);

        DeliveryPlan plan = plan("insecure.test");

        assertThat(plan.outcome()).isEqualTo(DeliveryPlan.Outcome.DELIVER);
        assertThat(summary(plan)).containsExactly("mx.insecure.test opportunistic");
        assertThat(addresses(plan.hosts().get(0))).containsExactly("127.0.0.7");
        assertThat(plan.hosts().get(0).rule())
                .startsWith("the MX records naming mx.insecure.test are not DNSSEC-signed (RFC 7672 2.2.1); "
                        + "the AAAA lookup of mx.insecure.test failed: ")
                .endsWith("(RFC 7672 2.1.1)");
    }

    @Test
    void anUnsignedDomainsHostWhoseAaaaLookupGetsServfailIsUsedWithItsIpv4Address() throws Exception {
        // Through dnsjava's validator an upstream SERVFAIL is seen as bogus: that family is left out all the same.
        upstream().servfail("mx.insecure.test.", Type.AAAA);

        DeliveryPlan plan = plan("insecure.test");

        assertThat(plan.outcome()).isEqualTo(DeliveryPlan.Outcome.DELIVER);
        assertThat(summary(plan)).containsExactly("mx.insecure.test opportunistic");
        assertThat(addresses(plan.hosts().get(0))).containsExactly("127.0.0.7");
        assertThat(plan.hosts().get(0).rule()).contains("; the AAAA ").contains("mx.insecure.test");
    }

    @Test
    void anUnsignedDomainsHostIsStillSkippedWhenNoAddressFamilyAnswers() throws Exception {
        upstream().servfail("mx.insecure.test.", Type.A).servfail("mx.insecure.test.", Type.AAAA);

        DeliveryPlan plan = plan("insecure.test");

        assertThat(plan.outcome()).isEqualTo(DeliveryPlan.Outcome.DEFER);
        assertThat(summary(plan)).containsExactly("mx.insecure.test excluded");
        assertThat(plan.hosts().get(0).exclusion()).get().asString().startsWith("the A ");
    }

    @Test
    void underDaneOnlyAFailedAaaaLookupStillSkipsTheHostOfAnUnsignedDomain() throws Exception {
        overrides.put("insecure.test", DomainOverride.DANE_ONLY);
        upstream().servfail("mx.insecure.test.", Type.AAAA);

        DeliveryPlan plan = plan("insecure.test");

        assertThat(plan.outcome()).isEqualTo(DeliveryPlan.Outcome.DEFER);
        assertThat(plan.hosts().get(0).exclusion()).get().asString().startsWith("the AAAA ");
    }

    @Test
    void aSignedDomainsDaneHostWhoseAaaaLookupFailsIsStillSkipped() throws Exception {
        upstream().servfail("dane.example.test.", Type.AAAA);

        DeliveryPlan plan = plan("example.test");

        // RFC 7672 2.2.1: the MX RRset is secure, so the host's addresses must be known securely.
        assertThat(summary(plan))
                .containsExactly(
                        "dane.example.test excluded",
                        "pkix.example.test opportunistic",
                        "mx.elsewhere.test opportunistic");
        assertThat(plan.hosts().get(0).exclusion()).get().asString().startsWith("the AAAA ");
    }

    @Test
    void aSignedDomainWhoseOnlyDaneHostsAaaaLookupTimesOutDefers() throws Exception {
        dnsTimeout = Duration.ofSeconds(2);
        upstream().silence("dane.example.test.", Type.AAAA);

        DeliveryPlan plan = plan("onlydane.example.test");

        assertThat(plan.outcome()).isEqualTo(DeliveryPlan.Outcome.DEFER);
        assertThat(summary(plan)).containsExactly("dane.example.test excluded");
        assertThat(plan.hosts().get(0).exclusion())
                .get()
                .asString()
                .startsWith("the AAAA lookup of dane.example.test failed: ");
    }

    // What a message demands, applied to its destination's plan (DeliveryPlan.forMessage).

    private static final MessageSecurity REQUIRETLS = MessageSecurity.of(Optional.empty(), true, false);
    private static final MessageSecurity TLS_NOT_REQUIRED = MessageSecurity.of(Optional.empty(), false, true);

    private static MessageSecurity level(SecurityLevel level) {
        return MessageSecurity.of(Optional.of(level), false, false);
    }

    @Test
    void tlsRequiredNoIgnoresTheDestinationsPolicyButStillAsksForStartTls() throws Exception {
        publishMtaSts("example.test", "enforce", "pkix.example.test");

        DeliveryPlan plan = plan("example.test").forMessage(TLS_NOT_REQUIRED);

        // RFC 8689 3: DANE and MTA-STS ignored; a host the plan ruled out stays out.
        assertThat(summary(plan))
                .containsExactly(
                        "dane.example.test opportunistic",
                        "pkix.example.test opportunistic",
                        "mx.elsewhere.test excluded");
        assertThat(plan.hosts().get(1).rule())
                .isEqualTo("mta-sts enforce id 1; message: TLS-Required: No, so opportunistic");
        assertThat(plan.explain()).endsWith("; message: TLS-Required: No");
    }

    @Test
    void tlsRequiredNoYieldsToALocalOverrideThatDemandsMore() throws Exception {
        overrides.put("unusable.example.test", DomainOverride.REQUIRE_TLS);
        overrides.put("example.test", DomainOverride.DANE_ONLY);

        assertThat(summary(plan("unusable.example.test").forMessage(TLS_NOT_REQUIRED)))
                .containsExactly("encrypt.example.test pkix");
        assertThat(summary(plan("example.test").forMessage(TLS_NOT_REQUIRED)))
                .containsExactly("dane.example.test dane", "pkix.example.test excluded", "mx.elsewhere.test excluded");
    }

    @Test
    void levelDaneRulesOutEveryHostWithoutUsableTlsaRecords() throws Exception {
        DeliveryPlan plan = plan("example.test").forMessage(level(SecurityLevel.DANE));

        assertThat(summary(plan))
                .containsExactly("dane.example.test dane", "pkix.example.test excluded", "mx.elsewhere.test excluded");
        assertThat(plan.hosts().get(1).exclusion())
                .contains("pkix.example.test has no usable DANE TLSA records; the message requires level dane");

        DeliveryPlan unusable = plan("unusable.example.test").forMessage(level(SecurityLevel.DANE));
        assertThat(unusable.outcome()).isEqualTo(DeliveryPlan.Outcome.DEFER);
        assertThat(unusable.reason()).contains("no MX host can give what the message demands (level dane)");
    }

    @Test
    void levelAuthenticatedHoldsUnauthenticatedHostsToPkixAndKeepsDane() throws Exception {
        assertThat(summary(plan("example.test").forMessage(level(SecurityLevel.AUTHENTICATED))))
                .containsExactly("dane.example.test dane", "pkix.example.test pkix", "mx.elsewhere.test pkix");
        assertThat(summary(plan("unusable.example.test").forMessage(level(SecurityLevel.AUTHENTICATED))))
                .containsExactly("encrypt.example.test pkix");
        assertThat(summary(plan("insecure.test").forMessage(level(SecurityLevel.AUTHENTICATED))))
                .containsExactly("mx.insecure.test pkix");
    }

    @Test
    void levelTlsForbidsPlaintextEvenWhereAnOverrideSaysNone() throws Exception {
        overrides.put("example.test", DomainOverride.NONE);

        assertThat(summary(plan("insecure.test").forMessage(level(SecurityLevel.TLS))))
                .containsExactly("mx.insecure.test encrypt");
        assertThat(summary(plan("example.test").forMessage(level(SecurityLevel.TLS))))
                .containsExactly("dane.example.test encrypt", "pkix.example.test encrypt", "mx.elsewhere.test encrypt");
        assertThat(summary(plan("unusable.example.test").forMessage(level(SecurityLevel.TLS))))
                .containsExactly("encrypt.example.test encrypt");
    }

    @Test
    void requireTlsNeedsAuthenticationAndANameVouchedForByDnssecOrAnEnforcedPolicy() throws Exception {
        // example.test's MX records are signed: every host's name is vouched for (RFC 8689 4.2.1 step 2).
        DeliveryPlan signed = plan("example.test").forMessage(REQUIRETLS);
        assertThat(signed.hosts()).allMatch(MxHostPlan::requireTls);
        assertThat(summary(signed))
                .containsExactly("dane.example.test dane", "pkix.example.test pkix", "mx.elsewhere.test pkix");

        // insecure.test's are not, and it publishes no policy: no host may have the message.
        DeliveryPlan unsigned = plan("insecure.test").forMessage(REQUIRETLS);
        assertThat(unsigned.outcome()).isEqualTo(DeliveryPlan.Outcome.DEFER);
        assertThat(unsigned.hosts().get(0).exclusion())
                .get()
                .asString()
                .startsWith("REQUIRETLS: the name mx.insecure.test is vouched for neither by DNSSEC-signed MX records");
    }

    @Test
    void requireTlsAcceptsAnUnsignedMxListedByAnEnforcedPolicyButNotByATestingOne() throws Exception {
        publishMtaSts("insecure.test", "testing", "mx.insecure.test");
        assertThat(summary(plan("insecure.test").forMessage(REQUIRETLS))).containsExactly("mx.insecure.test excluded");

        policy.close();
        policy = null;
        publishMtaSts("insecure.test", "enforce", "mx.insecure.test");
        DeliveryPlan plan = plan("insecure.test").forMessage(REQUIRETLS);
        assertThat(summary(plan)).containsExactly("mx.insecure.test pkix");
        assertThat(plan.hosts().get(0).requireTls()).isTrue();
        assertThat(plan.hosts().get(0).toString()).contains("pkix+requiretls");
    }

    @Test
    void requireTlsWinsOverTlsRequiredNo() throws Exception {
        MessageSecurity both = MessageSecurity.of(Optional.empty(), true, true);

        assertThat(both.tlsOptional()).isFalse();
        assertThat(both.level()).contains(SecurityLevel.AUTHENTICATED);
        assertThat(summary(plan("example.test").forMessage(both)))
                .containsExactly("dane.example.test dane", "pkix.example.test pkix", "mx.elsewhere.test pkix");
    }

    @Test
    void aMessageThatDemandsNothingGetsTheDestinationsOwnPlanAndAPlanThatDefersStaysDeferred() throws Exception {
        DeliveryPlan own = plan("example.test");
        assertThat(own.forMessage(MessageSecurity.NONE)).isSameAs(own);

        DeliveryPlan nullMx = plan("nullmx.example.test");
        assertThat(nullMx.forMessage(level(SecurityLevel.TLS))).isSameAs(nullMx);
    }

    @Test
    void onlyASingleTlsRequiredFieldSayingNoCounts() {
        assertThat(MessageSecurity.saysTlsNotRequired(new String[] {"No"})).isTrue();
        assertThat(MessageSecurity.saysTlsNotRequired(new String[] {" no "})).isTrue();
        // RFC 8689 3: more than one field MUST NOT appear; such a message keeps its destination's policy.
        assertThat(MessageSecurity.saysTlsNotRequired(new String[] {"No", "No"}))
                .isFalse();
        assertThat(MessageSecurity.saysTlsNotRequired(new String[] {"Yes"})).isFalse();
        assertThat(MessageSecurity.saysTlsNotRequired(null)).isFalse();
    }

    @Test
    void levelsAreNamedAsInConfigurationAndOrderedWeakestFirst() {
        assertThat(SecurityLevel.fromKeyword(" Authenticated ")).contains(SecurityLevel.AUTHENTICATED);
        assertThat(SecurityLevel.fromKeyword("pkix")).isEmpty();
        assertThat(SecurityLevel.TLS.atLeast(SecurityLevel.DANE)).isEqualTo(SecurityLevel.DANE);
        assertThat(SecurityLevel.DANE.atLeast(SecurityLevel.TLS)).isEqualTo(SecurityLevel.DANE);
        assertThat(SecurityLevel.TLS.atLeast(null)).isEqualTo(SecurityLevel.TLS);
    }
}
