package dev.securedelivery.tlsrpt;

import static org.assertj.core.api.Assertions.assertThat;

import dev.securedelivery.testing.HostileBytes;
import dev.securedelivery.testing.HostileText;
import dev.securedelivery.testing.TlsReportSchema;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * The received-report parser against reports the JSON Schema of RFC 8460 4.4 accepts (each read
 * field by field, with exact counts) and against those reports edited at random, gzipped or not:
 * every input ends in a report or a {@link MalformedReportException}, and whatever comes out is fit
 * for a log line.
 */
class ReceivedReportParserPropertyTest {

    @Property(tries = 300)
    void everyValidReportIsReadWithItsExactCounts(@ForAll("reports") Map<String, Object> json) throws Exception {
        String text = TlsReportSchema.check(Json.write(json));

        ReceivedReport report = ReceivedReportParser.parseJson(text.getBytes(StandardCharsets.UTF_8));

        assertThat(report.organizationName()).isEqualTo(json.get("organization-name"));
        assertThat(report.reportId()).isEqualTo(json.get("report-id"));
        Map<?, ?> range = (Map<?, ?>) json.get("date-range");
        assertThat(report.start()).isEqualTo(Instant.parse((String) range.get("start-datetime")));
        assertThat(report.end()).isEqualTo(Instant.parse((String) range.get("end-datetime")));
        List<?> policies = (List<?>) json.get("policies");
        assertThat(report.policies()).hasSize(policies.size());
        for (int i = 0; i < policies.size(); i++) {
            Map<?, ?> expected = (Map<?, ?>) policies.get(i);
            ReceivedPolicy actual = report.policies().get(i);
            Map<?, ?> policy = (Map<?, ?>) expected.get("policy");
            Map<?, ?> summary = (Map<?, ?>) expected.get("summary");
            assertThat(actual.policy().type().reportName()).isEqualTo(policy.get("policy-type"));
            assertThat(actual.policy().policyDomain()).isEqualTo(policy.get("policy-domain"));
            assertThat(actual.successfulSessions()).isEqualTo(summary.get("total-successful-session-count"));
            assertThat(actual.failedSessions()).isEqualTo(summary.get("total-failure-session-count"));
            List<?> details =
                    expected.containsKey("failure-details") ? (List<?>) expected.get("failure-details") : List.of();
            assertThat(actual.failures()).hasSize(details.size());
            for (int j = 0; j < details.size(); j++) {
                Map<?, ?> detail = (Map<?, ?>) details.get(j);
                ReceivedFailure failure = actual.failures().get(j);
                assertThat(failure.resultTypeName()).isEqualTo(detail.get("result-type"));
                assertThat(failure.failedSessions()).isEqualTo(detail.get("failed-session-count"));
                assertThat(failure.receivingMxHostname()).contains((String) detail.get("receiving-mx-hostname"));
                assertThat(failure.sendingMtaIp()).contains((String) detail.get("sending-mta-ip"));
            }
        }
        // The form reports are stored in reads back to the same report, gzipped or not.
        byte[] own = Json.write(report.toJson()).getBytes(StandardCharsets.UTF_8);
        assertThat(ReceivedReportParser.parseJson(own)).isEqualTo(report);
        assertThat(ReceivedReportParser.parseGzip(ReceivedReportParserTest.gzip(own)))
                .isEqualTo(report);
    }

    @Property
    void everyEditedReportIsAReportOrMalformed(@ForAll("editedReports") byte[] json) {
        check(json, false);
    }

    @Property(tries = 300)
    void everyEditedGzipBodyIsAReportOrMalformed(@ForAll("editedGzipBodies") byte[] gzip) {
        check(gzip, true);
    }

    /** Fails unless {@code body} reads to a log-safe report or to a log-safe {@link MalformedReportException}. */
    static void check(byte[] body, boolean gzip) {
        try {
            ReceivedReport report = gzip ? ReceivedReportParser.parseGzip(body) : ReceivedReportParser.parseJson(body);
            HostileText.assertLogSafe("organization-name", report.organizationName(), true);
            HostileText.assertLogSafe("report-id", report.reportId(), true);
            HostileText.assertLogSafe("contact-info", report.contactInfo(), true);
            for (ReceivedPolicy policy : report.policies()) {
                HostileText.assertLogSafe("policy-domain", policy.policy().policyDomain(), true);
                policy.policy().mxHosts().forEach(host -> HostileText.assertLogSafe("mx-host", host, true));
                policy.policy().policyStrings().forEach(line -> HostileText.assertLogSafe("policy-string", line, true));
                for (ReceivedFailure failure : policy.failures()) {
                    HostileText.assertLogSafe("result-type", failure.reportedResultType(), true);
                    failure.receivingMxHostname().ifPresent(host -> HostileText.assertLogSafe("mx", host, true));
                    failure.receivingMxHelo().ifPresent(helo -> HostileText.assertLogSafe("helo", helo, true));
                    failure.failureReasonCode().ifPresent(code -> HostileText.assertLogSafe("code", code, true));
                    failure.additionalInformation().ifPresent(uri -> HostileText.assertLogSafe("info", uri, true));
                    assertThat(failure.failedSessions()).isNotNegative();
                }
                assertThat(policy.successfulSessions()).isNotNegative();
                assertThat(policy.failedSessions()).isNotNegative();
            }
        } catch (MalformedReportException e) {
            HostileText.assertLogSafe("the message", e.getMessage(), true);
        }
    }

    @Provide
    Arbitrary<byte[]> editedReports() {
        return HostileBytes.hostile(reports().map(json -> Json.write(json).getBytes(StandardCharsets.UTF_8)));
    }

    @Provide
    Arbitrary<byte[]> editedGzipBodies() {
        Arbitrary<byte[]> gzipped = editedReports().map(ReceivedReportParserTest::gzip);
        return Arbitraries.oneOf(gzipped, HostileBytes.mutationsOf(gzipped));
    }

    @Provide
    Arbitrary<Map<String, Object>> reports() {
        Arbitrary<String> organization =
                Arbitraries.strings().withCharRange('A', 'z').ofMinLength(1).ofMaxLength(30);
        Arbitrary<String> reportId = Arbitraries.strings()
                .withCharRange('a', 'f')
                .numeric()
                .withChars('-')
                .ofMinLength(1)
                .ofMaxLength(40)
                .filter(id -> !id.isBlank());
        Arbitrary<Instant> start = Arbitraries.longs()
                .between(
                        Instant.parse("2000-01-01T00:00:00Z").getEpochSecond(),
                        Instant.parse("2100-01-01T00:00:00Z").getEpochSecond())
                .map(Instant::ofEpochSecond);
        Arbitrary<Long> length = Arbitraries.longs().between(0, 7 * 86400);
        return Combinators.combine(
                        organization, reportId, start, length, policy().list().ofMaxSize(5))
                .as((name, id, from, seconds, policies) -> {
                    Map<String, Object> json = new LinkedHashMap<>();
                    json.put("organization-name", name);
                    Map<String, Object> range = new LinkedHashMap<>();
                    range.put("start-datetime", from.toString());
                    range.put("end-datetime", from.plusSeconds(seconds).toString());
                    json.put("date-range", range);
                    json.put("contact-info", "tlsrpt@reporter.example");
                    json.put("report-id", id);
                    json.put("policies", policies);
                    return json;
                });
    }

    private static Arbitrary<String> domains() {
        return Arbitraries.strings()
                .withCharRange('a', 'z')
                .numeric()
                .ofMinLength(1)
                .ofMaxLength(10)
                .list()
                .ofMinSize(2)
                .ofMaxSize(3)
                .map(labels -> String.join(".", labels));
    }

    private static Arbitrary<String> addresses() {
        return Arbitraries.integers().between(0, 255).list().ofSize(4).map(octets -> {
            List<String> texts = new ArrayList<>();
            octets.forEach(octet -> texts.add(String.valueOf(octet)));
            return String.join(".", texts);
        });
    }

    private static Arbitrary<Map<String, Object>> failure() {
        return Combinators.combine(
                        Arbitraries.of(ResultType.class),
                        addresses(),
                        domains(),
                        addresses().injectNull(0.3),
                        Arbitraries.longs().between(1, 1_000_000_000_000L))
                .as((type, sending, mx, receiving, count) -> {
                    Map<String, Object> json = new LinkedHashMap<>();
                    json.put("result-type", type.reportName());
                    json.put("sending-mta-ip", sending);
                    json.put("receiving-mx-hostname", mx);
                    if (receiving != null) {
                        json.put("receiving-ip", receiving);
                    }
                    json.put("failed-session-count", count);
                    return json;
                });
    }

    private static Arbitrary<Map<String, Object>> policy() {
        return Combinators.combine(
                        Arbitraries.of(PolicyType.class),
                        domains(),
                        Arbitraries.longs().between(0, 1_000_000_000_000_000L),
                        failure().list().ofMaxSize(4))
                .as((type, domain, successes, failures) -> {
                    Map<String, Object> policy = new LinkedHashMap<>();
                    policy.put("policy-type", type.reportName());
                    if (type == PolicyType.STS) {
                        policy.put(
                                "policy-string",
                                List.of("version: STSv1", "mode: enforce", "mx: mx." + domain, "max_age: 86400"));
                    } else if (type == PolicyType.TLSA) {
                        policy.put("policy-string", List.of("3 1 1 0123456789abcdef"));
                    }
                    policy.put("policy-domain", domain);
                    if (type != PolicyType.NO_POLICY_FOUND) {
                        policy.put("mx-host", List.of("mx." + domain));
                    }
                    long failed = 0;
                    for (Map<String, Object> failure : failures) {
                        failed += (Long) failure.get("failed-session-count");
                    }
                    Map<String, Object> summary = new LinkedHashMap<>();
                    summary.put("total-successful-session-count", successes);
                    summary.put("total-failure-session-count", failed);
                    Map<String, Object> json = new LinkedHashMap<>();
                    json.put("policy", policy);
                    json.put("summary", summary);
                    if (!failures.isEmpty()) {
                        json.put("failure-details", failures);
                    }
                    return json;
                });
    }
}
