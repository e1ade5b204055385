package dev.securedelivery.delivery;

import dev.securedelivery.tlsrpt.PolicyType;
import dev.securedelivery.tlsrpt.ReportPeriod;
import dev.securedelivery.tlsrpt.ReportedPolicy;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The TLSA base domains each destination's sessions were reported under in a report period, and a
 * limit to them. A DANE session is reported to its TLSA base domain, the MX host (RFC 8460 4.4), and
 * a destination chooses its MX host names: one that names new ones at each lookup would otherwise
 * open a report of its own per session, and fill the period's counts ({@code SessionCounts}) that
 * every other domain's reports share. An honest destination has a few MX hosts; past
 * {@value #MAX_PER_DESTINATION} in a period, a DANE session under a new name is not reported (one
 * WARN line per destination and period says so).
 */
final class DaneReportDomains {
    private static final Logger LOGGER = LoggerFactory.getLogger(DaneReportDomains.class);

    static final int MAX_PER_DESTINATION = 100;
    /** Destinations followed per period; beyond, the period's own bounds alone apply. */
    static final int MAX_DESTINATIONS = 100_000;

    private final Duration periodLength;
    private final Map<ReportPeriod, Map<String, Set<String>>> periods = new HashMap<>();

    DaneReportDomains(Duration periodLength) {
        this.periodLength = periodLength;
    }

    /** Whether a session of {@code destination} held to {@code policy} at {@code at} may be reported. */
    boolean admits(String destination, ReportedPolicy policy, Instant at) {
        if (policy.type() != PolicyType.TLSA || policy.policyDomain().equals(destination)) {
            return true;
        }
        ReportPeriod period = ReportPeriod.containing(at, periodLength);
        synchronized (periods) {
            // The reports of ended periods are built from the counts, not from this.
            periods.keySet().removeIf(other -> !other.end().isAfter(period.start()));
            Map<String, Set<String>> destinations = periods.computeIfAbsent(period, start -> new HashMap<>());
            Set<String> names = destinations.get(destination);
            if (names == null) {
                if (destinations.size() >= MAX_DESTINATIONS) {
                    return true;
                }
                names = new HashSet<>();
                destinations.put(destination, names);
            }
            if (names.contains(policy.policyDomain())) {
                return true;
            }
            if (names.size() < MAX_PER_DESTINATION) {
                names.add(policy.policyDomain());
                return true;
            }
            if (names.size() == MAX_PER_DESTINATION) {
                // One more entry, never a name: marks the WARN as said for this period.
                names.add("");
                LOGGER.warn(
                        "secure-delivery: {} has had sessions under {} TLSA base domains (MX host names) in TLS"
                                + " report period {}; DANE sessions under further names are not reported",
                        destination,
                        MAX_PER_DESTINATION,
                        period);
            }
            return false;
        }
    }
}
