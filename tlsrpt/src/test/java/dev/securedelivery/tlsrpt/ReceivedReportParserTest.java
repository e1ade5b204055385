package dev.securedelivery.tlsrpt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.Collections;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;

class ReceivedReportParserTest {
    // RFC 8460 4.4's example, as a receiver gets it from a real sender: mx-host as one string (the
    // example's form, erratum 6241), an STS policy, a failure with every field.
    static final String EXAMPLE = "{\n"
            + "  \"organization-name\": \"Company-X\",\n"
            + "  \"date-range\": {\n"
            + "    \"start-datetime\": \"2016-04-01T00:00:00Z\",\n"
            + "    \"end-datetime\": \"2016-04-01T23:59:59Z\"\n"
            + "  },\n"
            + "  \"contact-info\": \"sts-reporting@company-x.example\",\n"
            + "  \"report-id\": \"5065427c-23d3-47ca-b6e0-946ea0e8c4be\",\n"
            + "  \"policies\": [{\n"
            + "    \"policy\": {\n"
            + "      \"policy-type\": \"sts\",\n"
            + "      \"policy-string\": [\"version: STSv1\",\"mode: testing\",\n"
            + "            \"mx: *.mail.company-y.example\",\"max_age: 86400\"],\n"
            + "      \"policy-domain\": \"company-y.example\",\n"
            + "      \"mx-host\": \"*.mail.company-y.example\"\n"
            + "    },\n"
            + "    \"summary\": {\n"
            + "      \"total-successful-session-count\": 5326,\n"
            + "      \"total-failure-session-count\": 303\n"
            + "    },\n"
            + "    \"failure-details\": [{\n"
            + "      \"result-type\": \"certificate-expired\",\n"
            + "      \"sending-mta-ip\": \"2001:db8:abcd:0012::1\",\n"
            + "      \"receiving-mx-hostname\": \"mx1.mail.company-y.example\",\n"
            + "      \"failed-session-count\": 100\n"
            + "    }, {\n"
            + "      \"result-type\": \"starttls-not-supported\",\n"
            + "      \"sending-mta-ip\": \"2001:db8:abcd:0013::1\",\n"
            + "      \"receiving-mx-hostname\": \"mx2.mail.company-y.example\",\n"
            + "      \"receiving-ip\": \"203.0.113.56\",\n"
            + "      \"failed-session-count\": 200,\n"
            + "      \"additional-information\": \"https://reports.company-x.example/report_info?id=5065427c-23d3#StarttlsNotSupported\"\n"
            + "    }, {\n"
            + "      \"result-type\": \"validation-failure\",\n"
            + "      \"sending-mta-ip\": \"198.51.100.62\",\n"
            + "      \"receiving-ip\": \"203.0.113.58\",\n"
            + "      \"receiving-mx-hostname\": \"mx-backup.mail.company-y.example\",\n"
            + "      \"failed-session-count\": 3,\n"
            + "      \"failure-error-code\": \"X509_V_ERR_PROXY_PATH_LENGTH_EXCEEDED\"\n"
            + "    }]\n"
            + "  }]\n"
            + "}";

    @Test
    void readsTheRfcExampleFieldByField() throws Exception {
        ReceivedReport report = ReceivedReportParser.parseJson(bytes(EXAMPLE));

        assertThat(report.organizationName()).isEqualTo("Company-X");
        assertThat(report.contactInfo()).isEqualTo("sts-reporting@company-x.example");
        assertThat(report.reportId()).isEqualTo("5065427c-23d3-47ca-b6e0-946ea0e8c4be");
        assertThat(report.start()).isEqualTo(Instant.parse("2016-04-01T00:00:00Z"));
        assertThat(report.end()).isEqualTo(Instant.parse("2016-04-01T23:59:59Z"));
        assertThat(report.policies()).hasSize(1);
        ReceivedPolicy policy = report.policies().get(0);
        assertThat(policy.policy().type()).isEqualTo(PolicyType.STS);
        assertThat(policy.policy().policyDomain()).isEqualTo("company-y.example");
        assertThat(policy.policy().mxHosts()).containsExactly("*.mail.company-y.example");
        assertThat(policy.policy().policyStrings()).hasSize(4).startsWith("version: STSv1");
        assertThat(policy.successfulSessions()).isEqualTo(5326);
        assertThat(policy.failedSessions()).isEqualTo(303);
        assertThat(report.successfulSessions()).isEqualTo(5326);
        assertThat(report.failedSessions()).isEqualTo(303);
        assertThat(policy.failures()).hasSize(3);
        ReceivedFailure expired = policy.failures().get(0);
        assertThat(expired.resultType()).contains(ResultType.CERTIFICATE_EXPIRED);
        // RFC 5952 form, as the sender's own reports write it.
        assertThat(expired.sendingMtaIp()).contains("2001:db8:abcd:12::1");
        assertThat(expired.receivingMxHostname()).contains("mx1.mail.company-y.example");
        assertThat(expired.receivingIp()).isEmpty();
        assertThat(expired.failedSessions()).isEqualTo(100);
        ReceivedFailure starttls = policy.failures().get(1);
        assertThat(starttls.receivingIp()).contains("203.0.113.56");
        assertThat(starttls.additionalInformation())
                .hasValueSatisfying(uri -> assertThat(uri).startsWith("https://"));
        // The example's misspelt failure-error-code is a field the RFC does not name: ignored.
        assertThat(policy.failures().get(2).failureReasonCode()).isEmpty();
    }

    @Test
    void aGzipBodyIsTheSameReport() throws Exception {
        assertThat(ReceivedReportParser.parseGzip(gzip(bytes(EXAMPLE))))
                .isEqualTo(ReceivedReportParser.parseJson(bytes(EXAMPLE)));
    }

    @Test
    void theReportsOwnJsonReadsBackToTheSameReport() throws Exception {
        ReceivedReport report = ReceivedReportParser.parseJson(bytes(EXAMPLE));

        assertThat(ReceivedReportParser.parseJson(bytes(Json.write(report.toJson()))))
                .isEqualTo(report);
    }

    @Test
    void anUnregisteredResultTypeIsKeptAsUnknown() throws Exception {
        ReceivedReport report = ReceivedReportParser.parseJson(
                bytes(EXAMPLE.replace("\"certificate-expired\"", "\"quantum-decoherence\"")));

        ReceivedFailure failure = report.policies().get(0).failures().get(0);
        assertThat(failure.resultType()).isEmpty();
        assertThat(failure.resultTypeName()).isEqualTo("unknown");
        assertThat(failure.reportedResultType()).isEqualTo("quantum-decoherence");
        assertThat(failure.failedSessions()).isEqualTo(100);
    }

    @Test
    void peerTextIsStrippedOfControlCharactersAndCapped() throws Exception {
        ReceivedReport report = ReceivedReportParser.parseJson(
                bytes(EXAMPLE.replace("\"Company-X\"", "\"Evil\\r\\nX-Injected: yes\\u0000\"")
                        .replace("\"mx1.mail.company-y.example\"", "\"" + "m".repeat(5000) + "\"")));

        assertThat(report.organizationName()).isEqualTo("Evil X-Injected: yes");
        assertThat(report.policies()
                        .get(0)
                        .failures()
                        .get(0)
                        .receivingMxHostname()
                        .orElseThrow())
                .hasSize(ReceivedReportParser.MAX_NAME_LENGTH)
                .endsWith("\u2026");
    }

    @Test
    void aReportIdTooLongToIdentifyTheReportIsRefused() {
        assertMalformed(
                EXAMPLE.replace("5065427c-23d3-47ca-b6e0-946ea0e8c4be", "x".repeat(300)),
                "report-id is longer than 256");
    }

    @Test
    void missingRequiredFieldsAreNamed() {
        assertMalformed(EXAMPLE.replace("\"report-id\"", "\"report-ID\""), "report-id is missing");
        assertMalformed(EXAMPLE.replace("\"contact-info\"", "\"contact\""), "contact-info is missing");
        assertMalformed(
                EXAMPLE.replace("\"total-successful-session-count\"", "\"successes\""),
                "policies[0].summary.total-successful-session-count is missing");
        assertMalformed(EXAMPLE.replace("\"policy-domain\"", "\"domain\""), "policies[0].policy.policy-domain");
        assertMalformed("[]", "not a JSON object");
        assertMalformed("", "ends early");
    }

    @Test
    void countsMustBeWholeNumbersThatFitALong() {
        assertMalformed(EXAMPLE.replace("5326", "9223372036854775808"), "out of range");
        assertMalformed(EXAMPLE.replace("5326", "-1"), "out of range");
        assertMalformed(EXAMPLE.replace("5326", "53.26"), "not a whole number");
        assertMalformed(EXAMPLE.replace("5326", "5e3"), "not a whole number");
        assertMalformed(EXAMPLE.replace("5326", "\"5326\""), "not a whole number");
        assertMalformed(EXAMPLE.replace("5326", "1" + "0".repeat(100)), "number longer than");
        assertMalformed(EXAMPLE.replace("5326", "05326"), "leading zero");
    }

    @Test
    void countsWhoseSumOverflowsAreRefused() {
        String policy = EXAMPLE.substring(EXAMPLE.indexOf("{\n    \"policy\""), EXAMPLE.lastIndexOf(']'))
                .replace("5326", String.valueOf(Long.MAX_VALUE));
        String twoPolicies =
                EXAMPLE.substring(0, EXAMPLE.indexOf("{\n    \"policy\"")) + policy + "," + policy + "]\n}";

        assertMalformed(twoPolicies, "add up beyond");
        assertThat(Long.MAX_VALUE)
                .isEqualTo(parseOrFail(EXAMPLE.replace("5326", String.valueOf(Long.MAX_VALUE)))
                        .successfulSessions());
    }

    @Test
    void failureCountsWhoseSumOverflowsAreRefused() {
        String huge = String.valueOf(Long.MAX_VALUE);
        assertMalformed(
                EXAMPLE.replace("\"failed-session-count\": 100", "\"failed-session-count\": " + huge)
                        .replace("\"failed-session-count\": 200", "\"failed-session-count\": " + huge),
                "failed-session-counts add up beyond");
    }

    @Test
    void aLoneSurrogateIsRefusedAndAPairIsOneCharacter() throws Exception {
        assertMalformed(EXAMPLE.replace("Company-X", "Company\\ud800X"), "unpaired surrogate");
        assertMalformed(EXAMPLE.replace("Company-X", "Company\\udc00X"), "unpaired surrogate");
        assertThat(parseOrFail(EXAMPLE.replace("Company-X", "Company\\ud83d\\ude00X"))
                        .organizationName())
                .isEqualTo("Company\ud83d\ude00X");
    }

    @Test
    void hostNamesAreLowerCasedBeforeTheyAreCapped() throws Exception {
        // U+0130 lower-cases to two characters: capped first, the name could come out twice as long.
        ReceivedReport report = parseOrFail(EXAMPLE.replace("mx1.mail.company-y.example", "\u0130".repeat(1000)));
        assertThat(report.policies()
                        .get(0)
                        .failures()
                        .get(0)
                        .receivingMxHostname()
                        .orElseThrow()
                        .length())
                .isLessThanOrEqualTo(ReceivedReportParser.MAX_NAME_LENGTH);
    }

    @Test
    void datesMustBeRfc3339WithTheEndNotBeforeTheStart() throws Exception {
        assertMalformed(EXAMPLE.replace("2016-04-01T00:00:00Z", "2016-04-01"), "not an RFC 3339 date-time");
        assertMalformed(EXAMPLE.replace("2016-04-01T00:00:00Z", "yesterday"), "not an RFC 3339 date-time");
        assertMalformed(EXAMPLE.replace("2016-04-01T00:00:00Z", "2016-02-30T00:00:00Z"), "not an RFC 3339");
        assertMalformed(EXAMPLE.replace("2016-04-01T00:00:00Z", "2016-04-02T00:00:00Z"), "is before start-datetime");
        // RFC 3339 5.6: offsets and fractions are allowed; lower-case t and z too (5.6's NOTE).
        ReceivedReport report = parseOrFail(EXAMPLE.replace("2016-04-01T00:00:00Z", "2016-03-31t22:00:00.5+02:00")
                .replace("2016-04-01T23:59:59Z", "2016-04-01t23:59:59z"));
        assertThat(report.start()).isEqualTo(Instant.parse("2016-03-31T20:00:00.5Z"));
    }

    @Test
    void policyTypesAndAddressesAreChecked() {
        assertMalformed(EXAMPLE.replace("\"sts\"", "\"dmarc\""), "policy-type \"dmarc\" is none of");
        assertMalformed(EXAMPLE.replace("\"203.0.113.56\"", "\"mx.example\""), "receiving-ip: \"mx.example\" is not");
        assertMalformed(EXAMPLE.replace("\"198.51.100.62\"", "\"300.1.1.1\""), "is not an IP address");
        assertMalformed(EXAMPLE.replace("\"company-y.example\"", "\"company y.example\""), "is not a domain name");
    }

    @Test
    void jsonThatIsNotStrictlyJsonIsRefused() {
        assertMalformed(EXAMPLE.replace("\"report-id\"", "\"organization-name\""), "appears twice");
        assertMalformed(EXAMPLE + "{}", "unexpected text after");
        assertMalformed(EXAMPLE.substring(0, EXAMPLE.length() / 2), "JSON");
        assertMalformed(EXAMPLE.replace("\"Company-X\"", "'Company-X'"), "unexpected character");
        assertMalformed(EXAMPLE.replace("Company-X", "Company\tX"), "unescaped control character");
        assertMalformed(EXAMPLE.replace("Company-X", "Company\\qX"), "unknown escape");
    }

    @Test
    void bytesThatAreNotUtf8AreRefused() {
        byte[] json = bytes(EXAMPLE);
        int at = EXAMPLE.indexOf("Company-X");
        json[at] = (byte) 0xc3;
        json[at + 1] = (byte) 0x28;

        assertThatThrownBy(() -> ReceivedReportParser.parseJson(json))
                .isInstanceOf(MalformedReportException.class)
                .hasMessageContaining("not UTF-8");
    }

    @Test
    void deepNestingAndHugeArraysStopAtTheirCaps() {
        String deep = "[".repeat(BoundedJsonReader.MAX_DEPTH + 1) + "]".repeat(BoundedJsonReader.MAX_DEPTH + 1);
        assertMalformed(
                EXAMPLE.replace("\"contact-info\"", "\"nested\": " + deep + ", \"contact-info\""),
                "nested deeper than 16");

        String manyPolicies = EXAMPLE.substring(0, EXAMPLE.indexOf("[{\n    \"policy\"")) + "["
                + String.join(",", Collections.nCopies(ReceivedReportParser.MAX_POLICIES + 1, "{}"))
                + "]}";
        assertMalformed(manyPolicies, "policies has more than 1000 entries");

        String values = "[" + "0,".repeat(BoundedJsonReader.MAX_VALUES) + "0]";
        assertMalformed(
                EXAMPLE.replace("\"contact-info\"", "\"junk\": " + values + ", \"contact-info\""),
                "more than 200000 JSON values");

        String detail = "{\"result-type\": \"certificate-expired\", \"failed-session-count\": 1}";
        String details = "[" + String.join(",", Collections.nCopies(5001, detail)) + "]";
        String policy = "{\"policy\": {\"policy-type\": \"no-policy-found\", \"policy-domain\": \"a.example\"},"
                + " \"summary\": {\"total-successful-session-count\": 0, \"total-failure-session-count\": 5001},"
                + " \"failure-details\": " + details + "}";
        assertMalformed(
                EXAMPLE.substring(0, EXAMPLE.indexOf("[{\n    \"policy\"")) + "[" + policy + "," + policy + "]}",
                "more than 10000 failure-details");
    }

    @Test
    void aGzipBombStopsAtTheDecompressedCap() {
        byte[] bomb = new byte[ReceivedReportParser.MAX_JSON_BYTES + 1];
        Arrays.fill(bomb, (byte) ' ');
        byte[] compressed = gzip(bomb);
        assertThat(compressed.length).isLessThan(ReceivedReportParser.MAX_COMPRESSED_BYTES);

        assertThatThrownBy(() -> ReceivedReportParser.parseGzip(compressed))
                .isInstanceOf(MalformedReportException.class)
                .hasMessage("the report decompresses to more than 16777216 bytes");
    }

    @Test
    void oversizedTruncatedAndNonGzipBodiesAreRefused() {
        byte[] gzip = gzip(bytes(EXAMPLE));
        assertThatThrownBy(() -> ReceivedReportParser.parseGzip(Arrays.copyOf(gzip, gzip.length - 12)))
                .isInstanceOf(MalformedReportException.class)
                .hasMessage("the gzip data is truncated");
        assertThatThrownBy(() -> ReceivedReportParser.parseGzip(bytes(EXAMPLE)))
                .isInstanceOf(MalformedReportException.class)
                .hasMessageStartingWith("not gzip data");
        assertThatThrownBy(
                        () -> ReceivedReportParser.parseGzip(new byte[ReceivedReportParser.MAX_COMPRESSED_BYTES + 1]))
                .isInstanceOf(MalformedReportException.class)
                .hasMessage("the compressed report is larger than 1048576 bytes");
        assertThatThrownBy(() -> ReceivedReportParser.parseJson(new byte[ReceivedReportParser.MAX_JSON_BYTES + 1]))
                .isInstanceOf(MalformedReportException.class)
                .hasMessage("the report's JSON is larger than 16777216 bytes");
    }

    @Test
    void readAtMostRefusesOneByteMore() throws Exception {
        assertThat(ReceivedReportParser.readAtMost(new ByteArrayInputStream(new byte[10]), 10, "the part"))
                .hasSize(10);
        assertThatThrownBy(
                        () -> ReceivedReportParser.readAtMost(new ByteArrayInputStream(new byte[11]), 10, "the part"))
                .isInstanceOf(MalformedReportException.class)
                .hasMessage("the part is larger than 10 bytes");
    }

    private static ReceivedReport parseOrFail(String json) {
        try {
            return ReceivedReportParser.parseJson(bytes(json));
        } catch (MalformedReportException e) {
            throw new AssertionError(e.getMessage(), e);
        }
    }

    private static void assertMalformed(String json, String problem) {
        assertThatThrownBy(() -> ReceivedReportParser.parseJson(bytes(json)))
                .isInstanceOf(MalformedReportException.class)
                .hasMessageContaining(problem);
    }

    static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    static byte[] gzip(byte[] bytes) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gzip = new GZIPOutputStream(out)) {
            gzip.write(bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }
}
