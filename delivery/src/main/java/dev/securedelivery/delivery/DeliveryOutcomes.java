package dev.securedelivery.delivery;

import dev.securedelivery.smtp.DeliveryAttempt;
import dev.securedelivery.tlsrpt.ResultType;
import java.time.Clock;
import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * What happened to deliveries per destination domain since James started, for operators (the
 * WebAdmin route {@code /secure-delivery/outcomes}): attempts by how the peer was authenticated
 * ({@code DANE-EE}, {@code DANE-TA}, {@code PKIX}, {@code none} for unauthenticated TLS,
 * {@code plaintext}) and outcome, failures by type (the RFC 8460 result type of a policy failure,
 * else {@code connection-or-smtp}), and messages delivered, deferred and bounced.
 *
 * <p>Bounded: beyond {@code maxDomains} the domain updated least recently is forgotten. Not persisted.
 */
public final class DeliveryOutcomes {
    /** The failure type of an attempt the TLS policy did not stop (network, SMTP 4xx/5xx). */
    public static final String NOT_A_POLICY_FAILURE = "connection-or-smtp";

    private final Clock clock;
    private final Instant since;
    private final Map<String, DomainOutcomes> domains;

    public DeliveryOutcomes(Clock clock, int maxDomains) {
        this.clock = clock;
        this.since = clock.instant();
        // Access order: the least recently updated domain is the eldest.
        this.domains = new LinkedHashMap<>(16, 0.75f, true) {
            private static final long serialVersionUID = 1L;

            @Override
            protected boolean removeEldestEntry(Map.Entry<String, DomainOutcomes> eldest) {
                return size() > maxDomains;
            }
        };
    }

    /** When counting began. */
    public Instant since() {
        return since;
    }

    /** One connection to one MX address. */
    public void attempt(String domain, DeliveryAttempt attempt) {
        String outcome = attempt.outcome().name().toLowerCase(Locale.ROOT).replace('_', '-');
        String authentication = attempt.peerAuthentication().label();
        synchronized (domains) {
            DomainOutcomes counts = domain(domain);
            counts.increment(counts.attempts, authentication + " " + outcome);
            if (attempt.outcome() != DeliveryAttempt.Outcome.DELIVERED) {
                counts.increment(
                        counts.failures,
                        attempt.resultType().map(ResultType::reportName).orElse(NOT_A_POLICY_FAILURE));
            }
            counts.last(clock.instant(), attempt.describe());
        }
    }

    /** A message that could not even be tried: the plan allowed no MX host now. */
    public void planFailure(String domain, Optional<ResultType> type, String reason) {
        synchronized (domains) {
            DomainOutcomes counts = domain(domain);
            counts.increment(counts.failures, type.map(ResultType::reportName).orElse("no-usable-mx"));
            counts.last(clock.instant(), reason);
        }
    }

    /** What became of a message: {@code delivered}, {@code deferred} or {@code bounced}. */
    public void message(String domain, String fate) {
        synchronized (domains) {
            DomainOutcomes counts = domain(domain);
            counts.increment(counts.messages, fate);
        }
    }

    /** A copy of the counts of every domain known, by domain name. */
    public Map<String, DomainOutcomes> all() {
        Map<String, DomainOutcomes> copy = new TreeMap<>();
        synchronized (domains) {
            domains.forEach((domain, counts) -> copy.put(domain, counts.copy()));
        }
        return copy;
    }

    /** A copy of the counts of {@code domain}, if any. */
    public Optional<DomainOutcomes> of(String domain) {
        synchronized (domains) {
            // get() would count as an access and keep a merely looked-at domain.
            for (Map.Entry<String, DomainOutcomes> entry : domains.entrySet()) {
                if (entry.getKey().equals(domain.toLowerCase(Locale.ROOT))) {
                    return Optional.of(entry.getValue().copy());
                }
            }
        }
        return Optional.empty();
    }

    private DomainOutcomes domain(String domain) {
        return domains.computeIfAbsent(domain.toLowerCase(Locale.ROOT), name -> new DomainOutcomes());
    }

    /** The counts of one domain. */
    public static final class DomainOutcomes {
        private final Map<String, Long> attempts = new TreeMap<>();
        private final Map<String, Long> failures = new TreeMap<>();
        private final Map<String, Long> messages = new TreeMap<>();
        private Instant lastAttemptAt;
        private String lastAttempt;

        private void increment(Map<String, Long> counts, String key) {
            counts.merge(key, 1L, Long::sum);
        }

        private void last(Instant at, String description) {
            lastAttemptAt = at;
            lastAttempt = description;
        }

        private DomainOutcomes copy() {
            DomainOutcomes copy = new DomainOutcomes();
            copy.attempts.putAll(attempts);
            copy.failures.putAll(failures);
            copy.messages.putAll(messages);
            copy.lastAttemptAt = lastAttemptAt;
            copy.lastAttempt = lastAttempt;
            return copy;
        }

        /** Attempts by "authentication outcome", e.g. {@code "DANE-EE delivered"}, {@code "plaintext temporary-failure"}. */
        public Map<String, Long> attempts() {
            return Collections.unmodifiableMap(attempts);
        }

        /** Failed attempts and unusable plans by type, e.g. {@code "starttls-not-supported"}. */
        public Map<String, Long> failures() {
            return Collections.unmodifiableMap(failures);
        }

        /** Messages by fate: {@code delivered}, {@code deferred}, {@code bounced}. */
        public Map<String, Long> messages() {
            return Collections.unmodifiableMap(messages);
        }

        public Optional<Instant> lastAttemptAt() {
            return Optional.ofNullable(lastAttemptAt);
        }

        /** The last attempt as the delivery log wrote it, or why the plan allowed none. */
        public Optional<String> lastAttempt() {
            return Optional.ofNullable(lastAttempt);
        }
    }
}
