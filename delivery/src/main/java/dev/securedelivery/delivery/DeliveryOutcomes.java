package dev.securedelivery.delivery;

import dev.securedelivery.smtp.DeliveryAttempt;
import dev.securedelivery.smtp.PeerAuthentication;
import dev.securedelivery.tlsrpt.ResultType;
import java.time.Clock;
import java.time.Instant;
import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;

/**
 * What happened to deliveries per destination domain since James started, for operators (the
 * WebAdmin route {@code /secure-delivery/outcomes}): attempts by how the peer was authenticated and
 * how the attempt ended ({@link AttemptKind}), failures by {@link FailureCause} (the RFC 8460 result
 * type of a policy failure, else {@code connection-or-smtp}, or {@code no-usable-mx} for a plan that
 * allowed no host), and messages by {@link Fate}.
 *
 * <p>Bounded: beyond {@code maxDomains} the domain updated least recently is forgotten. Not persisted;
 * where nodes share a store, each writes its own there for the others' views ({@link OutcomesByNode}).
 */
public final class DeliveryOutcomes {
    private final Clock clock;
    private final Instant since;
    private final Map<String, DomainOutcomes> domains;
    // Bumped by every change, and stamped on the domain changed: what a shared store has not written yet.
    private long version;

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
        synchronized (domains) {
            DomainOutcomes counts = changed(domain);
            counts.attempts.merge(AttemptKind.of(attempt), 1L, Long::sum);
            if (attempt.outcome() != DeliveryAttempt.Outcome.DELIVERED) {
                FailureCause cause = attempt.resultType().map(FailureCause::of).orElse(FailureCause.CONNECTION_OR_SMTP);
                counts.failures.merge(cause, 1L, Long::sum);
            }
            counts.last(clock.instant(), attempt.describe());
        }
    }

    /** A message that could not even be tried: the plan allowed no MX host now. */
    public void planFailure(String domain, Optional<ResultType> type, String reason) {
        synchronized (domains) {
            DomainOutcomes counts = changed(domain);
            counts.failures.merge(type.map(FailureCause::of).orElse(FailureCause.NO_USABLE_MX), 1L, Long::sum);
            counts.last(clock.instant(), reason);
        }
    }

    /** What became of a message. */
    public void message(String domain, Fate fate) {
        synchronized (domains) {
            changed(domain).messages.merge(fate, 1L, Long::sum);
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

    /** How many changes were counted so far: a mark for {@link #changedAfter}. */
    public long version() {
        synchronized (domains) {
            return version;
        }
    }

    /** A copy of the counts of every domain changed after {@code mark} (a {@link #version()}), by domain name. */
    public Map<String, DomainOutcomes> changedAfter(long mark) {
        Map<String, DomainOutcomes> copy = new TreeMap<>();
        synchronized (domains) {
            domains.forEach((domain, counts) -> {
                if (counts.version > mark) {
                    copy.put(domain, counts.copy());
                }
            });
        }
        return copy;
    }

    private DomainOutcomes changed(String domain) {
        DomainOutcomes counts = domains.computeIfAbsent(domain.toLowerCase(Locale.ROOT), name -> new DomainOutcomes());
        counts.version = ++version;
        return counts;
    }

    /** How an attempt's peer was authenticated and how the attempt ended: what attempts are counted by. */
    public static final class AttemptKind implements Comparable<AttemptKind> {
        private final PeerAuthentication authentication;
        private final DeliveryAttempt.Outcome outcome;

        public AttemptKind(PeerAuthentication authentication, DeliveryAttempt.Outcome outcome) {
            this.authentication = Objects.requireNonNull(authentication, "authentication");
            this.outcome = Objects.requireNonNull(outcome, "outcome");
        }

        static AttemptKind of(DeliveryAttempt attempt) {
            return new AttemptKind(attempt.peerAuthentication(), attempt.outcome());
        }

        public PeerAuthentication authentication() {
            return authentication;
        }

        public DeliveryAttempt.Outcome outcome() {
            return outcome;
        }

        /** As JSON names it: {@code "DANE-EE delivered"}, {@code "plaintext temporary-failure"}. */
        public String label() {
            return authentication.label() + " "
                    + outcome.name().toLowerCase(Locale.ROOT).replace('_', '-');
        }

        @Override
        public int compareTo(AttemptKind other) {
            return label().compareTo(other.label());
        }

        @Override
        public boolean equals(Object other) {
            return other instanceof AttemptKind
                    && authentication == ((AttemptKind) other).authentication
                    && outcome == ((AttemptKind) other).outcome;
        }

        @Override
        public int hashCode() {
            return Objects.hash(authentication, outcome);
        }

        @Override
        public String toString() {
            return label();
        }
    }

    /** The counts of one domain. */
    public static final class DomainOutcomes {
        private final Map<AttemptKind, Long> attempts = new TreeMap<>();
        private final Map<FailureCause, Long> failures = new EnumMap<>(FailureCause.class);
        private final Map<Fate, Long> messages = new EnumMap<>(Fate.class);
        private Instant lastAttemptAt;
        private String lastAttempt;
        private long version;

        /** Counts as a store kept them; {@code lastAttemptAt} and {@code lastAttempt} may be null. */
        public static DomainOutcomes of(
                Map<AttemptKind, Long> attempts,
                Map<FailureCause, Long> failures,
                Map<Fate, Long> messages,
                Instant lastAttemptAt,
                String lastAttempt) {
            DomainOutcomes outcomes = new DomainOutcomes();
            outcomes.attempts.putAll(attempts);
            outcomes.failures.putAll(failures);
            outcomes.messages.putAll(messages);
            outcomes.lastAttemptAt = lastAttemptAt;
            outcomes.lastAttempt = lastAttempt;
            return outcomes;
        }

        /** These counts and {@code other}'s added up (two nodes'), with the later last attempt of the two. */
        public DomainOutcomes plus(DomainOutcomes other) {
            DomainOutcomes sum = copy();
            other.attempts.forEach((kind, count) -> sum.attempts.merge(kind, count, Long::sum));
            other.failures.forEach((cause, count) -> sum.failures.merge(cause, count, Long::sum));
            other.messages.forEach((fate, count) -> sum.messages.merge(fate, count, Long::sum));
            if (other.lastAttemptAt != null
                    && (sum.lastAttemptAt == null || other.lastAttemptAt.isAfter(sum.lastAttemptAt))) {
                sum.last(other.lastAttemptAt, other.lastAttempt);
            }
            return sum;
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

        /** Attempts by how the peer was authenticated and how they ended. */
        public Map<AttemptKind, Long> attempts() {
            return Collections.unmodifiableMap(attempts);
        }

        /** Failed attempts and unusable plans by cause. */
        public Map<FailureCause, Long> failures() {
            return Collections.unmodifiableMap(failures);
        }

        /** Messages by fate. */
        public Map<Fate, Long> messages() {
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
