package dev.securedelivery.integration;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.securedelivery.cli.SecureDeliveryCli;
import dev.securedelivery.dane.TlsaRecord;
import dev.securedelivery.testing.SignedZone;
import dev.securedelivery.testing.StartTlsStrippingProxy;
import dev.securedelivery.testing.TestSmtpServer;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xbill.DNS.Type;

/**
 * {@code bin/secure-delivery}, each command and each exit code, against the test world: a domain set
 * up right (DANE, MTA-STS enforce, TLS-RPT), one set up wrong in every way {@code verify} checks,
 * one behind an attacker that hides STARTTLS, and a DNS server that does not answer.
 */
class CommandLineTest {
    private static final Destinations WORLD = new Destinations();
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path directory;

    private static Path config;

    @BeforeAll
    static void declareTheWorld() throws Exception {
        // good.test: everything right.
        SignedZone goodZone = WORLD.daneDomain("good.test", "mx.good.test");
        WORLD.enforce("good.test", "1", "mx.good.test");
        goodZone.addTxt("_smtp._tls.good.test.", "v=TLSRPTv1; rua=mailto:tlsrpt@good.test");
        // The MX host's operator wants its DANE reports too (RFC 8460 4.4: the TLSA base domain's record).
        goodZone.addTxt("_smtp._tls.mx.good.test.", "v=TLSRPTv1; rua=mailto:dane-reports@good.test");

        // broken.test: an MX outside the policy, a certificate for another name, TLSA records that
        // match nothing, an invalid TLS-RPT record.
        SignedZone brokenZone = WORLD.zone("broken.test", true);
        WORLD.mx(brokenZone, "mx1.broken.test", 10, WORLD.ca().issue("mx1.broken.test"));
        WORLD.tlsa(
                brokenZone,
                "mx1.broken.test",
                TlsaRecord.forCertificate(
                        TlsaRecord.DANE_EE,
                        TlsaRecord.SELECTOR_SPKI,
                        TlsaRecord.MATCH_SHA256,
                        WORLD.ca().issue("elsewhere.test").leaf()));
        WORLD.mx(brokenZone, "mx2.broken.test", 20, WORLD.ca().issue("not-mx2.broken.test"));
        WORLD.enforce("broken.test", "1", "mx1.broken.test");
        brokenZone.addTxt("_smtp._tls.broken.test.", "v=TLSRPTv1; rua=http://reports.broken.test/");

        // stripped.test: an enforce policy, and an attacker hiding STARTTLS in front of its MX.
        SignedZone strippedZone = WORLD.zone("stripped.test", false);
        TestSmtpServer hidden = WORLD.server("real.stripped.test", WORLD.ca().issue("mx.stripped.test"));
        WORLD.proxyFor("mx.stripped.test", strippedZone, hidden, StartTlsStrippingProxy.Variant.HIDE);
        WORLD.enforce("stripped.test", "1", "mx.stripped.test");

        // outside.test: its only MX is not in its enforce policy.
        WORLD.mx(
                WORLD.zone("outside.test", false),
                "mx.outside.test",
                10,
                WORLD.ca().issue("mx.outside.test"));
        WORLD.enforce("outside.test", "1", "mx.elsewhere.test");

        // nullmx.test: accepts no mail (RFC 7505).
        WORLD.zone("nullmx.test", false).add("nullmx.test.", Type.MX, "0 .");

        WORLD.start();
        config = directory.resolve("secure-delivery.properties");
        Properties properties = WORLD.configuration(directory);
        try (OutputStream out = Files.newOutputStream(config)) {
            properties.store(out, null);
        }
    }

    @AfterAll
    static void stopTheWorld() throws Exception {
        WORLD.close();
    }

    // ---- check and probe ----

    @Test
    void checkShowsThePlanAsTheMailetWouldUseIt() throws Exception {
        Run run = run("check", "good.test", "--config", config.toString(), "--json");

        assertThat(run.exit).as(run.err).isZero();
        JsonNode plan = JSON.readTree(run.out).get("plan");
        assertThat(plan.get("outcome").asText()).isEqualTo("deliver");
        assertThat(plan.get("hosts").get(0).get("host").asText()).isEqualTo("mx.good.test");
        assertThat(plan.get("hosts").get(0).get("requirement").asText()).isEqualTo("dane");
    }

    @Test
    void checkOfAnMxOutsideThePolicyPointsAtThePolicyNotTheCertificate() {
        Run run = run("check", "outside.test", "--config", config.toString());

        assertThat(run.out)
                .contains("mx.outside.test")
                .contains("not in the MTA-STS policy")
                .contains("fix: name the MX host in the MTA-STS policy's mx lines")
                .doesNotContain("certificate chain");
    }

    @Test
    void probeConnectsToEachMxWithItsRequirement() {
        Run run = run("probe", "good.test", "--config", config.toString(), "--smtp-port", port());

        assertThat(run.exit).as(run.out + run.err).isZero();
        assertThat(run.out).contains("mx.good.test [127.0.0.").contains("authenticated: DANE-EE");
        assertThat(WORLD.server("mx.good.test").received())
                .as("a probe sends no mail")
                .isEmpty();
    }

    @Test
    void probeReportsAStrippedStartTlsAsAProblemWithItsFix() {
        Run run = run("probe", "stripped.test", "--config", config.toString(), "--smtp-port", port());

        assertThat(run.exit).as(run.out).isEqualTo(2);
        assertThat(run.out)
                .contains("PROBLEM")
                .contains("starttls-not-supported")
                .contains("fix: offer STARTTLS on port 25");
    }

    @Test
    void aDnsServerThatDoesNotAnswerIsALookupFailure() throws Exception {
        Path silent = directory.resolve("silent.properties");
        // A port nothing listens on: every query times out.
        Files.writeString(silent, "dns.servers = 127.0.0.1:9\ndns.timeout = 300ms\n");

        Run run = run(
                "check",
                "good.test",
                "--config",
                silent.toString(),
                "--trust-anchor",
                directory.resolve("anchor.ds").toString());

        assertThat(run.exit).as(run.out + run.err).isEqualTo(3);
        assertThat(run.out).contains("LOOKUP-FAILURE");
    }

    // ---- verify ----

    @Test
    void verifyFindsNothingWrongWithADomainSetUpRight() {
        Run run = run("verify", "good.test", "--config", config.toString(), "--smtp-port", port());

        assertThat(run.exit).as(run.out).isZero();
        assertThat(run.out)
                .contains("OK              _mta-sts.good.test: id 1 (\"v=STSv1; id=1\")")
                .contains("mode enforce, mx [mx.good.test]")
                .contains("PKIX: valid for mx.good.test")
                .contains("TLSA: DANE-EE")
                .contains("_smtp._tls.good.test: reports go to [mailto:tlsrpt@good.test]")
                .contains("_smtp._tls.mx.good.test: DANE reports for mx.good.test go to"
                        + " [mailto:dane-reports@good.test]")
                .doesNotContain("PROBLEM");
    }

    @Test
    void verifyListsEveryProblemWithItsFix() throws Exception {
        Run run = run("verify", "broken.test", "--config", config.toString(), "--smtp-port", port(), "--json");

        assertThat(run.exit).as(run.out).isEqualTo(2);
        List<String> problems = new ArrayList<>();
        for (JsonNode finding : JSON.readTree(run.out).get("findings")) {
            if (finding.get("level").asText().equals("problem")) {
                assertThat(finding.get("fix").isNull()).as(finding.toString()).isFalse();
                problems.add(finding.get("about").asText() + ": "
                        + finding.get("message").asText());
            }
        }
        assertThat(problems)
                .anyMatch(problem -> problem.startsWith("mx2.broken.test: not covered by the MTA-STS"))
                .anyMatch(problem -> problem.startsWith("mx2.broken.test [") && problem.contains("does not name"))
                .anyMatch(problem ->
                        problem.startsWith("mx1.broken.test [") && problem.contains("TLSA records match nothing"))
                .anyMatch(problem -> problem.startsWith("_smtp._tls.broken.test: ")
                        && problem.contains("must be mailto: or https:"));
        // mx1.broken.test has TLSA records and no TLS-RPT record of its own: said, not a problem.
        List<String> infos = new ArrayList<>();
        for (JsonNode finding : JSON.readTree(run.out).get("findings")) {
            if (finding.get("level").asText().equals("info")) {
                infos.add(finding.get("about").asText() + ": "
                        + finding.get("message").asText());
            }
        }
        assertThat(infos)
                .anyMatch(info -> info.startsWith("_smtp._tls.mx1.broken.test: no TLS-RPT record: senders send"
                        + " mx1.broken.test's operator no reports of failed DANE"));
    }

    @Test
    void verifyReportsANullMxAsAProblem() {
        Run run = run("verify", "nullmx.test", "--config", config.toString(), "--smtp-port", port());

        assertThat(run.exit).as(run.out + run.err).isEqualTo(2);
        assertThat(run.out).contains("null MX (RFC 7505)");
    }

    // ---- lint-policy and lint-txt ----

    @Test
    void lintPolicyAcceptsAValidPolicyFromAFileOrStandardInput() throws Exception {
        Path policy = directory.resolve("policy.txt");
        Files.writeString(policy, "version: STSv1\nmode: enforce\nmx: *.example.com\nmax_age: 604800\n");

        assertThat(run("lint-policy", policy.toString()).exit).isZero();
        Run fromStdin =
                runWithInput("version: STSv1\nmode: testing\nmx: mx.example.com\nmax_age: 86400\n", "lint-policy", "-");
        assertThat(fromStdin.exit).isZero();
        assertThat(fromStdin.out).contains("valid: mode testing");
    }

    @Test
    void lintPolicyRejectsAnInvalidPolicySayingWhy() {
        Run run = runWithInput(
                "version: STSv1\nmode: enforcing\nmx: mx.example.com\nmax_age: 86400\n", "lint-policy", "-");

        assertThat(run.exit).isEqualTo(2);
        assertThat(run.out).contains("PROBLEM").contains("enforcing").contains("fix:");
    }

    @Test
    void lintTxtChecksBothKindsOfRecord() {
        assertThat(run("lint-txt", "v=STSv1; id=20261122T1").exit).isZero();
        assertThat(run("lint-txt", "v=TLSRPTv1; rua=mailto:a@example.com,https://r.example.com/v1").exit)
                .isZero();
        assertThat(run("lint-txt", "v=STSv1; id=not-alphanumeric!").exit).isEqualTo(2);
        assertThat(run("lint-txt", "v=spf1 -all").exit).isEqualTo(2);
    }

    // ---- invalid input ----

    @Test
    void invalidInputIsExitCodeOne() throws Exception {
        assertThat(run("check", "not_a..domain").exit).isEqualTo(1);
        assertThat(run("lint-policy", directory.resolve("missing.txt").toString()).exit)
                .isEqualTo(1);
        assertThat(run("frobnicate", "good.test").exit).isEqualTo(1);
        assertThat(run("check").exit).isEqualTo(1);
        Path bad = directory.resolve("bad.properties");
        Files.writeString(bad, "dns.timeout = soon\n");
        Run badConfig = run("check", "good.test", "--config", bad.toString());
        assertThat(badConfig.exit).isEqualTo(1);
        assertThat(badConfig.err).contains("dns.timeout");
    }

    @Test
    void theScriptRunsTheToolAndPassesItsExitCodeOn() throws Exception {
        Process process = new ProcessBuilder(
                        JamesProcess.REPOSITORY.resolve("bin/secure-delivery").toString(), "lint-txt", "v=TLSRPTv1")
                .redirectErrorStream(true)
                .start();
        process.getOutputStream().close();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);

        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as(output).isEqualTo(2);
        assertThat(output).contains("no rua field");
    }

    private static String port() {
        return String.valueOf(WORLD.smtpPort());
    }

    private static Run run(String... args) {
        return runWithInput("", args);
    }

    private static Run runWithInput(String input, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int exit = SecureDeliveryCli.run(
                args,
                new ByteArrayInputStream(input.getBytes(StandardCharsets.UTF_8)),
                new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    private static final class Run {
        final int exit;
        final String out;
        final String err;

        Run(int exit, String out, String err) {
            this.exit = exit;
            this.out = out;
            this.err = err;
        }
    }
}
