package dev.securedelivery.webadmin;

import static org.assertj.core.api.Assertions.assertThat;

import dev.securedelivery.testing.TlsReportMail;
import dev.securedelivery.tlsrpt.InboundReport;
import dev.securedelivery.tlsrpt.ReceivedReportParser;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class InboundReportsViewTest {
    private static final Instant RECEIVED = Instant.parse("2026-11-30T06:00:00Z");

    private static InboundReport report(String id, long successes, long failures, String resultType) throws Exception {
        String json = TlsReportMail.report("Reporter", id, "ours.test", successes, failures)
                .replace("\"certificate-expired\"", "\"" + resultType + "\"");
        return new InboundReport(ReceivedReportParser.parseJson(json.getBytes(StandardCharsets.UTF_8)), RECEIVED);
    }

    @Test
    void totalsAreExactBeyondALong() throws Exception {
        List<InboundReport> reports =
                List.of(report("1", Long.MAX_VALUE, 0, "certificate-expired"), report("2", 2, 0, "x"));

        Map<String, Object> view = SecureDeliveryViews.inboundReports(null, null, null, reports);

        Map<?, ?> totals = (Map<?, ?>) view.get("totals");
        assertThat(totals.get("reports")).isEqualTo(2);
        assertThat(totals.get("successful-sessions"))
                .isEqualTo(BigInteger.valueOf(Long.MAX_VALUE).add(BigInteger.TWO));
        assertThat(totals.get("failed-sessions")).isEqualTo(BigInteger.ZERO);
        assertThat(view.get("from")).isNull();
    }

    @Test
    void anUnknownResultTypeIsShownAsUnknownWithWhatTheReportSaid() throws Exception {
        Map<String, Object> view = SecureDeliveryViews.inboundReports(
                Instant.parse("2026-11-29T00:00:00Z"), RECEIVED, "ours.test", List.of(report("1", 5, 2, "new-kind")));

        Map<?, ?> report = (Map<?, ?>) ((List<?>) view.get("reports")).get(0);
        assertThat(report.get("received-at")).isEqualTo("2026-11-30T06:00:00Z");
        assertThat(report.get("failed-sessions")).isEqualTo(6L);
        Map<?, ?> policy = (Map<?, ?>) ((List<?>) report.get("policies")).get(0);
        Map<?, ?> unknown = (Map<?, ?>) ((List<?>) policy.get("failure-details")).get(0);
        assertThat(unknown.get("result-type")).isEqualTo("unknown");
        assertThat(unknown.get("reported-result-type")).isEqualTo("new-kind");
        assertThat(unknown.get("failed-session-count")).isEqualTo(2L);
        Map<?, ?> known = (Map<?, ?>) ((List<?>) policy.get("failure-details")).get(1);
        assertThat(known.get("result-type")).isEqualTo("starttls-not-supported");
        assertThat(known.containsKey("reported-result-type")).isFalse();
        assertThat(report.get("failures-by-receiving-mx")).isEqualTo(Map.of("mx1.ours.test", 2L, "mx2.ours.test", 4L));
        assertThat(view.get("domain")).isEqualTo("ours.test");
    }
}
