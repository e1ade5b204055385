package dev.securedelivery.tlsrpt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class TlsRptRecordTest {
    @Test
    void theExampleOfRfc8460Parses() throws Exception {
        TlsRptRecord record = TlsRptRecord.parse("v=TLSRPTv1;rua=mailto:reports@example.com");

        assertThat(record.reportUris()).containsExactly(URI.create("mailto:reports@example.com"));
    }

    @Test
    void severalReportUrisAndExtensionsAreKeptInOrder() throws Exception {
        TlsRptRecord record = TlsRptRecord.parse(
                "v=TLSRPTv1; rua=mailto:tlsrpt@example.com, https://reports.example.com/v1 ; ext_1=yes;");

        assertThat(record.reportUris())
                .containsExactly(URI.create("mailto:tlsrpt@example.com"), URI.create("https://reports.example.com/v1"));
        assertThat(record.extensions()).containsEntry("ext_1", "yes");
        assertThat(record.toString())
                .isEqualTo("v=TLSRPTv1; rua=mailto:tlsrpt@example.com,https://reports.example.com/v1; ext_1=yes");
    }

    @Test
    void aRecordNamingThousandsOfUrisHasItsReportsGoToTheFirstFiveAndSaysHowManyItDropped() throws Exception {
        List<String> uris = new ArrayList<>();
        for (int i = 0; i < 3000; i++) {
            uris.add("mailto:tlsrpt" + i + "@example.com");
        }
        TlsRptRecord record = TlsRptRecord.parse("v=TLSRPTv1; rua=" + String.join(",", uris));

        assertThat(TlsRptRecord.MAX_REPORT_URIS).isEqualTo(5);
        assertThat(record.reportUris())
                .containsExactly(
                        URI.create("mailto:tlsrpt0@example.com"),
                        URI.create("mailto:tlsrpt1@example.com"),
                        URI.create("mailto:tlsrpt2@example.com"),
                        URI.create("mailto:tlsrpt3@example.com"),
                        URI.create("mailto:tlsrpt4@example.com"));
        assertThat(record.droppedReportUris()).isEqualTo(2995);
    }

    @Test
    void aUriNamedTwiceCountsOnceTowardsTheLimit() throws Exception {
        TlsRptRecord record = TlsRptRecord.parse("v=TLSRPTv1; rua=mailto:a@example.com,HTTPS://R.Example.com/v1,"
                + "mailto:a@example.com,https://r.example.com/v1,mailto:a@example.com,mailto:b@example.com,"
                + "mailto:c@example.com,mailto:d@example.com,mailto:e@example.com");

        assertThat(record.reportUris())
                .containsExactly(
                        URI.create("mailto:a@example.com"),
                        URI.create("HTTPS://R.Example.com/v1"),
                        URI.create("mailto:b@example.com"),
                        URI.create("mailto:c@example.com"),
                        URI.create("mailto:d@example.com"));
        assertThat(record.droppedReportUris())
                .as("mailto:e only: duplicates are not dropped URIs")
                .isEqualTo(1);
        assertThat(TlsRptRecord.parse("v=TLSRPTv1; rua=mailto:a@example.com").droppedReportUris())
                .isZero();
    }

    @Test
    void aBadUriBeyondTheLimitStillMakesTheRecordInvalid() {
        assertThatThrownBy(() -> TlsRptRecord.parse("v=TLSRPTv1; rua=mailto:a@example.com,mailto:b@example.com,"
                        + "mailto:c@example.com,mailto:d@example.com,mailto:e@example.com,ftp://f.example.com/"))
                .isInstanceOf(TlsRptSyntaxException.class)
                .hasMessageContaining("must be mailto: or https:");
    }

    @Test
    void ofTheTxtRecordsAtTheNameOnlyTheOneTlsRptRecordCounts() throws Exception {
        // RFC 8460 3: records not starting with v=TLSRPTv1 are discarded.
        assertThat(TlsRptRecord.select(List.of("google-site-verification=abc", "v=TLSRPTv1; rua=mailto:a@example.com")))
                .map(TlsRptRecord::reportUris)
                .contains(List.of(URI.create("mailto:a@example.com")));
        assertThat(TlsRptRecord.select(List.of("v=spf1 -all"))).isEmpty();
        assertThat(TlsRptRecord.select(List.of())).isEmpty();
    }

    @Test
    void twoTlsRptRecordsMeanTheDomainGetsNoReport() {
        // RFC 8460 3: if the number of records left is not one, the domain does not implement TLS-RPT.
        assertThatThrownBy(() -> TlsRptRecord.select(
                        List.of("v=TLSRPTv1; rua=mailto:a@example.com", "v=TLSRPTv1; rua=mailto:b@example.com")))
                .isInstanceOf(TlsRptSyntaxException.class)
                .hasMessageContaining("2 TLS-RPT records");
    }

    @Test
    void theOneRecordMustBeValid() {
        assertThatThrownBy(() -> TlsRptRecord.select(List.of("v=TLSRPTv1; rua=ftp://reports.example.com/")))
                .isInstanceOf(TlsRptSyntaxException.class)
                .hasMessageContaining("must be mailto: or https:");
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "v=TLSRPTv2; rua=mailto:a@example.com | must start with v=TLSRPTv1",
                "rua=mailto:a@example.com; v=TLSRPTv1 | must start with v=TLSRPTv1",
                "v=TLSRPTv1 | no rua field",
                "v=TLSRPTv1; rua=mailto:a@example.com; rua=mailto:b@example.com | more than one rua field",
                "v=TLSRPTv1; rua=http://reports.example.com/ | must be mailto: or https:",
                "v=TLSRPTv1; rua=mailto:example.com | has no mail address",
                "v=TLSRPTv1; rua=https:///v1 | has no host",
                "v=TLSRPTv1; rua=mailto:a@example.com,,https://r.example.com/ | empty URI in rua",
                "v=TLSRPTv1;; rua=mailto:a@example.com | empty field",
                "v=TLSRPTv1; rua=mailto:a@example.com; bad field | is not name=value",
                "v=TLSRPTv1; rua=mailto:a@example.com; -ext=1 | is not a valid extension",
            })
    void aRecordThatBreaksTheGrammarIsRejectedSayingWhy(String text, String message) {
        assertThatThrownBy(() -> TlsRptRecord.parse(text))
                .isInstanceOf(TlsRptSyntaxException.class)
                .hasMessageContaining(message);
    }

    @Test
    void onlyRecordsStartingWithTheVersionAreTlsRptRecords() {
        assertThat(TlsRptRecord.isTlsRptRecord("v=TLSRPTv1; rua=mailto:a@example.com"))
                .isTrue();
        assertThat(TlsRptRecord.isTlsRptRecord("v=spf1 -all")).isFalse();
    }
}
