package dev.securedelivery.integration;

import dev.securedelivery.policy.DomainName;
import static org.assertj.core.api.Assertions.assertThat;

import dev.securedelivery.configuration.PolicyEngineConfiguration;
import dev.securedelivery.delivery.TlsRptRecorder;
import dev.securedelivery.mtasts.FetchListener;
import dev.securedelivery.policy.DeliveryPlan;
import dev.securedelivery.policy.DeliveryPolicy;
import dev.securedelivery.policy.MxHostPlan;
import dev.securedelivery.smtp.SmtpClient;
import dev.securedelivery.smtp.SmtpSettings;
import dev.securedelivery.testing.StartTlsStrippingProxy;
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
 * Sessions recorded for RFC 8460 reports under the policy they were held to: real plans (signed
 * zones, MTA-STS policies over HTTPS) and real connections (probes to STARTTLS servers).
 */
class TlsRptRecordingTest {
    private static final Destinations WORLD = new Destinations();
    private static final String SENDER_IP = "192.0.2.25";
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
        WORLD.mx(WORLD.zone("sts.test", false), "mx.sts.test", 10, WORLD.ca().issue("mx.sts.test"));
        WORLD.enforce("sts.test", "1", "mx.sts.test");
        WORLD.mx(WORLD.zone("trying.test", false), "mx.trying.test", 10, WORLD.ca().issue("wrong-name.test"));
        WORLD.publish("trying.test", "1", "testing", "mx.trying.test");
        WORLD.mx(WORLD.zone("outside.test", false), "mx.outside.test", 10, WORLD.ca().issue("mx.outside.test"));
        WORLD.enforce("outside.test", "1", "mx.elsewhere.test");
        TestSmtpServer plain = WORLD.server("real.plain.test", WORLD.ca().issue("mx.plain.test"));
        WORLD.proxyFor("mx.plain.test", WORLD.zone("plain.test", false), plain, StartTlsStrippingProxy.Variant.HIDE);
        WORLD.start();
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
    void aDaneSessionCountsUnderTheHostsTlsaRecords() throws Exception {
        Map<ReportedPolicy, PolicyResults> counted = probe("pinned.test");

        ReportedPolicy tlsa = only(counted, PolicyType.TLSA);
        assertThat(tlsa.mxHosts()).containsExactly("mx.pinned.test");
        assertThat(tlsa.policyStrings()).singleElement().asString().startsWith("3 1 1 ");
        assertThat(counted.get(tlsa).successfulSessions()).isEqualTo(1);
    }

    @Test
    void anEnforcedMtaStsSessionCountsUnderThePolicy() throws Exception {
        Map<ReportedPolicy, PolicyResults> counted = probe("sts.test");

        ReportedPolicy sts = only(counted, PolicyType.STS);
        assertThat(sts.policyStrings()).contains("mode: enforce", "mx: mx.sts.test");
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
        assertThat(detail.sendingMtaIp()).isEqualTo(SENDER_IP);
        assertThat(detail.receivingMxHostname()).isEqualTo("mx.trying.test");
        assertThat(detail.receivingIp()).startsWith("127.0.0.");
    }

    @Test
    void plaintextWithoutAPolicyIsAStarttlsFailureUnderNoPolicyFound() throws Exception {
        Map<ReportedPolicy, PolicyResults> counted = probe("plain.test");

        ReportedPolicy none = only(counted, PolicyType.NO_POLICY_FOUND);
        assertThat(none.policyDomain()).isEqualTo("plain.test");
        assertThat(counted.get(none).failureDetails().keySet()).singleElement()
                .satisfies(detail -> assertThat(detail.resultType()).isEqualTo("starttls-not-supported"));
    }

    @Test
    void anMxOutsideAnEnforcePolicyIsAValidationFailureWithoutAReceivingIp() throws Exception {
        DeliveryPlan plan = policy.plan(DomainName.of("outside.test")).get();
        for (MxHostPlan host : plan.hosts()) {
            recorder.excluded(plan, host);
        }

        Map<ReportedPolicy, PolicyResults> counted = counted("outside.test");
        FailureDetail detail = counted.get(only(counted, PolicyType.STS)).failureDetails().keySet().iterator().next();
        assertThat(detail.resultType()).isEqualTo("validation-failure");
        assertThat(detail.receivingMxHostname()).isEqualTo("mx.outside.test");
        assertThat(detail.receivingIp()).isNull();
    }

    private Map<ReportedPolicy, PolicyResults> probe(String domain) throws Exception {
        DeliveryPlan plan = policy.plan(DomainName.of(domain)).get();
        SmtpClient client = new SmtpClient(SmtpSettings.of("sender.test").withPort(WORLD.smtpPort()),
                configuration.pkixTrustManager(), Clock.systemUTC());
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
