package dev.securedelivery.tlsrpt;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ResultTypeTest {

    @Test
    void reportNamesAreThoseOfRfc8460Section4_3() {
        assertThat(ResultType.values())
                .extracting(ResultType::reportName)
                .containsExactly(
                        "starttls-not-supported",
                        "certificate-host-mismatch",
                        "certificate-expired",
                        "certificate-not-trusted",
                        "validation-failure",
                        "tlsa-invalid",
                        "dnssec-invalid",
                        "dane-required",
                        "sts-policy-fetch-error",
                        "sts-policy-invalid",
                        "sts-webpki-invalid");
    }

    @Test
    void aReportNameReadsBackIgnoringCase() {
        assertThat(ResultType.fromReportName("STS-Policy-Invalid")).contains(ResultType.STS_POLICY_INVALID);
        assertThat(ResultType.fromReportName("sts-policy")).isEmpty();
    }
}
