package dev.securedelivery.posture;

import dev.securedelivery.delivery.FailureCause;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;

/**
 * The posture history as JSON-ready maps (the WebAdmin routes and {@code secure-delivery posture
 * --json} give the same document) and as CSV ({@code --csv}). Every protection level is listed,
 * zero included; causes only where a message had them.
 */
public final class PostureViews {
    /** The CSV's header line; one row per day and domain follows. */
    public static final String CSV_HEADER = "day,domain,publishes-mta-sts,publishes-dane,publishes-tls-rpt,"
            + "delivered-dane,delivered-mta-sts,delivered-pkix,delivered-tls,delivered-plaintext,"
            + "deferred,bounced,deferred-causes,bounced-causes";

    private PostureViews() {}

    /** Every domain of every day in {@code range}: per day the totals by protection and each domain's counts. */
    public static Map<String, Object> history(
            PostureRange range, SortedMap<LocalDate, SortedMap<String, DomainPosture>> days) {
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("from", range.from().toString());
        view.put("to", range.to().toString());
        DomainPosture all = new DomainPosture();
        List<Map<String, Object>> dayViews = new ArrayList<>();
        for (Map.Entry<LocalDate, SortedMap<String, DomainPosture>> day : days.entrySet()) {
            DomainPosture total = new DomainPosture();
            List<Map<String, Object>> domains = new ArrayList<>();
            for (Map.Entry<String, DomainPosture> domain : day.getValue().entrySet()) {
                total.add(domain.getValue());
                Map<String, Object> domainView = new LinkedHashMap<>();
                domainView.put("domain", domain.getKey());
                domainView.put("publishes", publishes(domain.getValue().publication()));
                counts(domainView, domain.getValue());
                domains.add(domainView);
            }
            all.add(total);
            Map<String, Object> dayView = new LinkedHashMap<>();
            dayView.put("day", day.getKey().toString());
            counts(dayView, total);
            dayView.put("domains", domains);
            dayViews.add(dayView);
        }
        view.put("totals", counts(new LinkedHashMap<>(), all));
        view.put("days", dayViews);
        return view;
    }

    /**
     * Each node's totals over {@code nodes} (node, then day and domain, as {@link
     * PostureHistory#byNode} gives them), only {@code domain}'s where given: where the nodes of a
     * cluster share the history, who sent what; one node alone has one entry.
     */
    public static Map<String, Object> nodes(
            SortedMap<String, SortedMap<LocalDate, SortedMap<String, DomainPosture>>> nodes, String domain) {
        Map<String, Object> view = new LinkedHashMap<>();
        nodes.forEach((node, days) -> {
            DomainPosture total = new DomainPosture();
            days.values()
                    .forEach(domains -> domains.forEach((name, posture) -> {
                        if (domain == null || domain.equals(name)) {
                            total.add(posture);
                        }
                    }));
            view.put(node, counts(new LinkedHashMap<>(), total));
        });
        return view;
    }

    /** One domain's days in {@code range} (days without its mail left out). */
    public static Map<String, Object> domain(
            String domain, PostureRange range, SortedMap<LocalDate, SortedMap<String, DomainPosture>> days) {
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("domain", domain);
        view.put("from", range.from().toString());
        view.put("to", range.to().toString());
        DomainPosture all = new DomainPosture();
        List<Map<String, Object>> dayViews = new ArrayList<>();
        for (Map.Entry<LocalDate, SortedMap<String, DomainPosture>> day : days.entrySet()) {
            DomainPosture posture = day.getValue().get(domain);
            if (posture == null) {
                continue;
            }
            all.add(posture);
            Map<String, Object> dayView = new LinkedHashMap<>();
            dayView.put("day", day.getKey().toString());
            dayView.put("publishes", publishes(posture.publication()));
            counts(dayView, posture);
            dayViews.add(dayView);
        }
        view.put("totals", counts(new LinkedHashMap<>(), all));
        view.put("days", dayViews);
        return view;
    }

    private static Map<String, Object> counts(Map<String, Object> view, DomainPosture posture) {
        Map<String, Object> delivered = new LinkedHashMap<>();
        for (Protection protection : Protection.values()) {
            delivered.put(protection.label(), posture.delivered(protection));
        }
        view.put("delivered", delivered);
        view.put("deferred", causes(posture.deferred()));
        view.put("bounced", causes(posture.bounced()));
        return view;
    }

    private static Map<String, Object> causes(Map<FailureCause, Long> counts) {
        Map<String, Object> view = new LinkedHashMap<>();
        counts.forEach((cause, count) -> view.put(cause.label(), count));
        return view;
    }

    private static Map<String, Object> publishes(Publication publication) {
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("mta-sts", publication.mtaSts().asBoolean());
        view.put("dane", publication.dane().asBoolean());
        view.put("tls-rpt", publication.tlsRpt().asBoolean());
        return view;
    }

    /** The days as CSV (RFC 4180: CRLF line ends, fields quoted where they must be): a header, then a row per day and domain. */
    public static String csv(SortedMap<LocalDate, SortedMap<String, DomainPosture>> days, String onlyDomain) {
        StringBuilder csv = new StringBuilder(CSV_HEADER).append("\r\n");
        for (Map.Entry<LocalDate, SortedMap<String, DomainPosture>> day : days.entrySet()) {
            for (Map.Entry<String, DomainPosture> domain : day.getValue().entrySet()) {
                if (onlyDomain != null && !onlyDomain.equals(domain.getKey())) {
                    continue;
                }
                DomainPosture posture = domain.getValue();
                List<String> row = new ArrayList<>();
                row.add(day.getKey().toString());
                row.add(domain.getKey());
                row.add(known(posture.publication().mtaSts()));
                row.add(known(posture.publication().dane()));
                row.add(known(posture.publication().tlsRpt()));
                for (Protection protection : Protection.values()) {
                    row.add(String.valueOf(posture.delivered(protection)));
                }
                row.add(String.valueOf(posture.totalDeferred()));
                row.add(String.valueOf(posture.totalBounced()));
                row.add(causeList(posture.deferred()));
                row.add(causeList(posture.bounced()));
                for (int i = 0; i < row.size(); i++) {
                    csv.append(i == 0 ? "" : ",").append(csvField(row.get(i)));
                }
                csv.append("\r\n");
            }
        }
        return csv.toString();
    }

    private static String known(Publication.Known known) {
        return known == Publication.Known.UNKNOWN ? "" : known == Publication.Known.YES ? "yes" : "no";
    }

    // "connection-or-smtp=2;starttls-not-supported=1"
    private static String causeList(Map<FailureCause, Long> counts) {
        List<String> parts = new ArrayList<>();
        counts.forEach((cause, count) -> parts.add(cause.label() + "=" + count));
        return String.join(";", parts);
    }

    /** A CSV field, quoted when it holds a comma, a quote or a line end, its quotes doubled (RFC 4180 2). */
    static String csvField(String value) {
        if (value.indexOf(',') < 0 && value.indexOf('"') < 0 && value.indexOf('\n') < 0 && value.indexOf('\r') < 0) {
            return value;
        }
        return '"' + value.replace("\"", "\"\"") + '"';
    }
}
