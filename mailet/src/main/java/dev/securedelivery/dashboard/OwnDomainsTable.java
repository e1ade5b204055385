package dev.securedelivery.dashboard;

import java.util.ArrayList;
import java.util.List;

/**
 * Our own domains ({@code #own-domains-table}): per domain the last self-check (when, the worst it
 * found), each finding that needs action with the failed sessions senders reported for the same MX
 * host and result type in the period beside it, and what senders reported that no finding explains.
 * At most {@link DashboardPage#MAX_DOMAINS} domains. The template reads the fields by name.
 */
final class OwnDomainsTable {
    final List<DomainRow> domains;
    /** "3 more domains not shown.", or null. */
    final String more;

    private OwnDomainsTable(List<DomainRow> domains, String more) {
        this.domains = domains;
        this.more = more;
    }

    /** The table of {@code domains}, or null if none was checked (the page says so instead). */
    static OwnDomainsTable of(List<DashboardData.OwnDomain> domains) {
        if (domains.isEmpty()) {
            return null;
        }
        List<DomainRow> rows = new ArrayList<>();
        for (DashboardData.OwnDomain domain : domains.subList(0, Math.min(domains.size(), DashboardPage.MAX_DOMAINS))) {
            rows.add(new DomainRow(domain));
        }
        return new OwnDomainsTable(
                List.copyOf(rows), DashboardPage.notShown(domains.size(), DashboardPage.MAX_DOMAINS, "domains"));
    }

    /** One domain: {@code <tbody class="own-domain" data-own-domain=...>}. */
    static final class DomainRow {
        final String domain;
        final String checked;
        final String worst;
        final boolean bad;
        final List<FindingRow> findings;
        final List<ReportedRow> reported;

        DomainRow(DashboardData.OwnDomain domain) {
            this.domain = domain.domain();
            this.checked = PageView.MINUTE.format(domain.checkedAt());
            this.worst = domain.worst();
            this.bad = domain.worst().equals("problem") || domain.worst().equals("warning");
            List<FindingRow> findings = new ArrayList<>();
            domain.findings().forEach(finding -> findings.add(new FindingRow(finding)));
            this.findings = List.copyOf(findings);
            List<ReportedRow> reported = new ArrayList<>();
            domain.reportedWithoutFinding().forEach(failure -> reported.add(new ReportedRow(failure)));
            this.reported = List.copyOf(reported);
        }
    }

    /** A finding: {@code <tr class="finding" data-severity=... data-host=... data-result-type=...>}. */
    static final class FindingRow {
        final String severity;
        final String about;
        final String host;
        final String resultType;
        final String message;
        final String fix;
        final CountCell reported;

        FindingRow(DashboardData.OwnFinding finding) {
            this.severity = finding.severity();
            this.about = finding.about();
            this.host = finding.host();
            this.resultType = finding.resultType();
            this.message = finding.message();
            this.fix = finding.fix().isEmpty() ? null : finding.fix();
            this.reported = CountCell.of("reported", finding.reportedSessions());
        }
    }

    /** Failures senders reported that no finding explains now. */
    static final class ReportedRow {
        final String host;
        final String resultType;
        final CountCell sessions;

        ReportedRow(DashboardData.MxFailures failure) {
            this.host = failure.receivingMx().isEmpty() ? "(no MX named)" : failure.receivingMx();
            this.resultType = failure.resultType();
            this.sessions = CountCell.of("sessions", failure.sessions());
        }
    }
}
