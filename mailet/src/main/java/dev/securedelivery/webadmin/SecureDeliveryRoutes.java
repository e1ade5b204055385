package dev.securedelivery.webadmin;

import dev.securedelivery.dashboard.DashboardSource;
import dev.securedelivery.delivery.DeliveryOutcomes;
import dev.securedelivery.delivery.OutcomesByNode;
import dev.securedelivery.mailet.SecureDeliveryEngine;
import dev.securedelivery.mtasts.DomainNames;
import dev.securedelivery.mtasts.MtaStsLookup;
import dev.securedelivery.peertext.PeerText;
import dev.securedelivery.policy.DeliveryPlan;
import dev.securedelivery.policy.DomainName;
import dev.securedelivery.posture.PostureHistory;
import dev.securedelivery.posture.PostureRange;
import dev.securedelivery.posture.PostureViews;
import dev.securedelivery.reports.TlsReports;
import dev.securedelivery.tlsrpt.InboundReport;
import dev.securedelivery.tlsrpt.InboundReportStore;
import dev.securedelivery.waiting.WaitingList;
import java.io.IOException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import javax.inject.Inject;
import org.apache.james.webadmin.Routes;
import org.apache.james.webadmin.utils.ErrorResponder;
import org.apache.james.webadmin.utils.JsonTransformer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import spark.HaltException;
import spark.Request;
import spark.Service;

/**
 * secure-delivery's WebAdmin routes. List the class under {@code extensions.routes} in
 * {@code conf/webadmin.properties}; James builds it with the injector that holds the engine of
 * {@code SecureDeliveryModule}, so the routes see the very cache the delivery mailet uses.
 *
 * <pre>
 * GET    /secure-delivery/plans/{domain}              the plan for a domain: MX hosts, requirement, why
 * GET    /secure-delivery/mta-sts                     every cached MTA-STS answer
 * GET    /secure-delivery/mta-sts/{domain}            one cached answer (404 if none)
 * POST   /secure-delivery/mta-sts/{domain}/refresh    check the record now, fetch if changed
 * DELETE /secure-delivery/mta-sts/{domain}            forget a domain's policy (memory and disk)
 * DELETE /secure-delivery/mta-sts                     forget every policy
 * GET    /secure-delivery/outcomes                    per destination domain, what deliveries did
 * GET    /secure-delivery/own-domains[/{domain}]        the self-check of our domains (OwnDomainsRoutes)
 * GET    /secure-delivery/deferred?domain=            per destination domain, the messages waiting to be retried
 * GET    /secure-delivery/outcomes/{domain}           one domain's (404 if none yet)
 * GET    /secure-delivery/tls-reports                 this period's session counts per policy domain,
 *                                                     and the reports waiting to be sent
 * POST   /secure-delivery/tls-reports/{domain}/send   send the domain's report of this period so far, now
 * GET    /secure-delivery/inbound-reports?from=&to=&domain=
 *                                                     the TLS reports others sent us (InboundTlsReports)
 * GET    /secure-delivery/dashboard?from=&to=          the HTML dashboard of the UTC days from to to
 *                                                     (default: the last 30 days)
 * GET    /secure-delivery/posture?from=&to=           per day, messages by protection and fate, and per domain
 * GET    /secure-delivery/posture/{domain}?from=&to=  one domain's days
 * GET    /secure-delivery/posture.csv?from=&to=&domain= the days as CSV
 * </pre>
 * The TLS report routes answer 404 while {@code tls-reports.enabled} is false.
 */
public final class SecureDeliveryRoutes implements Routes {
    /** The most destination domains {@code /deferred} lists, the soonest due first. */
    static final int MAX_DEFERRED_DOMAINS = 1_000;

    static final String BASE = "/secure-delivery";
    private static final long PLAN_TIMEOUT_SECONDS = 60;
    private static final Logger LOGGER = LoggerFactory.getLogger(SecureDeliveryRoutes.class);

    private final SecureDeliveryEngine engine;
    private final InboundReportStore inboundReports;
    private final JsonTransformer json;
    private final DashboardSource dashboard;

    @Inject
    public SecureDeliveryRoutes(
            SecureDeliveryEngine engine,
            InboundReportStore inboundReports,
            JsonTransformer json,
            DashboardSource dashboard) {
        this.engine = engine;
        this.inboundReports = inboundReports;
        this.json = json;
        this.dashboard = dashboard;
    }

    @Override
    public String getBasePath() {
        return BASE;
    }

    @Override
    public void define(Service service) {
        service.get(BASE + "/plans/:domain", (request, response) -> plan(domain(request)), json);

        service.get(BASE + "/mta-sts", (request, response) -> cachedPolicies(), json);
        service.get(BASE + "/mta-sts/:domain", (request, response) -> cachedPolicy(domain(request)), json);
        service.post(
                BASE + "/mta-sts/:domain/refresh",
                (request, response) -> {
                    String domain = domain(request);
                    MtaStsLookup lookup = engine.policy().refreshMtaSts(DomainName.of(domain));
                    LOGGER.info("secure-delivery: WebAdmin refreshed the MTA-STS policy of {}: {}", domain, lookup);
                    return SecureDeliveryViews.mtaSts(lookup);
                },
                json);
        service.delete(BASE + "/mta-sts/:domain", (request, response) -> {
            String domain = domain(request);
            engine.policy().mtaSts().purge(domain);
            LOGGER.info("secure-delivery: WebAdmin purged the MTA-STS policy of {}", domain);
            response.status(204);
            return "";
        });
        service.delete(BASE + "/mta-sts", (request, response) -> {
            int count = 0;
            for (MtaStsLookup lookup : engine.policy().mtaSts().cached()) {
                engine.policy().mtaSts().purge(lookup.domain());
                count++;
            }
            LOGGER.info("secure-delivery: WebAdmin purged {} cached MTA-STS answer(s)", count);
            response.status(204);
            return "";
        });

        service.get(BASE + "/outcomes", (request, response) -> outcomes(), json);
        service.get(BASE + "/outcomes/:domain", (request, response) -> outcomes(domain(request)), json);

        service.get(BASE + "/deferred", (request, response) -> deferred(request), json);
        defineTlsReports(service);
        service.get(BASE + "/inbound-reports", (request, response) -> inboundReports(request), json);
        new DashboardRoute(dashboard, engine.clock()).define(service);
        new OwnDomainsRoutes(engine, json).define(service);
        definePosture(service);
    }

    // from and to: a UTC day (2026-11-30; to is then its end) or an instant (2026-11-30T12:00:00Z); both optional.
    private Map<String, Object> inboundReports(Request request) throws IOException {
        Instant from = instant(request, "from", false);
        Instant to = instant(request, "to", true);
        if (from != null && to != null && from.isAfter(to)) {
            throw badRequest("from (" + from + ") is after to (" + to + ")");
        }
        String rawDomain = request.queryParams("domain");
        String domain = null;
        if (rawDomain != null) {
            domain = DomainNames.normalize(rawDomain);
            if (domain == null) {
                throw badRequest("Not a domain name: " + PeerText.clean(rawDomain, 300));
            }
        }
        List<InboundReport> reports = inboundReports.list(
                from == null ? Instant.MIN : from, to == null ? Instant.MAX : to, Optional.ofNullable(domain));
        return SecureDeliveryViews.inboundReports(from, to, domain, reports);
    }

    private static Instant instant(Request request, String name, boolean endOfDay) {
        String value = request.queryParams(name);
        if (value == null || value.isEmpty()) {
            return null;
        }
        try {
            if (value.length() == 10) {
                LocalDate day = LocalDate.parse(value);
                return endOfDay
                        ? day.plusDays(1)
                                .atStartOfDay(ZoneOffset.UTC)
                                .toInstant()
                                .minusNanos(1)
                        : day.atStartOfDay(ZoneOffset.UTC).toInstant();
            }
            return OffsetDateTime.parse(value).toInstant();
        } catch (DateTimeParseException e) {
            throw badRequest(name + ": expected a day such as 2026-11-30 or an instant such as"
                    + " 2026-11-30T12:00:00Z, got " + PeerText.clean(value, 64));
        }
    }

    private void definePosture(Service service) {
        service.get(
                BASE + "/posture",
                (request, response) -> {
                    PostureHistory store = posture();
                    PostureRange range = range(request, store);
                    Map<String, Object> view = PostureViews.history(range, store.between(range.from(), range.to()));
                    view.put("nodes", PostureViews.nodes(store.byNode(range.from(), range.to()), null));
                    return view;
                },
                json);
        // The same days as CSV (as bin/secure-delivery posture --csv writes them), for a spreadsheet: the
        // cluster's totals where the nodes share the history.
        service.get(BASE + "/posture.csv", (request, response) -> {
            PostureHistory store = posture();
            PostureRange range = range(request, store);
            String rawDomain = request.queryParams("domain");
            String domain = null;
            if (rawDomain != null) {
                domain = DomainNames.normalize(rawDomain);
                if (domain == null) {
                    throw badRequest("Not a domain name: " + PeerText.clean(rawDomain, 300));
                }
            }
            String csv = PostureViews.csv(store.between(range.from(), range.to()), domain);
            response.type("text/csv; charset=utf-8");
            return csv;
        });
        service.get(
                BASE + "/posture/:domain",
                (request, response) -> {
                    String domain = domain(request);
                    PostureHistory store = posture();
                    PostureRange range = range(request, store);
                    Map<String, Object> view =
                            PostureViews.domain(domain, range, store.between(range.from(), range.to()));
                    view.put("nodes", PostureViews.nodes(store.byNode(range.from(), range.to()), domain));
                    return view;
                },
                json);
    }

    private PostureHistory posture() {
        return engine.posture().orElseThrow(() -> notFound("No posture history in this engine"));
    }

    // ?from=YYYY-MM-DD&to=YYYY-MM-DD, both optional: the last 30 days by default.
    private static PostureRange range(Request request, PostureHistory store) {
        try {
            return PostureRange.parse(request.queryParams("from"), request.queryParams("to"), store.today());
        } catch (IllegalArgumentException e) {
            throw badRequest(e.getMessage());
        }
    }

    private void defineTlsReports(Service service) {
        service.get(
                BASE + "/tls-reports",
                (request, response) -> {
                    TlsReports reports = tlsReports();
                    return SecureDeliveryViews.tlsReports(
                            reports.currentPeriod(), reports.currentCounts(), reports.pending());
                },
                json);
        service.post(
                BASE + "/tls-reports/:domain/send",
                (request, response) -> {
                    String domain = domain(request);
                    TlsReports.Sending sending = tlsReports()
                            .sendNow(domain)
                            .orElseThrow(() -> notFound("No session to " + domain + " in this report period"));
                    LOGGER.info(
                            "secure-delivery: WebAdmin sent the TLS report {} for {}: sent to {}, failed {}{}",
                            sending.reportId(),
                            domain,
                            sending.sentTo(),
                            sending.failed(),
                            sending.notSent().map(why -> ", not sent: " + why).orElse(""));
                    return SecureDeliveryViews.sending(sending);
                },
                json);
    }

    private TlsReports tlsReports() {
        return engine.tlsReports()
                .orElseThrow(() -> notFound(
                        "TLS reports are off: set tls-reports.enabled = true" + " in conf/secure-delivery.properties"));
    }

    private Map<String, Object> plan(String domain) {
        try {
            DeliveryPlan plan = engine.policy().plan(DomainName.of(domain)).get(PLAN_TIMEOUT_SECONDS, TimeUnit.SECONDS);
            return SecureDeliveryViews.plan(plan);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw serverError("Interrupted while making the plan for " + domain, e);
        } catch (ExecutionException e) {
            throw serverError("The plan for " + domain + " could not be made: " + e.getCause(), e);
        } catch (TimeoutException e) {
            throw serverError("No plan for " + domain + " within " + PLAN_TIMEOUT_SECONDS + " s", e);
        }
    }

    private List<Map<String, Object>> cachedPolicies() {
        List<MtaStsLookup> cached = new ArrayList<>(engine.policy().mtaSts().cached());
        cached.sort(Comparator.comparing(MtaStsLookup::domain));
        List<Map<String, Object>> views = new ArrayList<>();
        cached.forEach(lookup -> views.add(SecureDeliveryViews.mtaSts(lookup)));
        return views;
    }

    private Map<String, Object> cachedPolicy(String domain) {
        for (MtaStsLookup lookup : engine.policy().mtaSts().cached()) {
            if (lookup.domain().equals(domain)) {
                return SecureDeliveryViews.mtaSts(lookup);
            }
        }
        throw notFound("No cached MTA-STS answer for " + domain);
    }

    // What waits to be tried again, per destination domain (every node's where they share a store).
    private Map<String, Object> deferred(Request request) throws IOException {
        String rawDomain = request.queryParams("domain");
        String domain = null;
        if (rawDomain != null) {
            domain = DomainNames.normalize(rawDomain);
            if (domain == null) {
                throw badRequest("Not a domain name: " + PeerText.clean(rawDomain, 300));
            }
        }
        WaitingList waiting = engine.waitingList();
        return SecureDeliveryViews.deferred(waiting.size(), waiting.byDomain(MAX_DEFERRED_DOMAINS), domain);
    }

    // Every node's counts added up, each node's apart under "nodes" (where the nodes share a store).
    private Map<String, Object> outcomes() throws IOException {
        SortedMap<String, OutcomesByNode.NodeOutcomes> nodes =
                engine.outcomesByNode().read();
        Map<String, Object> view = new LinkedHashMap<>();
        Instant since = engine.outcomes().since();
        Map<String, Object> nodeViews = new LinkedHashMap<>();
        for (Map.Entry<String, OutcomesByNode.NodeOutcomes> node : nodes.entrySet()) {
            since = node.getValue().since().isBefore(since) ? node.getValue().since() : since;
            nodeViews.put(node.getKey(), node.getValue().since().toString());
        }
        view.put("since", since.toString());
        view.put("nodes", nodeViews);
        List<Map<String, Object>> domains = new ArrayList<>();
        for (Map.Entry<String, DeliveryOutcomes.DomainOutcomes> entry :
                OutcomesByNode.total(nodes).entrySet()) {
            domains.add(SecureDeliveryViews.outcomes(entry.getKey(), entry.getValue(), byNode(nodes, entry.getKey())));
        }
        view.put("domains", domains);
        return view;
    }

    private Map<String, Object> outcomes(String domain) throws IOException {
        SortedMap<String, OutcomesByNode.NodeOutcomes> nodes =
                engine.outcomesByNode().read();
        DeliveryOutcomes.DomainOutcomes total = OutcomesByNode.total(nodes).get(domain);
        if (total == null) {
            throw notFound("No delivery to " + domain + " since start");
        }
        return SecureDeliveryViews.outcomes(domain, total, byNode(nodes, domain));
    }

    private static SortedMap<String, DeliveryOutcomes.DomainOutcomes> byNode(
            SortedMap<String, OutcomesByNode.NodeOutcomes> nodes, String domain) {
        SortedMap<String, DeliveryOutcomes.DomainOutcomes> byNode = new TreeMap<>();
        nodes.forEach((node, outcomes) -> {
            DeliveryOutcomes.DomainOutcomes counts = outcomes.domains().get(domain);
            if (counts != null) {
                byNode.put(node, counts);
            }
        });
        return byNode;
    }

    // Domains as the engine keys them: lower case A-labels without the trailing dot.
    private static String domain(Request request) {
        String raw = request.params("domain");
        String domain = raw == null ? null : DomainNames.normalize(raw);
        if (domain == null) {
            throw badRequest("Not a domain name: " + PeerText.clean(raw, 300));
        }
        return domain;
    }

    /** A 400 answer: the request is refused with {@code message}, which says what was wrong. */
    static HaltException badRequest(String message) {
        return ErrorResponder.builder()
                .statusCode(400)
                .type(ErrorResponder.ErrorType.INVALID_ARGUMENT)
                .message(message)
                .haltError();
    }

    static HaltException notFound(String message) {
        return ErrorResponder.builder()
                .statusCode(404)
                .type(ErrorResponder.ErrorType.NOT_FOUND)
                .message(message)
                .haltError();
    }

    private static HaltException serverError(String message, Exception cause) {
        return ErrorResponder.builder()
                .statusCode(500)
                .type(ErrorResponder.ErrorType.SERVER_ERROR)
                .message(message)
                .cause(cause)
                .haltError();
    }
}
