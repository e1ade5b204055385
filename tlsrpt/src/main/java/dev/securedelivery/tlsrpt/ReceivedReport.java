package dev.securedelivery.tlsrpt;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * An aggregate report another MTA sent about mail to our domains (RFC 8460 4.4), as {@link
 * ReceivedReportParser} read it: who reports, for which period, each policy with its counts and
 * failures. Every text is the peer's, stripped of control characters and capped; the counts are
 * exact.
 */
public final class ReceivedReport {
    private final String organizationName;
    private final String contactInfo;
    private final String reportId;
    private final Instant start;
    private final Instant end;
    private final List<ReceivedPolicy> policies;

    ReceivedReport(
            String organizationName,
            String contactInfo,
            String reportId,
            Instant start,
            Instant end,
            List<ReceivedPolicy> policies) {
        this.organizationName = Objects.requireNonNull(organizationName, "organizationName");
        this.contactInfo = Objects.requireNonNull(contactInfo, "contactInfo");
        this.reportId = Objects.requireNonNull(reportId, "reportId");
        this.start = Objects.requireNonNull(start, "start");
        this.end = Objects.requireNonNull(end, "end");
        this.policies = List.copyOf(policies);
    }

    /** {@code organization-name}: who sent the mail the report counts. */
    public String organizationName() {
        return organizationName;
    }

    public String contactInfo() {
        return contactInfo;
    }

    /** {@code report-id}: with the organization name, what tells a report sent again from a new one. */
    public String reportId() {
        return reportId;
    }

    /** {@code date-range}'s {@code start-datetime}. */
    public Instant start() {
        return start;
    }

    /** {@code date-range}'s {@code end-datetime}. */
    public Instant end() {
        return end;
    }

    public List<ReceivedPolicy> policies() {
        return policies;
    }

    /** This report with only {@code kept} of its policies (those of one policy domain, say). */
    public ReceivedReport withPolicies(List<ReceivedPolicy> kept) {
        return new ReceivedReport(organizationName, contactInfo, reportId, start, end, kept);
    }

    /** The successful sessions of every policy (the parser refused reports whose sum overflows). */
    public long successfulSessions() {
        long sum = 0;
        for (ReceivedPolicy policy : policies) {
            sum += policy.successfulSessions();
        }
        return sum;
    }

    /** The failed sessions of every policy, as the summaries give them. */
    public long failedSessions() {
        long sum = 0;
        for (ReceivedPolicy policy : policies) {
            sum += policy.failedSessions();
        }
        return sum;
    }

    /** The report in RFC 8460 4.4's JSON, as read: what {@link ReceivedReportParser} reads back to an equal report. */
    public Map<String, Object> toJson() {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("organization-name", organizationName);
        Map<String, Object> dateRange = new LinkedHashMap<>();
        dateRange.put("start-datetime", start.toString());
        dateRange.put("end-datetime", end.toString());
        json.put("date-range", dateRange);
        json.put("contact-info", contactInfo);
        json.put("report-id", reportId);
        List<Map<String, Object>> policyList = new ArrayList<>();
        policies.forEach(policy -> policyList.add(policy.toJson()));
        json.put("policies", policyList);
        return json;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof ReceivedReport && toJson().equals(((ReceivedReport) other).toJson());
    }

    @Override
    public int hashCode() {
        return toJson().hashCode();
    }

    @Override
    public String toString() {
        return organizationName + " " + reportId + " " + start + "/" + end + " " + policies;
    }
}
