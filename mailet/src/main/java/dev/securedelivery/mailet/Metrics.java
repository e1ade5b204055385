package dev.securedelivery.mailet;

/**
 * The metric names the extension publishes through James's MetricFactory (seen with WebAdmin's
 * metrics routes): counters of attempts by security level and outcome, timers of policy lookups
 * and MTA-STS fetches.
 */
final class Metrics {
    /** Timer: one MTA-STS policy fetch; with ".ok" or ".<result type>" a counter of fetches by outcome. */
    static final String MTA_STS_FETCH = "secureDelivery.mtaSts.fetch";
    /** Timer: computing the delivery plan of a domain (MX, DANE, MTA-STS). */
    static final String PLAN = "secureDelivery.plan";
    /** Counter prefix: {@code .<outcome>.<authentication>} per attempt, e.g. ".delivered.dane-ee". */
    static final String ATTEMPT = "secureDelivery.attempt";
    /** Counter prefix: {@code .delivered}, {@code .deferred}, {@code .bounced} per message. */
    static final String MAIL = "secureDelivery.mail";
    /**
     * Counter prefix of the posture: {@code .delivered.<protection>} ({@code dane}, {@code mta_sts},
     * {@code pkix}, {@code tls}, {@code plaintext}), {@code .deferred.<cause>} and
     * {@code .bounced.<cause>} (an RFC 8460 result type or {@code connection_or_smtp} and the like,
     * {@code -} written {@code _}), one per message. Prometheus sees e.g.
     * {@code secureDelivery_posture_delivered_mta_sts_total}.
     */
    static final String POSTURE = "secureDelivery.posture";

    /**
     * Gauge prefix: the findings of the self-check of our own domains now, {@code .warning}, {@code
     * .problem}, {@code .lookup_failure} (Prometheus: {@code secureDelivery_ownDomains_problem}).
     */
    static final String OWN_DOMAINS = "secureDelivery.ownDomains";
    /** Gauge: whole days until the first certificate a sender sees expires (an MX's, a policy host's); -1 unknown. */
    static final String OWN_DOMAINS_FIRST_EXPIRY = "secureDelivery.ownDomains.daysUntilFirstExpiry";

    private Metrics() {}
}
