package dev.securedelivery.dashboard;

import dev.securedelivery.tlsrpt.ResultType;
import java.util.ArrayList;
import java.util.List;

/**
 * Recent policy failures ({@code #failure-table}): per UTC day, domain and RFC 8460 result type, the
 * deferral attempts and bounces it caused, with what the result type means for a reader who does not
 * know the RFC. At most {@link DashboardPage#MAX_FAILURES} rows. The template reads the fields by
 * name.
 */
final class FailureTable {
    final List<Row> rows;
    /** "1 more failure rows not shown.", or null. */
    final String more;

    private FailureTable(List<Row> rows, String more) {
        this.rows = rows;
        this.more = more;
    }

    /** The table of {@code failures}, or null if there is none (the page says so instead). */
    static FailureTable of(List<DashboardData.Failure> failures) {
        if (failures.isEmpty()) {
            return null;
        }
        List<Row> rows = new ArrayList<>();
        for (DashboardData.Failure failure :
                failures.subList(0, Math.min(failures.size(), DashboardPage.MAX_FAILURES))) {
            rows.add(new Row(failure));
        }
        return new FailureTable(
                List.copyOf(rows), DashboardPage.notShown(failures.size(), DashboardPage.MAX_FAILURES, "failure rows"));
    }

    /** One day, domain and cause: {@code <tr data-failure-domain=... data-cause=...>}. */
    static final class Row {
        final String day;
        final String domain;
        final String cause;
        final String explanation;
        final long deferred;
        final long bounced;

        Row(DashboardData.Failure failure) {
            this.day = failure.day().toString();
            this.domain = failure.domain();
            this.cause = failure.cause().reportName();
            this.explanation = explanation(failure.cause());
            this.deferred = failure.deferred();
            this.bounced = failure.bounced();
        }
    }

    // RFC 8460 4.3: what each result type means, for a reader who does not know the RFC.
    private static String explanation(ResultType type) {
        switch (type) {
            case STARTTLS_NOT_SUPPORTED:
                return "The MX did not offer STARTTLS.";
            case CERTIFICATE_HOST_MISMATCH:
                return "The MX's certificate names another host.";
            case CERTIFICATE_EXPIRED:
                return "The MX's certificate has expired.";
            case CERTIFICATE_NOT_TRUSTED:
                return "The MX's certificate does not chain to a trusted authority.";
            case VALIDATION_FAILURE:
                return "The MX could not be authenticated.";
            case TLSA_INVALID:
                return "The MX's TLSA records are unusable or match no certificate.";
            case DNSSEC_INVALID:
                return "The DNS answers failed DNSSEC validation.";
            case DANE_REQUIRED:
                return "DANE was required but the MX has no TLSA records.";
            case STS_POLICY_FETCH_ERROR:
                return "The MTA-STS policy could not be fetched.";
            case STS_POLICY_INVALID:
                return "The MTA-STS policy is not valid.";
            case STS_WEBPKI_INVALID:
                return "The MTA-STS policy host's certificate is not valid.";
            default:
                return "";
        }
    }
}
