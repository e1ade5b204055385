package dev.securedelivery.tlsrpt;

import java.util.Locale;
import java.util.Optional;

/** The failure result types of RFC 8460 4.3, by the name a report uses for them. */
public enum ResultType {
    // RFC 8460 4.3.1: negotiation failures.
    STARTTLS_NOT_SUPPORTED("starttls-not-supported"),
    CERTIFICATE_HOST_MISMATCH("certificate-host-mismatch"),
    CERTIFICATE_EXPIRED("certificate-expired"),
    CERTIFICATE_NOT_TRUSTED("certificate-not-trusted"),
    VALIDATION_FAILURE("validation-failure"),

    // RFC 8460 4.3.2.1: DANE-specific policy failures.
    TLSA_INVALID("tlsa-invalid"),
    DNSSEC_INVALID("dnssec-invalid"),
    DANE_REQUIRED("dane-required"),

    // RFC 8460 4.3.2.2: MTA-STS-specific policy failures.
    STS_POLICY_FETCH_ERROR("sts-policy-fetch-error"),
    STS_POLICY_INVALID("sts-policy-invalid"),
    STS_WEBPKI_INVALID("sts-webpki-invalid");

    private final String reportName;

    ResultType(String reportName) {
        this.reportName = reportName;
    }

    /** The string a TLS report carries in its {@code result-type} field. */
    public String reportName() {
        return reportName;
    }

    /** The result type a report names {@code name}, ignoring case. */
    public static Optional<ResultType> fromReportName(String name) {
        String wanted = name.toLowerCase(Locale.ROOT);
        for (ResultType type : values()) {
            if (type.reportName.equals(wanted)) {
                return Optional.of(type);
            }
        }
        return Optional.empty();
    }

    @Override
    public String toString() {
        return reportName;
    }
}
