package dev.securedelivery.webadmin;

import dev.securedelivery.delivery.DeliveryOutcomes;
import dev.securedelivery.delivery.FailureCause;
import dev.securedelivery.delivery.Fate;
import dev.securedelivery.mtasts.MtaStsLookup;
import dev.securedelivery.policy.DeliveryPlan;
import dev.securedelivery.policy.PlanViews;
import dev.securedelivery.reports.TlsReports;
import dev.securedelivery.tlsrpt.InboundReport;
import dev.securedelivery.tlsrpt.PendingReport;
import dev.securedelivery.tlsrpt.PolicyResults;
import dev.securedelivery.tlsrpt.ReceivedFailure;
import dev.securedelivery.tlsrpt.ReceivedPolicy;
import dev.securedelivery.tlsrpt.ReceivedReport;
import dev.securedelivery.tlsrpt.ReportPeriod;
import dev.securedelivery.tlsrpt.ReportedPolicy;
import dev.securedelivery.tlsrpt.TlsRptReport;
import dev.securedelivery.waiting.DomainWaiting;
import java.math.BigInteger;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * The JSON shapes of the WebAdmin routes (and of the command-line tool), as plain maps and lists (rendered by James's own
 * {@code JsonTransformer}): no JSON library of ours, no annotations for James's Jackson to
 * interpret. Absent values are {@code null}, so every field is always there.
 */
public final class SecureDeliveryViews {
    private SecureDeliveryViews() {}

    public static Map<String, Object> plan(DeliveryPlan plan) {
        return PlanViews.plan(plan);
    }

    public static Map<String, Object> mtaSts(MtaStsLookup lookup) {
        return PlanViews.mtaSts(lookup);
    }

    static Map<String, Object> outcomes(String domain, DeliveryOutcomes.DomainOutcomes outcomes) {
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("domain", domain);
        view.put("messages", labelled(outcomes.messages(), Fate::label));
        view.put("attempts", labelled(outcomes.attempts(), DeliveryOutcomes.AttemptKind::label));
        view.put("failures", labelled(outcomes.failures(), FailureCause::label));
        view.put(
                "lastAttemptAt", outcomes.lastAttemptAt().map(Instant::toString).orElse(null));
        view.put("lastAttempt", outcomes.lastAttempt().orElse(null));
        return view;
    }

    /** {@code total}, the nodes' counts added up, and each node's apart under {@code nodes}. */
    static Map<String, Object> outcomes(
            String domain, DeliveryOutcomes.DomainOutcomes total, Map<String, DeliveryOutcomes.DomainOutcomes> byNode) {
        Map<String, Object> view = outcomes(domain, total);
        Map<String, Object> nodes = new TreeMap<>();
        byNode.forEach((node, counts) -> {
            Map<String, Object> nodeView = outcomes(domain, counts);
            nodeView.remove("domain");
            nodes.put(node, nodeView);
        });
        view.put("nodes", nodes);
        return view;
    }

    /**
     * The messages waiting to be tried again: {@code messages} in all, and per destination domain (only
     * {@code onlyDomain}'s if not null) {@code messages}, {@code nextDue}, {@code retries} (the most
     * any spent) and {@code lastCause}.
     */
    static Map<String, Object> deferred(long messages, List<DomainWaiting> domains, String onlyDomain) {
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("messages", messages);
        List<Map<String, Object>> shown = new ArrayList<>();
        for (DomainWaiting domain : domains) {
            if (onlyDomain != null && !onlyDomain.equals(domain.domain())) {
                continue;
            }
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("domain", domain.domain());
            row.put("messages", domain.messages());
            row.put("nextDue", domain.nextDue().toString());
            row.put("retries", domain.mostRetries());
            row.put("lastCause", domain.lastCause());
            shown.add(row);
        }
        view.put("domains", shown);
        return view;
    }

    // Counts by their JSON names, in the names' order.
    private static <K> Map<String, Long> labelled(Map<K, Long> counts, Function<K, String> label) {
        Map<String, Long> view = new TreeMap<>();
        counts.forEach((key, count) -> view.put(label.apply(key), count));
        return view;
    }

    /** The current report period's counts per policy domain (as RFC 8460 4.4's policies), and unsent reports. */
    public static Map<String, Object> tlsReports(
            ReportPeriod period, Map<String, Map<ReportedPolicy, PolicyResults>> counts, List<PendingReport> pending) {
        Map<String, Object> view = new LinkedHashMap<>();
        Map<String, Object> periodView = new LinkedHashMap<>();
        periodView.put("start", period.start().toString());
        periodView.put("end", period.end().toString());
        view.put("period", periodView);
        List<Map<String, Object>> domains = new ArrayList<>();
        counts.forEach((domain, results) -> {
            Map<String, Object> domainView = new LinkedHashMap<>();
            domainView.put("policy-domain", domain);
            domainView.put("policies", TlsRptReport.policies(results));
            domains.add(domainView);
        });
        view.put("domains", domains);
        List<Map<String, Object>> waiting = new ArrayList<>();
        for (PendingReport report : pending) {
            Map<String, Object> reportView = new LinkedHashMap<>();
            reportView.put("report-id", report.reportId());
            reportView.put("policy-domain", report.policyDomain());
            reportView.put(
                    "targets",
                    report.targets()
                            .map(uris -> {
                                List<String> texts = new ArrayList<>();
                                uris.forEach(uri -> texts.add(uri.toString()));
                                return texts;
                            })
                            .orElse(null));
            reportView.put("attempts", report.attempts());
            reportView.put("next-attempt", report.nextAttempt().toString());
            waiting.add(reportView);
        }
        view.put("pending", waiting);
        return view;
    }

    /** What became of a report sent on request. */
    public static Map<String, Object> sending(TlsReports.Sending sending) {
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("report-id", sending.reportId());
        view.put("sent-to", sending.sentTo());
        view.put("failed", sending.failed());
        view.put("not-sent", sending.notSent().orElse(null));
        return view;
    }

    /**
     * The inbound TLS reports of a period: each report as RFC 8460 4.4 has it (a result type this server
     * does not know as {@code unknown}, with {@code reported-result-type}), when it arrived, its session
     * totals and its failed sessions per receiving MX; and the totals of them all, exact.
     */
    public static Map<String, Object> inboundReports(
            Instant from, Instant to, String domain, List<InboundReport> reports) {
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("from", from == null ? null : from.toString());
        view.put("to", to == null ? null : to.toString());
        view.put("domain", domain);
        BigInteger successes = BigInteger.ZERO;
        BigInteger failures = BigInteger.ZERO;
        List<Map<String, Object>> reportViews = new ArrayList<>();
        for (InboundReport inbound : reports) {
            ReceivedReport report = inbound.report();
            Map<String, Object> reportView = new LinkedHashMap<>();
            reportView.put("organization-name", report.organizationName());
            reportView.put("contact-info", report.contactInfo());
            reportView.put("report-id", report.reportId());
            Map<String, Object> range = new LinkedHashMap<>();
            range.put("start-datetime", report.start().toString());
            range.put("end-datetime", report.end().toString());
            reportView.put("date-range", range);
            reportView.put("received-at", inbound.receivedAt().toString());
            reportView.put("successful-sessions", report.successfulSessions());
            reportView.put("failed-sessions", report.failedSessions());
            List<Map<String, Object>> policies = new ArrayList<>();
            for (ReceivedPolicy policy : report.policies()) {
                Map<String, Object> policyView = policy.toJson();
                List<Map<String, Object>> details = new ArrayList<>();
                for (ReceivedFailure failure : policy.failures()) {
                    Map<String, Object> detail = failure.toJson();
                    detail.put("result-type", failure.resultTypeName());
                    if (failure.resultType().isEmpty()) {
                        detail.put("reported-result-type", failure.reportedResultType());
                    }
                    details.add(detail);
                }
                policyView.put("failure-details", details);
                policies.add(policyView);
            }
            reportView.put("policies", policies);
            reportView.put("failures-by-receiving-mx", inbound.failuresByReceivingMx());
            reportViews.add(reportView);
            successes = successes.add(BigInteger.valueOf(report.successfulSessions()));
            failures = failures.add(BigInteger.valueOf(report.failedSessions()));
        }
        view.put("reports", reportViews);
        Map<String, Object> totals = new LinkedHashMap<>();
        totals.put("reports", reports.size());
        totals.put("successful-sessions", successes);
        totals.put("failed-sessions", failures);
        view.put("totals", totals);
        return view;
    }
}
