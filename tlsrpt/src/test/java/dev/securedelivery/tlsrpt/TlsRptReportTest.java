package dev.securedelivery.tlsrpt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class TlsRptReportTest {
    private static final String DOMAIN = "recipient.example";
    private static final ReportedPolicy STS = ReportedPolicy.sts(DOMAIN,
            "version: STSv1\r\nmode: enforce\r\nmx: *.mail.recipient.example\r\nmax_age: 604800\r\n",
            List.of("*.mail.recipient.example"));
    private static final ReportedPolicy TLSA = ReportedPolicy.tlsa(DOMAIN, "mx3.mail.recipient.example",
            List.of("3 1 1 0c72ac70b745ac19998811b131d662c9ac69dbdbe7cb23e5b514b56664c5d3d6"));

    @Test
    void aDayOfMixedOutcomesIsReportedExactlyAsRfc8460Says() throws IOException {
        SessionCounts counts = new SessionCounts(Duration.ofDays(1));
        Instant day = Instant.parse("2026-11-21T00:00:00Z");
        FailureDetail expired = FailureDetail.builder(ResultType.CERTIFICATE_EXPIRED, "192.0.2.10",
                "mx1.mail.recipient.example", "203.0.113.5").build();
        counts.success(STS, day.plusSeconds(60));
        counts.failure(STS, expired, day.plusSeconds(3_600));
        counts.success(STS, day.plusSeconds(7_200));
        counts.failure(STS, FailureDetail.builder(ResultType.STARTTLS_NOT_SUPPORTED, "192.0.2.10",
                "mx2.mail.recipient.example", "203.0.113.6").receivingMxHelo("relay.recipient.example")
                .additionalInformation("the EHLO reply did not list STARTTLS").build(), day.plusSeconds(9_000));
        counts.failure(STS, expired, day.plusSeconds(80_000));
        counts.success(STS, day.plusSeconds(86_399));
        counts.success(TLSA, day.plusSeconds(10));
        counts.failure(TLSA, FailureDetail.builder(ResultType.TLSA_INVALID, "2001:db8::10",
                "mx3.mail.recipient.example", "2001:db8:1::25").failureReasonCode("leaf-mismatch").build(),
                day.plusSeconds(20));
        counts.success(ReportedPolicy.noPolicyFound(DOMAIN), day.plusSeconds(30));
        // The next day belongs to the next report, another domain to its own.
        counts.failure(STS, expired, day.plusSeconds(86_400));
        counts.success(ReportedPolicy.noPolicyFound("other.example"), day.plusSeconds(40));

        ReportPeriod period = ReportPeriod.dayOf(day.plusSeconds(5));
        TlsRptReport report = new TlsRptReport("Example Sender", "tlsrpt-admin@sender.example",
                "2026-11-21T00:00:00Z_recipient.example", period, counts.of(period, DOMAIN));

        assertThat(report.toJson()).isEqualTo(compact(resource("/report-sts-2026-11-21.json")));
        assertThat(counts.domains(period)).containsExactly("other.example", DOMAIN);
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
