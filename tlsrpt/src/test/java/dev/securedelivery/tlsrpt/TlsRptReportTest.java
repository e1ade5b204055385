package dev.securedelivery.tlsrpt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.securedelivery.testing.TlsReportSchema;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class TlsRptReportTest {
    private static final String DOMAIN = "recipient.example";
    private static final ReportedPolicy STS = ReportedPolicy.sts(
            DOMAIN,
            "version: STSv1\r\nmode: enforce\r\nmx: *.mail.recipient.example\r\nmax_age: 604800\r\n",
            List.of("*.mail.recipient.example"));
    // RFC 8460 4.4: a DANE policy's domain is the TLSA base domain, the MX host's own.
    private static final String MX3 = "mx3.mail.recipient.example";
    private static final ReportedPolicy TLSA = ReportedPolicy.tlsa(
            MX3, MX3, List.of("3 1 1 0c72ac70b745ac19998811b131d662c9ac69dbdbe7cb23e5b514b56664c5d3d6"));

    @Test
    void aDayOfMixedOutcomesIsReportedExactlyAsRfc8460Says() throws IOException {
        SessionCounts counts = new SessionCounts(Duration.ofDays(1));
        Instant day = Instant.parse("2026-11-21T00:00:00Z");
        FailureDetail expired = FailureDetail.builder(
                        ResultType.CERTIFICATE_EXPIRED, "192.0.2.10", "mx1.mail.recipient.example", "203.0.113.5")
                .build();
        counts.success(STS, day.plusSeconds(60));
        counts.failure(STS, expired, day.plusSeconds(3_600));
        counts.success(STS, day.plusSeconds(7_200));
        counts.failure(
                STS,
                FailureDetail.builder(
                                ResultType.STARTTLS_NOT_SUPPORTED,
                                "192.0.2.10",
                                "mx2.mail.recipient.example",
                                "203.0.113.6")
                        .receivingMxHelo("relay.recipient.example")
                        .additionalInformation("https://sender.example/tlsrpt/starttls-not-supported")
                        .build(),
                day.plusSeconds(9_000));
        counts.failure(STS, expired, day.plusSeconds(80_000));
        counts.success(STS, day.plusSeconds(86_399));
        counts.success(TLSA, day.plusSeconds(10));
        counts.failure(
                TLSA,
                FailureDetail.builder(ResultType.TLSA_INVALID, "2001:db8::10", MX3, "2001:db8:1::25")
                        .failureReasonCode("leaf-mismatch")
                        .build(),
                day.plusSeconds(20));
        counts.success(ReportedPolicy.noPolicyFound(DOMAIN), day.plusSeconds(30));
        // The next day belongs to the next report, another domain to its own.
        counts.failure(STS, expired, day.plusSeconds(86_400));
        counts.success(ReportedPolicy.noPolicyFound("other.example"), day.plusSeconds(40));

        ReportPeriod period = ReportPeriod.dayOf(day.plusSeconds(5));
        TlsRptReport report = new TlsRptReport(
                "Example Sender",
                "tlsrpt-admin@sender.example",
                "2026-11-21T00:00:00Z_recipient.example",
                period,
                counts.of(period, DOMAIN));

        assertThat(TlsReportSchema.check(report.toJson())).isEqualTo(compact(resource("/report-sts-2026-11-21.json")));
        TlsRptReport dane = new TlsRptReport(
                "Example Sender",
                "tlsrpt-admin@sender.example",
                "2026-11-21T00:00:00Z_" + MX3,
                period,
                counts.of(period, MX3));
        assertThat(TlsReportSchema.check(dane.toJson())).isEqualTo(compact(resource("/report-tlsa-2026-11-21.json")));
        assertThat(counts.domains(period)).containsExactly(MX3, "other.example", DOMAIN);
    }

    @Test
    void anMtaStsPolicyIsQuotedLineByLineAsServed() {
        // Extension fields, the order, odd spacing and a max_age over the limit stay as the domain wrote them.
        ReportedPolicy policy = ReportedPolicy.sts(
                DOMAIN,
                "version: STSv1\r\nmx:\t*.mail.recipient.example \r\n"
                        + "mode: enforce\r\nmax_age: 9999999999\r\nowner_note: ops@recipient.example\r\n\r\n",
                List.of("*.mail.recipient.example"));

        assertThat(policy.policyStrings())
                .containsExactly(
                        "version: STSv1",
                        "mx:\t*.mail.recipient.example ",
                        "mode: enforce",
                        "max_age: 9999999999",
                        "owner_note: ops@recipient.example");
    }

    @Test
    void anMtaStsPolicyThatCouldNotBeHadIsAnStsPolicyWithoutText() {
        ReportedPolicy unavailable = ReportedPolicy.stsUnavailable(DOMAIN);
        Map<ReportedPolicy, PolicyResults> results = new java.util.LinkedHashMap<>();
        SessionCounts counts = new SessionCounts(Duration.ofDays(1));
        Instant at = Instant.parse("2026-11-21T10:00:00Z");
        counts.failure(
                unavailable,
                FailureDetail.builder(
                                ResultType.STS_POLICY_FETCH_ERROR,
                                "192.0.2.10",
                                "mx1.mail.recipient.example",
                                "203.0.113.5")
                        .failureReasonCode("HTTP 404")
                        .build(),
                at);
        results.putAll(counts.of(ReportPeriod.dayOf(at), DOMAIN));

        assertThat(Json.write(unavailable.toJson()))
                .isEqualTo("{\"policy-type\":\"sts\",\"policy-domain\":\"recipient.example\"}");
        TlsReportSchema.check(
                new TlsRptReport("Example Sender", "tlsrpt-admin@sender.example", "id", ReportPeriod.dayOf(at), results)
                        .toJson());
    }

    @ParameterizedTest
    @CsvSource({
        "192.0.2.10, 192.0.2.10",
        "2001:0db8:0000:0000:0000:0000:0000:0001, 2001:db8::1",
        "2001:db8:0:0:1:0:0:1, 2001:db8::1:0:0:1",
        "2001:db8:0:1:1:1:1:1, 2001:db8:0:1:1:1:1:1",
        "0:0:0:0:0:0:0:1, ::1",
        "fe80:0:0:0:0:0:0:0, fe80::",
        "2001:DB8:0:0:0:0:ABCD:0, 2001:db8::abcd:0"
    })
    void addressesAreWrittenInTheirCanonicalForm(String written, String canonical) throws Exception {
        // RFC 5952 4: lower case, no leading zeros, the longest (first) run of zero groups as "::".
        assertThat(FailureDetail.address(InetAddress.getByName(written))).isEqualTo(canonical);
    }

    @Test
    void theSchemaRefusesWhatRfc8460DoesNotAllow() throws IOException {
        String valid = compact(resource("/report-sts-2026-11-21.json"));
        assertThat(TlsReportSchema.violations(valid)).isEmpty();

        assertThat(TlsReportSchema.violations(
                        valid.replace("\"contact-info\":\"tlsrpt-admin@sender.example\"", "\"contact-info\":null")))
                .isNotEmpty();
        assertThat(TlsReportSchema.violations(valid.replace(
                        "\"contact-info\":\"tlsrpt-admin@sender.example\"",
                        "\"contact-info\":\"https://sender.example/\"")))
                .as("an address, 4.4")
                .isNotEmpty();
        assertThat(TlsReportSchema.violations(valid.replace(
                        "\"mx-host\":[\"*.mail.recipient.example\"]", "\"mx-host\":\"*.mail.recipient.example\"")))
                .as("erratum 6241: a list")
                .isNotEmpty();
        assertThat(TlsReportSchema.violations(
                        valid.replace("\"sending-mta-ip\":\"192.0.2.10\"", "\"sending-mta-ip\":\"192.0.2.300\"")))
                .isNotEmpty();
        assertThat(TlsReportSchema.violations(valid.replace(
                        "\"result-type\":\"certificate-expired\"", "\"result-type\":\"certificate-problem\"")))
                .isNotEmpty();
        assertThat(TlsReportSchema.violations(valid.replace("\"failure-reason-code\"", "\"failure-error-code\"")
                        .replace("\"additional-information\"", "\"failure-error-code\"")))
                .isNotEmpty();
        assertThat(TlsReportSchema.violations(valid.replace(
                        "\"additional-information\":\"https://sender.example" + "/tlsrpt/starttls-not-supported\"",
                        "\"additional-information\":\"see the logs\"")))
                .as("a URI")
                .isNotEmpty();
        assertThat(TlsReportSchema.violations(valid.replace(
                        "\"end-datetime\":\"2026-11-21T23:59:59Z\"", "\"end-datetime\":\"2026-11-21 23:59:59\"")))
                .isNotEmpty();
        assertThat(TlsReportSchema.violations(
                        valid.replace("\"total-failure-session-count\":3", "\"total-failure-session-count\":4")))
                .singleElement()
                .asString()
                .contains("not the sum of its failure-details");
        assertThat(TlsReportSchema.violations(valid.replace(
                        "{\"policy-type\":\"no-policy-found\",",
                        "{\"policy-type\":\"no-policy-found\",\"policy-string\":[\"x\"],")))
                .isNotEmpty();
    }

    @Test
    void noPolicyFoundStillNamesItsPolicyDomain() {
        assertThat(Json.write(ReportedPolicy.noPolicyFound(DOMAIN).toJson()))
                .isEqualTo("{\"policy-type\":\"no-policy-found\",\"policy-domain\":\"recipient.example\"}");
    }

    @Test
    void aReportWithoutContactInfoIsRefusedNotWrittenWithNull() {
        ReportPeriod period = ReportPeriod.dayOf(Instant.parse("2026-11-21T10:00:00Z"));

        assertThatThrownBy(() -> new TlsRptReport("Example Sender", null, "id", period, java.util.Map.of()))
                .hasMessageContaining("contactInfo is required");
    }

    @Test
    void periodsDivideTheUtcDay() {
        ReportPeriod sixHours = ReportPeriod.containing(Instant.parse("2026-11-21T13:05:00Z"), Duration.ofHours(6));

        assertThat(sixHours.start()).isEqualTo(Instant.parse("2026-11-21T12:00:00Z"));
        assertThat(sixHours.end()).isEqualTo(Instant.parse("2026-11-21T18:00:00Z"));
        assertThat(sixHours.next().start()).isEqualTo(sixHours.end());
        assertThatThrownBy(() -> ReportPeriod.containing(Instant.EPOCH, Duration.ofHours(7)))
                .hasMessageContaining("divide a day evenly");
    }

    private static String resource(String name) throws IOException {
        try (InputStream in = TlsRptReportTest.class.getResourceAsStream(name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    // The expected file is pretty-printed for people: drop the whitespace outside strings.
    private static String compact(String json) {
        StringBuilder out = new StringBuilder();
        boolean inString = false;
        for (int i = 0; i < json.length(); i++) {
            char c = json.charAt(i);
            if (c == '"' && (i == 0 || json.charAt(i - 1) != '\\')) {
                inString = !inString;
            }
            if (inString || !Character.isWhitespace(c)) {
                out.append(c);
            }
        }
        return out.toString();
    }
}
