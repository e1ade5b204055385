package dev.securedelivery.dashboard;

import dev.securedelivery.delivery.FailureCause;
import dev.securedelivery.owndomains.Finding;
import dev.securedelivery.owndomains.Findings;
import dev.securedelivery.owndomains.SelfCheck;
import dev.securedelivery.posture.DomainPosture;
import dev.securedelivery.posture.PostureHistory;
import dev.securedelivery.posture.Protection;
import dev.securedelivery.tlsrpt.InboundReport;
import dev.securedelivery.tlsrpt.InboundReportStore;
import dev.securedelivery.tlsrpt.PolicyType;
import dev.securedelivery.tlsrpt.ReceivedFailure;
import dev.securedelivery.tlsrpt.ReceivedPolicy;
import dev.securedelivery.tlsrpt.ResultType;
import dev.securedelivery.waiting.WaitingList;
import java.io.IOException;
import java.time.Clock;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The dashboard over the posture history ({@link PostureHistory}, per UTC day and destination domain)
 * and the TLS reports others sent us ({@link InboundReportStore}): this node's, or the cluster's where
 * the nodes share a store. The page
 * therefore shows the same numbers as {@code /secure-delivery/posture} and
 * {@code /secure-delivery/inbound-reports} for the same days.
 *
 * <p>Policy failures are the posture's deferrals and bounces whose cause is an RFC 8460 result type,
 * one row per UTC day, domain and cause, with the messages deferred and bounced (the history keeps
 * counts, not the time of each failure).
 */
public final class PostureDashboardSource implements DashboardSource {
    private static final Logger LOGGER = LoggerFactory.getLogger(PostureDashboardSource.class);

    private final String node;
    private final Optional<PostureHistory> posture;
    private final InboundReportStore inbound;
    private final WaitingList waiting;
    private final Supplier<Map<String, SelfCheck.Result>> ownDomains;
    private final Clock clock;

    public PostureDashboardSource(
            String node,
            Optional<PostureHistory> posture,
            InboundReportStore inbound,
            WaitingList waiting,
            Supplier<Map<String, SelfCheck.Result>> ownDomains,
            Clock clock) {
        this.node = node;
        this.posture = posture;
        this.inbound = inbound;
        this.waiting = waiting;
        this.ownDomains = ownDomains;
        this.clock = clock;
    }

    @Override
    public DashboardData load(LocalDate from, LocalDate to) {
        Instant now = clock.instant();
        DashboardData.Builder data = DashboardData.builder(node, now, from, to);
        if (posture.isPresent()) {
            try {
                addPosture(data, posture.get().between(from, to));
            } catch (IOException e) {
                LOGGER.warn("secure-delivery: the dashboard could not read the posture history: {}", e.getMessage());
                data.sourceNote("The posture history could not be read: " + e.getMessage());
            }
        } else {
            data.sourceNote("This engine keeps no posture history: no delivery mailet has started it yet.");
        }
        List<DashboardData.InboundReports> inboundRows = addInboundReports(data, from, to);
        addWaiting(data);
        addOwnDomains(data, inboundRows);
        return data.build();
    }

    // Each finding next to the failures senders reported for the same MX host and result type: for a
    // DANE host the reports are the TLSA base domain's (the host's own name, RFC 8460 4.4).
    private void addOwnDomains(DashboardData.Builder data, List<DashboardData.InboundReports> inboundRows) {
        for (Map.Entry<String, SelfCheck.Result> entry : ownDomains.get().entrySet()) {
            String domain = entry.getKey();
            Findings findings = entry.getValue().findings();
            Set<String> names = new HashSet<>(List.of(domain));
            findings.all().forEach(finding -> finding.host().ifPresent(names::add));
            Map<List<String>, Long> reported = new LinkedHashMap<>();
            for (DashboardData.InboundReports row : inboundRows) {
                if (names.contains(row.policyDomain())) {
                    for (DashboardData.MxFailures failure : row.mxFailures()) {
                        reported.merge(
                                List.of(failure.receivingMx(), failure.resultType()), failure.sessions(), Long::sum);
                    }
                }
            }
            List<DashboardData.OwnFinding> rows = new ArrayList<>();
            Set<List<String>> explained = new HashSet<>();
            for (Finding finding : findings.all()) {
                if (!finding.severity().needsAction()) {
                    continue;
                }
                String host = finding.host().orElse("");
                String type = finding.resultType().map(ResultType::reportName).orElse("");
                List<String> key = List.of(host, type);
                explained.add(key);
                rows.add(new DashboardData.OwnFinding(
                        finding.severity().label(),
                        finding.about(),
                        host,
                        type,
                        finding.message(),
                        finding.fix().orElse(""),
                        reported.getOrDefault(key, 0L)));
            }
            List<DashboardData.MxFailures> unexplained = new ArrayList<>();
            reported.forEach((key, sessions) -> {
                if (!explained.contains(key)) {
                    unexplained.add(new DashboardData.MxFailures(key.get(0), key.get(1), sessions));
                }
            });
            data.ownDomain(new DashboardData.OwnDomain(
                    domain, entry.getValue().checkedAt(), findings.worst().label(), rows, unexplained));
        }
    }

    private void addWaiting(DashboardData.Builder data) {
        try {
            // One more than the page shows: it then says that more were left out.
            waiting.byDomain(DashboardPage.MAX_DOMAINS + 1).forEach(data::waiting);
        } catch (IOException e) {
            LOGGER.warn("secure-delivery: the dashboard could not read the waiting messages: {}", e.getMessage());
            data.sourceNote("The waiting messages could not be read: " + e.getMessage());
        }
    }

    private static void addPosture(
            DashboardData.Builder data, SortedMap<LocalDate, SortedMap<String, DomainPosture>> days) {
        Map<String, List<DomainPosture>> domains = new TreeMap<>();
        List<DashboardData.Failure> failures = new ArrayList<>();
        for (Map.Entry<LocalDate, SortedMap<String, DomainPosture>> day : days.entrySet()) {
            Map<Protection, Long> delivered = new EnumMap<>(Protection.class);
            long deferred = 0;
            long bounced = 0;
            for (Map.Entry<String, DomainPosture> entry : day.getValue().entrySet()) {
                DomainPosture counts = entry.getValue();
                counts.delivered().forEach((protection, count) -> delivered.merge(protection, count, Long::sum));
                deferred += counts.totalDeferred();
                bounced += counts.totalBounced();
                domains.computeIfAbsent(entry.getKey(), name -> new ArrayList<>())
                        .add(counts);
                addFailures(failures, day.getKey(), entry.getKey(), counts);
            }
            data.day(new DashboardData.Day(day.getKey(), ProtectionCounts.of(delivered), deferred, bounced));
        }
        List<DashboardData.Domain> rows = new ArrayList<>();
        domains.forEach((name, daysOfIt) -> rows.add(row(name, DomainPosture.over(daysOfIt))));
        rows.sort(Comparator.comparingLong(PostureDashboardSource::messages)
                .reversed()
                .thenComparing(DashboardData.Domain::name));
        rows.forEach(data::domain);
        failures.sort(Comparator.comparing(DashboardData.Failure::day)
                .reversed()
                .thenComparing(
                        Comparator.comparingLong(DashboardData.Failure::count).reversed())
                .thenComparing(DashboardData.Failure::domain));
        failures.forEach(data::failure);
    }

    private static void addFailures(
            List<DashboardData.Failure> failures, LocalDate day, String domain, DomainPosture counts) {
        Map<FailureCause, long[]> byCause = new EnumMap<>(FailureCause.class);
        counts.deferred().forEach((cause, count) -> byCause.computeIfAbsent(cause, c -> new long[2])[0] += count);
        counts.bounced().forEach((cause, count) -> byCause.computeIfAbsent(cause, c -> new long[2])[1] += count);
        byCause.forEach((cause, deferredAndBounced) -> {
            Optional<ResultType> type = cause.resultType();
            if (type.isPresent()) {
                failures.add(new DashboardData.Failure(
                        day, domain, type.get(), deferredAndBounced[0], deferredAndBounced[1]));
            }
        });
    }

    private List<DashboardData.InboundReports> addInboundReports(
            DashboardData.Builder data, LocalDate from, LocalDate to) {
        List<InboundReport> reports;
        try {
            reports = inbound.list(
                    from.atStartOfDay(ZoneOffset.UTC).toInstant(),
                    to.plusDays(1).atStartOfDay(ZoneOffset.UTC).toInstant().minusNanos(1));
        } catch (IOException e) {
            LOGGER.warn("secure-delivery: the dashboard could not read the inbound TLS reports: {}", e.toString());
            data.sourceNote("The inbound TLS reports could not be read: " + e.getMessage());
            return List.of();
        }
        Map<List<Object>, InboundTotals> rows = new LinkedHashMap<>();
        for (InboundReport report : reports) {
            String organisation = report.report().organizationName();
            for (ReceivedPolicy policy : report.report().policies()) {
                List<Object> key = List.of(
                        organisation,
                        policy.policy().policyDomain(),
                        policy.policy().type());
                rows.computeIfAbsent(key, k -> new InboundTotals()).add(policy);
            }
        }
        List<DashboardData.InboundReports> added = new ArrayList<>();
        rows.forEach((key, totals) ->
                added.add(totals.row((String) key.get(0), (String) key.get(1), (PolicyType) key.get(2))));
        added.forEach(data::inboundReports);
        return added;
    }

    private static long messages(DashboardData.Domain domain) {
        return domain.delivered().total() + domain.deferred() + domain.bounced();
    }

    /** One domain's row: its counts over the days shown, and what it was last seen to publish. */
    private static DashboardData.Domain row(String name, DomainPosture total) {
        Map<PublishedStandard, Boolean> publishes = new EnumMap<>(PublishedStandard.class);
        known(publishes, PublishedStandard.MTA_STS, total.publication().mtaSts().asBoolean());
        known(publishes, PublishedStandard.DANE, total.publication().dane().asBoolean());
        known(publishes, PublishedStandard.TLS_RPT, total.publication().tlsRpt().asBoolean());
        return new DashboardData.Domain(
                name, ProtectionCounts.of(total.delivered()), total.totalDeferred(), total.totalBounced(), publishes);
    }

    private static void known(Map<PublishedStandard, Boolean> publishes, PublishedStandard standard, Boolean answer) {
        if (answer != null) {
            publishes.put(standard, answer);
        }
    }

    /** One reporting organisation's sessions for one policy, over the reports shown. */
    private static final class InboundTotals {
        private long reports;
        private long successes;
        private long failures;
        private final Map<List<String>, Long> byMxAndResult = new TreeMap<>(
                Comparator.<List<String>, String>comparing(key -> key.get(0)).thenComparing(key -> key.get(1)));

        void add(ReceivedPolicy policy) {
            reports++;
            successes = saturatedAdd(successes, policy.successfulSessions());
            failures = saturatedAdd(failures, policy.failedSessions());
            for (ReceivedFailure failure : policy.failures()) {
                List<String> key = List.of(
                        failure.receivingMxHostname().orElse(InboundReport.UNNAMED_MX), failure.resultTypeName());
                byMxAndResult.merge(key, failure.failedSessions(), PostureDashboardSource::saturatedAdd);
            }
        }

        DashboardData.InboundReports row(String organisation, String policyDomain, PolicyType type) {
            List<DashboardData.MxFailures> mx = new ArrayList<>();
            byMxAndResult.forEach(
                    (key, sessions) -> mx.add(new DashboardData.MxFailures(key.get(0), key.get(1), sessions)));
            return new DashboardData.InboundReports(organisation, policyDomain, type, reports, successes, failures, mx);
        }
    }

    // Reports carry counts up to 2^63-1 each: a sum past that shows as the largest count, not a negative one.
    private static long saturatedAdd(long a, long b) {
        long sum = a + b;
        return sum < 0 ? Long.MAX_VALUE : sum;
    }
}
