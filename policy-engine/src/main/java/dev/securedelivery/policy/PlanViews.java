package dev.securedelivery.policy;

import dev.securedelivery.mtasts.MtaStsFailure;
import dev.securedelivery.mtasts.MtaStsLookup;
import dev.securedelivery.mtasts.MtaStsPolicy;
import dev.securedelivery.tlsrpt.ResultType;
import java.net.InetAddress;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A plan and an MTA-STS answer as plain maps and lists, for JSON: the shapes the WebAdmin routes and
 * the command-line tool print alike. Absent values are {@code null}, so every field is always there.
 */
public final class PlanViews {
    private PlanViews() {}

    public static Map<String, Object> plan(DeliveryPlan plan) {
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("domain", plan.domain());
        view.put("outcome", plan.outcome().name().toLowerCase(Locale.ROOT).replace('_', '-'));
        view.put("reason", plan.reason().orElse(null));
        view.put("failureType", plan.failureType().map(ResultType::reportName).orElse(null));
        view.put("override", plan.override().map(override -> override.keyword()).orElse(null));
        view.put("mtaSts", plan.mtaSts().map(PlanViews::mtaSts).orElse(null));
        List<Map<String, Object>> hosts = new ArrayList<>();
        for (MxHostPlan host : plan.hosts()) {
            Map<String, Object> hostView = new LinkedHashMap<>();
            hostView.put("host", host.host());
            hostView.put("preference", host.preference());
            hostView.put("usable", !host.isExcluded());
            hostView.put("requirement", host.requirement().map(Object::toString).orElse(null));
            hostView.put("rule", host.isExcluded() ? null : host.rule());
            hostView.put("exclusion", host.exclusion().orElse(null));
            hostView.put(
                    "exclusionType",
                    host.exclusionType().map(ResultType::reportName).orElse(null));
            List<String> addresses = new ArrayList<>();
            for (InetAddress address : host.addresses()) {
                addresses.add(address.getHostAddress());
            }
            hostView.put("addresses", addresses);
            hosts.add(hostView);
        }
        view.put("hosts", hosts);
        view.put("explanation", plan.explain());
        return view;
    }

    public static Map<String, Object> mtaSts(MtaStsLookup lookup) {
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("domain", lookup.domain());
        view.put("outcome", lookup.outcome().name().toLowerCase(Locale.ROOT).replace('_', '-'));
        view.put("id", lookup.policyId().orElse(null));
        MtaStsPolicy policy = lookup.policy().orElse(null);
        view.put("mode", policy == null ? null : policy.mode().toString());
        view.put("mx", policy == null ? null : policy.mxPatterns());
        view.put("maxAge", policy == null ? null : policy.maxAgeSeconds());
        view.put("fetchedAt", lookup.fetchedAt().map(Instant::toString).orElse(null));
        view.put("expiresAt", lookup.expiresAt().map(Instant::toString).orElse(null));
        MtaStsFailure failure = lookup.failure().orElse(null);
        view.put("failure", failure == null ? null : failure.detail());
        view.put(
                "failureType",
                failure == null
                        ? null
                        : failure.resultType().map(ResultType::reportName).orElse(null));
        return view;
    }
}
