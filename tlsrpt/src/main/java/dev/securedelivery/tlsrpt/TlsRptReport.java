package dev.securedelivery.tlsrpt;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One aggregate report for one policy domain and one period, in the JSON of RFC 8460 4.4, field by
 * field: {@code organization-name}, {@code date-range}, {@code contact-info}, {@code report-id},
 * {@code policies[]} (each {@code policy}, {@code summary}, {@code failure-details}). Every field the
 * RFC requires is always written, with a value, never {@code null}.
 */
public final class TlsRptReport {
    private final String organizationName;
    private final String contactInfo;
    private final String reportId;
    private final ReportPeriod period;
    private final Map<ReportedPolicy, PolicyResults> policies;

    public TlsRptReport(
            String organizationName,
            String contactInfo,
            String reportId,
            ReportPeriod period,
            Map<ReportedPolicy, PolicyResults> policies) {
        this.organizationName = requireText(organizationName, "organizationName");
        this.contactInfo = requireText(contactInfo, "contactInfo");
        this.reportId = requireText(reportId, "reportId");
        this.period = Objects.requireNonNull(period, "period");
        this.policies = new LinkedHashMap<>(policies);
    }

    private static String requireText(String value, String name) {
        if (value == null || value.isBlank()) {
            // RFC 8460 4.4: each is a required field; "contact-info": null is what peers get wrong.
            throw new IllegalArgumentException(name + " is required in a TLS report (RFC 8460 4.4)");
        }
        return value;
    }

    public String reportId() {
        return reportId;
    }

    public ReportPeriod period() {
        return period;
    }

    /** The report as RFC 8460 4.4 writes it. */
    public String toJson() {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("organization-name", organizationName);
        Map<String, Object> dateRange = new LinkedHashMap<>();
        dateRange.put("start-datetime", period.start().toString());
        dateRange.put("end-datetime", period.endDatetime());
        json.put("date-range", dateRange);
        json.put("contact-info", contactInfo);
        json.put("report-id", reportId);
        json.put("policies", policies(policies));
        return Json.write(json);
    }

    /**
     * RFC 8460 4.4's {@code policies} array for {@code results}: each {@code policy}, its
     * {@code summary}, and {@code failure-details} when there were failures.
     */
    public static List<Map<String, Object>> policies(Map<ReportedPolicy, PolicyResults> results) {
        List<Map<String, Object>> policyList = new ArrayList<>();
        results.forEach((policy, counts) -> {
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("policy", policy.toJson());
            Map<String, Object> summary = new LinkedHashMap<>();
            summary.put("total-successful-session-count", counts.successfulSessions());
            summary.put("total-failure-session-count", counts.failedSessions());
            entry.put("summary", summary);
            List<Map<String, Object>> details = new ArrayList<>();
            counts.failureDetails().forEach((detail, count) -> details.add(detail.toJson(count)));
            // RFC 8460 4.4: failure-details is present when there were failures.
            if (!details.isEmpty()) {
                entry.put("failure-details", details);
            }
            policyList.add(entry);
        });
        return policyList;
    }
}
