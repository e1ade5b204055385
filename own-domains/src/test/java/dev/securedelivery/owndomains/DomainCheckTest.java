package dev.securedelivery.owndomains;

import static org.assertj.core.api.Assertions.assertThat;

import dev.securedelivery.testing.IssuedCertificate;
import dev.securedelivery.testing.TestHttpsServer;
import dev.securedelivery.tlsrpt.ResultType;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The check of one of our domains against a world published as it should be ({@link OwnDomainWorld}),
 * then made to drift as real set-ups do: each drift found, with its severity, the MX it is about,
 * the result type a sender's TLS report would give it, and the fix.
 */
class DomainCheckTest {
    private OwnDomainWorld world;

    @AfterEach
    void close() {
        if (world != null) {
            world.close();
        }
    }

    private static List<Finding> needingAction(Findings findings) {
        return findings.all().stream()
                .filter(finding -> finding.severity().needsAction())
                .collect(Collectors.toList());
    }

    @Test
    void aDomainPublishedAsItShouldBeHasNothingToFix() throws Exception {
        world = OwnDomainWorld.published("127.0.0.71");

        Findings findings = world.check(Clock.systemUTC()).build().check(OwnDomainWorld.DOMAIN);

        assertThat(needingAction(findings)).isEmpty();
        assertThat(findings.worst()).isEqualTo(Severity.OK);
        assertThat(findings.all())
                .extracting(Finding::message)
                .anySatisfy(message -> assertThat(message).startsWith("TLSA: DANE-EE"))
                .anySatisfy(message -> assertThat(message).startsWith("PKIX: valid for mx.ours.test"))
                .anySatisfy(message -> assertThat(message).startsWith("reports go to"));
    }

    @Test
    void aKeystoreReplacedWhileTheTlsaRecordsStayIsFoundBeforeAndAfterJamesPresentsIt() throws Exception {
        world = OwnDomainWorld.published("127.0.0.72");
        IssuedCertificate renewed = world.ca.issue(OwnDomainWorld.MX);

        // The keystore holds the new key; James still presents the old one.
        Findings before = world.check(Clock.systemUTC())
                .heldCertificate(renewed.chain())
                .ourMxHosts(Set.of(OwnDomainWorld.MX))
                .build()
                .check(OwnDomainWorld.DOMAIN);
        assertThat(needingAction(before)).singleElement().satisfies(finding -> {
            assertThat(finding.severity()).isEqualTo(Severity.WARNING);
            assertThat(finding.host()).contains(OwnDomainWorld.MX);
            assertThat(finding.resultType()).contains(ResultType.TLSA_INVALID);
            assertThat(finding.message()).contains("the keystore holds a key that no TLSA record");
            assertThat(finding.fix())
                    .hasValueSatisfying(fix -> assertThat(fix)
                            .contains(TlsaRollover.record(renewed.leaf()).toPresentation())
                            .contains("300 s (the TLSA TTL)"));
        });

        // James restarted with it: DANE senders defer now.
        world.startMx(renewed);
        Findings after = world.check(Clock.systemUTC()).build().check(OwnDomainWorld.DOMAIN);
        assertThat(needingAction(after)).singleElement().satisfies(finding -> {
            assertThat(finding.severity()).isEqualTo(Severity.PROBLEM);
            assertThat(finding.resultType()).contains(ResultType.TLSA_INVALID);
            assertThat(finding.message()).contains("TLSA records match nothing the server presents");
        });
    }

    @Test
    void anMxMissingFromThePolicyIsAValidationFailureOfThatHost() throws Exception {
        world = OwnDomainWorld.published("127.0.0.73");
        world.publishPolicy("2", "enforce", 1_209_600, "mx2.ours.test");

        Findings findings = world.check(Clock.systemUTC()).build().check(OwnDomainWorld.DOMAIN);

        assertThat(needingAction(findings)).singleElement().satisfies(finding -> {
            assertThat(finding.severity()).isEqualTo(Severity.PROBLEM);
            assertThat(finding.host()).contains(OwnDomainWorld.MX);
            assertThat(finding.resultType()).contains(ResultType.VALIDATION_FAILURE);
            assertThat(finding.fix()).contains("add \"mx: mx.ours.test\" to the policy and publish a new id");
        });
    }

    @Test
    void aPolicyHostCertificateExpiringWithinMaxAgeIsAWarning() throws Exception {
        world = OwnDomainWorld.published("127.0.0.74");
        world.startPolicyHost(
                world.certificateUntil(Instant.now().plus(Duration.ofDays(10)), "mta-sts." + OwnDomainWorld.DOMAIN));

        Findings findings = world.check(Clock.systemUTC()).build().check(OwnDomainWorld.DOMAIN);

        assertThat(needingAction(findings)).singleElement().satisfies(finding -> {
            assertThat(finding.severity()).isEqualTo(Severity.WARNING);
            assertThat(finding.about()).isEqualTo("mta-sts.ours.test (the policy host)");
            assertThat(finding.message()).contains("within the policy's max_age of 14 days");
        });
    }

    @Test
    void aPolicyChangedUnderTheSameIdIsFoundAtTheNextCheck() throws Exception {
        world = OwnDomainWorld.published("127.0.0.75");
        DomainCheck check = world.check(Clock.systemUTC())
                .memory(PolicyMemory.remembering())
                .build();
        assertThat(needingAction(check.check(OwnDomainWorld.DOMAIN))).isEmpty();

        world.publishPolicy("1", "enforce", 604_800, OwnDomainWorld.MX);
        Findings findings = check.check(OwnDomainWorld.DOMAIN);

        assertThat(needingAction(findings)).singleElement().satisfies(finding -> {
            assertThat(finding.severity()).isEqualTo(Severity.PROBLEM);
            assertThat(finding.message()).contains("the policy changed under the same id 1");
        });
        // Republished under a new id: nothing left to fix.
        world.publishPolicy("3", "enforce", 604_800, OwnDomainWorld.MX);
        assertThat(needingAction(check.check(OwnDomainWorld.DOMAIN))).isEmpty();
    }

    @Test
    void aBogusTlsaAnswerIsADnssecProblemOfThatHost() throws Exception {
        world = OwnDomainWorld.published("127.0.0.76");
        world.dns();
        world.upstream.stripSignatures("_25._tcp." + OwnDomainWorld.MX + ".");

        Findings findings = world.check(Clock.systemUTC()).build().check(OwnDomainWorld.DOMAIN);

        assertThat(needingAction(findings)).anySatisfy(finding -> {
            assertThat(finding.severity()).isEqualTo(Severity.PROBLEM);
            assertThat(finding.host()).contains(OwnDomainWorld.MX);
            assertThat(finding.resultType()).contains(ResultType.DNSSEC_INVALID);
        });
    }

    @Test
    void anMxCertificateAboutToExpireIsAWarningAndAnExpiredOneAProblem() throws Exception {
        world = OwnDomainWorld.published("127.0.0.77");
        IssuedCertificate soon = world.certificateUntil(Instant.now().plus(Duration.ofDays(5)), OwnDomainWorld.MX);
        world.startMx(soon);
        world.zone.remove("_25._tcp." + OwnDomainWorld.MX + ".", org.xbill.DNS.Type.TLSA);
        world.zone.add(
                "_25._tcp." + OwnDomainWorld.MX + ".",
                org.xbill.DNS.Type.TLSA,
                TlsaRollover.record(soon.leaf()).toPresentation());

        Findings soonFindings = world.check(Clock.systemUTC()).build().check(OwnDomainWorld.DOMAIN);
        assertThat(needingAction(soonFindings)).singleElement().satisfies(finding -> {
            assertThat(finding.severity()).isEqualTo(Severity.WARNING);
            assertThat(finding.resultType()).contains(ResultType.CERTIFICATE_EXPIRED);
        });

        // Ten days on, by the check's clock: expired.
        Clock later = Clock.offset(Clock.systemUTC(), Duration.ofDays(10));
        Findings expired = world.check(later).build().check(OwnDomainWorld.DOMAIN);
        assertThat(needingAction(expired)).anySatisfy(finding -> {
            assertThat(finding.severity()).isEqualTo(Severity.PROBLEM);
            assertThat(finding.message()).contains("the certificate expired");
        });
    }

    @Test
    void aDomainWithNothingPublishedIsSaidSoAndNothingIsAnError() throws Exception {
        world = new OwnDomainWorld("127.0.0.78", false);

        Findings findings = world.check(Clock.systemUTC()).build().check(OwnDomainWorld.DOMAIN);

        assertThat(findings.worst()).isEqualTo(Severity.OK);
        assertThat(findings.all())
                .extracting(Finding::message)
                .anySatisfy(message -> assertThat(message).startsWith("no MTA-STS record"))
                .anySatisfy(message -> assertThat(message).startsWith("no TLS-RPT record"))
                .anySatisfy(message -> assertThat(message).contains("not DNSSEC-signed"));
    }

    @Test
    void aPolicyHostThatAnswersEndlesslyIsCutOffAndNamed() throws Exception {
        world = OwnDomainWorld.published("127.0.0.79");
        world.policyHost.respondWith(TestHttpsServer.endlessBody(200, "text/plain"));

        long began = System.nanoTime();
        Findings findings = world.check(Clock.systemUTC()).build().check(OwnDomainWorld.DOMAIN);

        assertThat(Duration.ofNanos(System.nanoTime() - began)).isLessThan(Duration.ofSeconds(30));
        assertThat(needingAction(findings)).anySatisfy(finding -> {
            assertThat(finding.about()).isEqualTo("https://mta-sts.ours.test/.well-known/mta-sts.txt");
            assertThat(finding.resultType()).isPresent();
        });
    }

    @Test
    void aKeyChangeIsFollowedStepByStepUntilTheOldRecordCanGo() throws Exception {
        world = OwnDomainWorld.published("127.0.0.80");
        IssuedCertificate next = world.ca.issue(OwnDomainWorld.MX);
        java.util.concurrent.atomic.AtomicReference<Instant> now =
                new java.util.concurrent.atomic.AtomicReference<>(Instant.now());
        Clock clock = new Clock() {
            @Override
            public java.time.ZoneId getZone() {
                return java.time.ZoneOffset.UTC;
            }

            @Override
            public Clock withZone(java.time.ZoneId zone) {
                return this;
            }

            @Override
            public Instant instant() {
                return now.get();
            }
        };
        DomainCheck check = world.check(clock)
                .heldCertificate(next.chain())
                .ourMxHosts(Set.of(OwnDomainWorld.MX))
                .memory(PolicyMemory.remembering())
                .build();
        String current = TlsaRollover.record(world.mxCertificate.leaf()).toPresentation();
        String nextRecord = TlsaRollover.record(next.leaf()).toPresentation();

        // Both records published: wait the TLSA TTL (300 s here) from when the new one is first seen.
        world.zone.remove("_25._tcp." + OwnDomainWorld.MX + ".", org.xbill.DNS.Type.TLSA);
        world.zone.add("_25._tcp." + OwnDomainWorld.MX + ".", org.xbill.DNS.Type.TLSA, current);
        world.zone.add("_25._tcp." + OwnDomainWorld.MX + ".", org.xbill.DNS.Type.TLSA, nextRecord);
        assertThat(keyChange(check)).startsWith("key change under way");
        now.set(now.get().plusSeconds(301));
        assertThat(keyChange(check)).startsWith("key change: safe to put the next key in service");

        // James restarted with the new key: the old record can go.
        world.startMx(next);
        assertThat(keyChange(check)).startsWith("key change done").contains(current.substring(0, 20));
    }

    private static String keyChange(DomainCheck check) {
        return check.check(OwnDomainWorld.DOMAIN).all().stream()
                .filter(finding -> finding.message().startsWith("key change"))
                .map(Finding::message)
                .findFirst()
                .orElse("(no key change finding)");
    }

    @Test
    void anMxOfOursThatTricklesItsGreetingIsCutOffAndNamed() throws Exception {
        world = OwnDomainWorld.published("127.0.0.84");
        world.mx.close();
        try (dev.securedelivery.testing.HostileSmtpServer trickle = dev.securedelivery.testing.HostileSmtpServer.start(
                "127.0.0.84", world.smtpPort, dev.securedelivery.testing.HostileSmtpServer.Attack.TRICKLE)) {
            world.mx = null;
            long began = System.nanoTime();
            Findings findings = world.check(Clock.systemUTC()).build().check(OwnDomainWorld.DOMAIN);

            // The client's whole-reply deadline (5 s here) ends it, not the trickle.
            assertThat(Duration.ofNanos(System.nanoTime() - began)).isLessThan(Duration.ofSeconds(30));
            assertThat(findings.all())
                    .filteredOn(finding -> finding.about().startsWith("mx.ours.test ["))
                    .singleElement()
                    .satisfies(
                            finding -> assertThat(finding.severity()).isIn(Severity.PROBLEM, Severity.LOOKUP_FAILURE));
            assertThat(trickle.bytesWritten()).isLessThan(1_000);
        }
    }
}
