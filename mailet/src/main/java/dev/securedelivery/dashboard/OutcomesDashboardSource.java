package dev.securedelivery.dashboard;

import dev.securedelivery.delivery.DeliveryOutcomes;
import dev.securedelivery.mtasts.MtaStsLookup;
import dev.securedelivery.mtasts.MtaStsMode;
import dev.securedelivery.tlsrpt.ResultType;
import java.time.Clock;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * The dashboard over what this node keeps today: the in-memory {@link DeliveryOutcomes} since James
 * started (no per-day history, no inbound TLS reports). Its counts are shown on the day they are read,
 * and the page says so. Delivered attempts count by how the MX was authenticated: {@code DANE-EE} and
 * {@code DANE-TA} as DANE; {@code PKIX} as MTA-STS when the domain's cached MTA-STS policy is in
 * enforce mode, else as PKIX; {@code none} as TLS only; {@code plaintext} as plaintext.
 */
public final class OutcomesDashboardSource implements DashboardSource {
    private static final String DELIVERED = " delivered";
    private static final DateTimeFormatter MINUTE =
            DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm", Locale.ROOT).withZone(ZoneOffset.UTC);

    private final String node;
    private final DeliveryOutcomes outcomes;
    private final Supplier<Collection<MtaStsLookup>> mtaStsCache;
    private final Clock clock;

    /**
     * @param mtaStsCache the MTA-STS answers cached now: whether a domain publishes MTA-STS, and in which mode
     */
    public OutcomesDashboardSource(
            String node, DeliveryOutcomes outcomes, Supplier<Collection<MtaStsLookup>> mtaStsCache, Clock clock) {
        this.node = node;
        this.outcomes = outcomes;
        this.mtaStsCache = mtaStsCache;
        this.clock = clock;
    }

    @Override
    public DashboardData load(LocalDate from, LocalDate to) {
        Instant now = clock.instant();
        LocalDate today = LocalDate.ofInstant(now, ZoneOffset.UTC);
        DashboardData.Builder data = DashboardData.builder(node, now, from, to)
                .sourceNote("These figures are this node's in-memory counts since James started ("
                        + MINUTE.format(outcomes.since())
                        + " UTC), shown on the day they are read: no per-day history is kept yet,"
                        + " and received TLS reports are not stored yet.");
        if (today.isBefore(from) || today.isAfter(to)) {
            return data.build();
        }
        Map<String, MtaStsLookup> mtaSts = new HashMap<>();
        for (MtaStsLookup lookup : mtaStsCache.get()) {
            mtaSts.put(lookup.domain(), lookup);
        }
        Map<Protection, Long> dayDelivered = new EnumMap<>(Protection.class);
        long dayDeferred = 0;
        long dayBounced = 0;
        List<DashboardData.Domain> domains = new ArrayList<>();
        List<DashboardData.Failure> failures = new ArrayList<>();
        for (Map.Entry<String, DeliveryOutcomes.DomainOutcomes> entry :
                outcomes.all().entrySet()) {
            String domain = entry.getKey();
            DeliveryOutcomes.DomainOutcomes counts = entry.getValue();
            Optional<MtaStsLookup> lookup = Optional.ofNullable(mtaSts.get(domain));
            boolean enforced = lookup.flatMap(MtaStsLookup::policy)
                    .map(policy -> policy.mode() == MtaStsMode.ENFORCE)
                    .orElse(false);
            Map<Protection, Long> delivered = new EnumMap<>(Protection.class);
            counts.attempts()
                    .forEach((key, count) -> protection(key, enforced)
                            .ifPresent(protection -> delivered.merge(protection, count, Long::sum)));
            delivered.forEach((protection, count) -> dayDelivered.merge(protection, count, Long::sum));
            long deferred = counts.messages().getOrDefault("deferred", 0L);
            long bounced = counts.messages().getOrDefault("bounced", 0L);
            dayDeferred += deferred;
            dayBounced += bounced;
            Map<Publication, Boolean> publishes = new EnumMap<>(Publication.class);
            lookup.ifPresent(known -> {
                if (known.outcome() != MtaStsLookup.Outcome.TEMPORARY_FAILURE) {
                    publishes.put(Publication.MTA_STS, known.outcome() == MtaStsLookup.Outcome.POLICY);
                }
            });
            if (delivered.containsKey(Protection.DANE)) {
                publishes.put(Publication.DANE, true);
            }
            domains.add(new DashboardData.Domain(domain, ProtectionCounts.of(delivered), deferred, bounced, publishes));
            Instant lastSeen = counts.lastAttemptAt().orElse(outcomes.since());
            counts.failures()
                    .forEach((type, count) -> ResultType.fromReportName(type)
                            .ifPresent(cause -> failures.add(new DashboardData.Failure(
                                    lastSeen,
                                    domain,
                                    cause,
                                    count,
                                    counts.lastAttempt()
                                            .map(last -> "The domain's last attempt: " + last)
                                            .orElse("")))));
        }
        domains.sort(Comparator.comparingLong(OutcomesDashboardSource::messages)
                .reversed()
                .thenComparing(DashboardData.Domain::name));
        failures.sort(Comparator.comparing(DashboardData.Failure::lastSeen)
                .reversed()
                .thenComparing(DashboardData.Failure::domain));
        data.day(new DashboardData.Day(today, ProtectionCounts.of(dayDelivered), dayDeferred, dayBounced));
        domains.forEach(data::domain);
        failures.forEach(data::failure);
        return data.build();
    }

    private static long messages(DashboardData.Domain domain) {
        return domain.delivered().total() + domain.deferred() + domain.bounced();
    }

    // An attempt key is "<authentication> <outcome>", e.g. "DANE-EE delivered" (DeliveryOutcomes.attempt).
    private static Optional<Protection> protection(String attempt, boolean mtaStsEnforced) {
        if (!attempt.endsWith(DELIVERED)) {
            return Optional.empty();
        }
        String authentication = attempt.substring(0, attempt.length() - DELIVERED.length());
        switch (authentication) {
            case "DANE-EE":
            case "DANE-TA":
                return Optional.of(Protection.DANE);
            case "PKIX":
                return Optional.of(mtaStsEnforced ? Protection.MTA_STS : Protection.PKIX);
            case "none":
                return Optional.of(Protection.TLS);
            case "plaintext":
                return Optional.of(Protection.PLAINTEXT);
            default:
                return Optional.empty();
        }
    }
}
