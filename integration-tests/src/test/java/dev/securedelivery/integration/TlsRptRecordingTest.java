package dev.securedelivery.integration;

import static org.assertj.core.api.Assertions.assertThat;

import dev.securedelivery.configuration.PolicyEngineConfiguration;
import dev.securedelivery.delivery.TlsRptRecorder;
import dev.securedelivery.mtasts.FetchListener;
import dev.securedelivery.policy.DeliveryPlan;
import dev.securedelivery.policy.DeliveryPolicy;
import dev.securedelivery.policy.DomainName;
import dev.securedelivery.policy.MxHostPlan;
import dev.securedelivery.smtp.SmtpClient;
import dev.securedelivery.smtp.SmtpSettings;
import dev.securedelivery.testing.StartTlsStrippingProxy;
import dev.securedelivery.testing.TestHttpsServer;
import dev.securedelivery.testing.TestSmtpServer;
import dev.securedelivery.tlsrpt.FailureDetail;
import dev.securedelivery.tlsrpt.PolicyResults;
import dev.securedelivery.tlsrpt.PolicyType;
import dev.securedelivery.tlsrpt.ReportPeriod;
import dev.securedelivery.tlsrpt.ReportedPolicy;
import dev.securedelivery.tlsrpt.SessionJournal;
import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Sessions recorded for RFC 8460 reports under the policy they were held to, in the report of the
 * policy domain they belong to: real plans (signed zones, MTA-STS policies over HTTPS) and real
 * connections (probes to STARTTLS servers).
 */
class TlsRptRecordingTest {
    private static final Destinations WORLD = new Destinations();
    // What the recorder is told it sends from where no connection was made (a host a policy rules out).
    private static final String SENDER_IP = "192.0.2.25";
    // A policy written as a domain might: odd order, an extension field; reports quote it as served.
    private static final String STS_POLICY =
            "version: STSv1\r\nmx: mx.sts.test\r\nmode: enforce\r\n" + "note: as served\r\nmax_age: 86400\r\n";
    private static final String VALID_POLICY = "version: STSv1\nmode: enforce\nmx: *.test\nmax_age: 86400\n";
    // Sessions are recorded at a fixed instant: a test run across midnight reads the same day back.
    private static final Clock RECORDING = Clock.fixed(Instant.parse("2026-11-21T12:00:00Z"), ZoneOffset.UTC);

    @TempDir
    static Path directory;

    private static DeliveryPolicy policy;
    private static PolicyEngineConfiguration configuration;

    private SessionJournal journal;
    private TlsRptRecorder recorder;

    @BeforeAll
    static void declareTheWorld() throws Exception {
        WORLD.daneDomain("pinned.test", "mx.pinned.test");
        WORLD.daneDomainBehindCname("aliased.test", "alias.aliased.test", "real.aliased.test");
        WORLD.mx(WORLD.zone("sts.test", false), "mx.sts.test", 10, WORLD.ca().issue("mx.sts.test"));
        WORLD.publishPolicy("sts.test", "1", STS_POLICY);
        WORLD.mx(
                        WORLD.zone("trying.test", false),
                        "mx.trying.test",
                        10,
                        WORLD.ca().issue("wrong-name.test"))
                .hostName("helo.trying.test");
        WORLD.publish("trying.test", "1", "testing", "mx.trying.test");
        WORLD.mx(
                        WORLD.zone("unfetched.test", false),
                        "mx.unfetched.test",
                        10,
                        WORLD.ca().issue("mx.unfetched.test"))
                .hostName("helo.unfetched.test");
        WORLD.publishRecord("unfetched.test", "1", TestHttpsServer.notFound());
        WORLD.mx(
                WORLD.zone("garbled.test", false),
                "mx.garbled.test",
                10,
                WORLD.ca().issue("mx.garbled.test"));
        WORLD.publishPolicy("garbled.test", "1", "version: STSv1\nmode: strict\nmx: *.test\nmax_age: 86400\n");
        WORLD.mx(
                WORLD.zone("stranger.test", false),
                "mx.stranger.test",
                10,
                WORLD.ca().issue("mx.stranger.test"));
        WORLD.mx(
                WORLD.zone("unknown.test", false),
                "mx.unknown.test",
                10,
                WORLD.ca().issue("mx.unknown.test"));
        WORLD.enforce("unknown.test", "1", "mx.unknown.test");
        WORLD.mx(
                WORLD.zone("outside.test", false),
                "mx.outside.test",
                10,
                WORLD.ca().issue("mx.outside.test"));
        WORLD.enforce("outside.test", "1", "mx.elsewhere.test");
        TestSmtpServer plain = WORLD.server("real.plain.test", WORLD.ca().issue("mx.plain.test"));
        WORLD.proxyFor("mx.plain.test", WORLD.zone("plain.test", false), plain, StartTlsStrippingProxy.Variant.HIDE);
        WORLD.start();
        WORLD.untrustedPolicyHost("stranger.test", VALID_POLICY);
        // The TXT lookup fails: whether unknown.test has a policy cannot be told (RFC 8461 3.1).
        WORLD.upstream().servfail("_mta-sts.unknown.test.");
        Properties properties = WORLD.configuration(directory);
        properties.remove("mta-sts.cache.directory");
        configuration = PolicyEngineConfiguration.from(properties);
        policy = configuration.deliveryPolicy(Clock.systemUTC(), FetchListener.NONE);
    }

    @AfterAll
    static void stopTheWorld() throws Exception {
        policy.close();
        WORLD.close();
    }

    @BeforeEach
    void openJournal(@TempDir Path journalDirectory) throws Exception {
        journal = SessionJournal.open(journalDirectory, Duration.ofDays(1));
        recorder = new TlsRptRecorder(journal, configuration.pkixTrustManager(), RECORDING, address -> SENDER_IP);
    }

    @AfterEach
    void closeJournal() throws Exception {
        journal.close();
    }

    @Test
    void aDaneSessionCountsUnderTheHostsTlsaRecordsInTheMxHostsOwnReport() throws Exception {
        probe("pinned.test");

        // RFC 8460 4.4: for DANE the policy domain is the TLSA base domain, here the MX host.
        assertThat(counted("pinned.test")).isEmpty();
        Map<ReportedPolicy, PolicyResults> counted = counted("mx.pinned.test");
        ReportedPolicy tlsa = only(counted, PolicyType.TLSA);
        assertThat(tlsa.policyDomain()).isEqualTo("mx.pinned.test");
        assertThat(tlsa.mxHosts()).containsExactly("mx.pinned.test");
        assertThat(tlsa.policyStrings()).singleElement().asString().startsWith("3 1 1 ");
        assertThat(counted.get(tlsa).successfulSessions()).isEqualTo(1);
    }

    @Test
    void aDaneSessionThroughACnameCountsUnderTheNameTheTlsaRecordsWereFoundAt() throws Exception {
        probe("aliased.test");

        // RFC 7672 2.2.2: the records were found at the CNAME-expanded name, the TLSA base domain.
        assertThat(counted("aliased.test")).isEmpty();
        assertThat(counted("alias.aliased.test")).isEmpty();
        Map<ReportedPolicy, PolicyResults> counted = counted("real.aliased.test");
        ReportedPolicy tlsa = only(counted, PolicyType.TLSA);
        assertThat(tlsa.mxHosts()).containsExactly("alias.aliased.test");
        assertThat(counted.get(tlsa).successfulSessions()).isEqualTo(1);
    }

    @Test
    void anEnforcedMtaStsSessionCountsUnderThePolicyAsItWasServed() throws Exception {
        Map<ReportedPolicy, PolicyResults> counted = probe("sts.test");

        ReportedPolicy sts = only(counted, PolicyType.STS);
        assertThat(sts.policyStrings())
                .containsExactly(
                        "version: STSv1", "mx: mx.sts.test", "mode: enforce", "note: as served", "max_age: 86400");
        assertThat(sts.mxHosts()).containsExactly("mx.sts.test");
        assertThat(counted.get(sts).successfulSessions()).isEqualTo(1);
    }

    @Test
    void aTestingPolicyIsJudgedAsItWouldHaveBeenThoughTheMailWent() throws Exception {
        Map<ReportedPolicy, PolicyResults> counted = probe("trying.test");

        PolicyResults results = counted.get(only(counted, PolicyType.STS));
        assertThat(results.successfulSessions()).isZero();
        FailureDetail detail = results.failureDetails().keySet().iterator().next();
        assertThat(detail.resultType()).isEqualTo("certificate-host-mismatch");
        // The session's own ends: the local address it left from, the MX's, and the name the MX gave.
        assertThat(detail.sendingMtaIp()).isEqualTo("127.0.0.1");
        assertThat(detail.receivingMxHostname()).isEqualTo("mx.trying.test");
        assertThat(detail.receivingIp()).startsWith("127.0.0.");
        assertThat(detail.receivingMxHelo()).isEqualTo("helo.trying.test");
    }

    @Test
    void plaintextWithoutAPolicyIsAStarttlsFailureUnderNoPolicyFound() throws Exception {
        Map<ReportedPolicy, PolicyResults> counted = probe("plain.test");

        ReportedPolicy none = only(counted, PolicyType.NO_POLICY_FOUND);
        assertThat(none.policyDomain()).isEqualTo("plain.test");
        assertThat(counted.get(none).failureDetails().keySet())
                .singleElement()
                .satisfies(detail -> assertThat(detail.resultType()).isEqualTo("starttls-not-supported"));
    }

    @Test
    void anMxOutsideAnEnforcePolicyIsAValidationFailureWithoutAReceivingIp() throws Exception {
        DeliveryPlan plan = policy.plan(DomainName.of("outside.test")).get();
        for (MxHostPlan host : plan.hosts()) {
            recorder.excluded(plan, host);
        }

        Map<ReportedPolicy, PolicyResults> counted = counted("outside.test");
        FailureDetail detail = counted.get(only(counted, PolicyType.STS))
                .failureDetails()
                .keySet()
                .iterator()
                .next();
        assertThat(detail.resultType()).isEqualTo("validation-failure");
        assertThat(detail.receivingMxHostname()).isEqualTo("mx.outside.test");
        assertThat(detail.receivingIp()).isNull();
        assertThat(detail.sendingMtaIp()).isEqualTo(SENDER_IP);
    }

    @Test
    void aPolicyThatCouldNotBeFetchedFailsEverySessionUnderStsWithoutAPolicyString() throws Exception {
        Map<ReportedPolicy, PolicyResults> counted = probe("unfetched.test");

        // RFC 8460 4.3.2.2: the mail went as without MTA-STS; the domain hears why.
        ReportedPolicy sts = only(counted, PolicyType.STS);
        assertThat(sts.policyStrings()).isEmpty();
        assertThat(sts.mxHosts()).isEmpty();
        assertThat(counted.get(sts).successfulSessions()).isZero();
        FailureDetail detail =
                counted.get(sts).failureDetails().keySet().iterator().next();
        assertThat(detail.resultType()).isEqualTo("sts-policy-fetch-error");
        assertThat(detail.failureReasonCode()).contains("404");
        assertThat(detail.receivingMxHostname()).isEqualTo("mx.unfetched.test");
        assertThat(detail.receivingIp()).startsWith("127.0.0.");
        assertThat(detail.receivingMxHelo()).isEqualTo("helo.unfetched.test");
    }

    @Test
    void anInvalidPolicyAndAPolicyHostWithoutATrustedCertificateAreTheirOwnFailures() throws Exception {
        Map<ReportedPolicy, PolicyResults> garbled = probe("garbled.test");
        Map<ReportedPolicy, PolicyResults> stranger = probe("stranger.test");

        assertThat(garbled.get(only(garbled, PolicyType.STS)).failureDetails().keySet())
                .singleElement()
                .satisfies(detail -> assertThat(detail.resultType()).isEqualTo("sts-policy-invalid"));
        assertThat(stranger.get(only(stranger, PolicyType.STS)).failureDetails().keySet())
                .singleElement()
                .satisfies(detail -> assertThat(detail.resultType()).isEqualTo("sts-webpki-invalid"));
    }

    @Test
    void aHostLeftOutBecauseTheMtaStsStateIsUnknownIsAFailedSessionNotASilence() throws Exception {
        DeliveryPlan plan = policy.plan(DomainName.of("unknown.test")).get();
        assertThat(plan.outcome()).isEqualTo(DeliveryPlan.Outcome.DEFER);
        for (MxHostPlan host : plan.hosts()) {
            recorder.excluded(plan, host);
        }

        Map<ReportedPolicy, PolicyResults> counted = counted("unknown.test");
        ReportedPolicy sts = only(counted, PolicyType.STS);
        assertThat(sts.policyStrings()).isEmpty();
        FailureDetail detail =
                counted.get(sts).failureDetails().keySet().iterator().next();
        assertThat(detail.resultType()).isEqualTo("sts-policy-fetch-error");
        assertThat(detail.receivingMxHostname()).isEqualTo("mx.unknown.test");
        assertThat(detail.receivingIp()).isNull();
    }

    private Map<ReportedPolicy, PolicyResults> probe(String domain) throws Exception {
        DeliveryPlan plan = policy.plan(DomainName.of(domain)).get();
        SmtpClient client = new SmtpClient(
                SmtpSettings.of("sender.test").withPort(WORLD.smtpPort()),
                configuration.pkixTrustManager(),
                Clock.systemUTC());
        for (MxHostPlan host : plan.usableHosts()) {
            for (InetAddress address : host.addresses()) {
                recorder.attempt(plan, host, client.probe(host, address));
            }
        }
        return counted(domain);
    }

    private Map<ReportedPolicy, PolicyResults> counted(String domain) {
        return journal.counts().of(ReportPeriod.dayOf(RECORDING.instant()), domain);
    }

    private static ReportedPolicy only(Map<ReportedPolicy, PolicyResults> counted, PolicyType type) {
        assertThat(counted.keySet()).as("policies counted").hasSize(1);
        ReportedPolicy policy = counted.keySet().iterator().next();
        assertThat(policy.type()).isEqualTo(type);
        return policy;
    }
}
