package dev.securedelivery.dashboard;

import java.util.ArrayList;
import java.util.List;

/**
 * The TLS reports other senders sent about our domains ({@code #inbound-table}): per reporting
 * organisation and policy the reports and sessions, and beneath it the failed sessions by MX host and
 * result type. At most {@link DashboardPage#MAX_INBOUND} organisations and policies, and
 * {@value #MAX_MX_ROWS} MX rows each. The template reads the fields by name.
 */
final class InboundTable {
    private static final int MAX_MX_ROWS = 10;

    final List<Report> reports;
    /** "3 more organisations and policies not shown.", or null. */
    final String more;

    private InboundTable(List<Report> reports, String more) {
        this.reports = reports;
        this.more = more;
    }

    /** The table of {@code reports}, or null if there is none (the page says so instead). */
    static InboundTable of(List<DashboardData.InboundReports> reports) {
        if (reports.isEmpty()) {
            return null;
        }
        List<Report> shown = new ArrayList<>();
        for (DashboardData.InboundReports report :
                reports.subList(0, Math.min(reports.size(), DashboardPage.MAX_INBOUND))) {
            shown.add(new Report(report));
        }
        return new InboundTable(
                List.copyOf(shown),
                DashboardPage.notShown(reports.size(), DashboardPage.MAX_INBOUND, "organisations and policies"));
    }

    /** One organisation and policy: {@code <tbody class="report">}. */
    static final class Report {
        final String organisation;
        final String policyDomain;
        final String policyType;
        /** Reports, successful sessions, failed sessions. */
        final List<CountCell> counts;

        final String successRate;
        /** Whether any session failed. */
        final boolean bad;

        final List<MxRow> mx;
        /** "3 more failure details not shown", or null. */
        final String moreMx;

        Report(DashboardData.InboundReports report) {
            this.organisation = report.organisation();
            this.policyDomain = report.policyDomain();
            this.policyType = report.policyType().reportName();
            this.counts = List.of(
                    CountCell.of("reports", report.reports()),
                    CountCell.of("successes", report.successes()),
                    CountCell.of("failures", report.failures()));
            this.successRate = DashboardPage.share(report.successes(), report.successes() + report.failures());
            this.bad = report.failures() > 0;
            List<DashboardData.MxFailures> failures = report.mxFailures();
            List<MxRow> mx = new ArrayList<>();
            for (DashboardData.MxFailures failure : failures.subList(0, Math.min(failures.size(), MAX_MX_ROWS))) {
                mx.add(new MxRow(failure));
            }
            this.mx = List.copyOf(mx);
            this.moreMx = failures.size() > MAX_MX_ROWS
                    ? (failures.size() - MAX_MX_ROWS) + " more failure details not shown"
                    : null;
        }
    }

    /** Failed sessions at one MX host for one result type: {@code <tr class="mx" data-mx=...>}. */
    static final class MxRow {
        /** The {@code receiving-mx-hostname} as reported, "" if none. */
        final String host;
        /** The host, or "(no MX named)". */
        final String shownHost;

        final String resultType;
        final CountCell sessions;

        MxRow(DashboardData.MxFailures failure) {
            this.host = failure.receivingMx();
            this.shownHost = host.isEmpty() ? "(no MX named)" : host;
            this.resultType = failure.resultType();
            this.sessions = CountCell.of("sessions", failure.sessions());
        }
    }
}
