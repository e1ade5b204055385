package dev.securedelivery.dashboard;

import dev.securedelivery.peertext.PeerText;
import dev.securedelivery.tlsrpt.PolicyType;
import dev.securedelivery.tlsrpt.ResultType;
import dev.securedelivery.waiting.DomainWaiting;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * What the dashboard shows of one node for a period of UTC days: per day the messages delivered by
 * protection level, the deferrals and the messages bounced; the busiest destination domains; recent policy
 * failures; the TLS reports other senders sent us. Immutable; every peer-chosen string (a domain, an
 * MX host name, an organisation) is kept on one line and capped here
 * ({@link PeerText#clean(String, int)}), and escaped by the renderer.
 */
public final class DashboardData {
    /** The longest domain name kept (RFC 1035 2.3.4: 255 octets). */
    static final int MAX_NAME = 255;
    /** The longest organisation name or note kept. */
    static final int MAX_TEXT = 300;

    private final String node;
    private final Instant generatedAt;
    private final LocalDate from;
    private final LocalDate to;
    private final List<Day> days;
    private final List<Domain> domains;
    private final List<Failure> failures;
    private final List<InboundReports> inboundReports;
    private final List<DomainWaiting> waiting;
    private final List<OwnDomain> ownDomains;
    private final Optional<String> sourceNote;

    private DashboardData(Builder builder) {
        this.node = builder.node;
        this.generatedAt = builder.generatedAt;
        this.from = builder.from;
        this.to = builder.to;
        this.days = List.copyOf(builder.days);
        this.domains = List.copyOf(builder.domains);
        this.failures = List.copyOf(builder.failures);
        this.inboundReports = List.copyOf(builder.inboundReports);
        this.waiting = List.copyOf(builder.waiting);
        this.ownDomains = List.copyOf(builder.ownDomains);
        this.sourceNote = builder.sourceNote;
    }

    /**
     * A dashboard of {@code node} for the UTC days {@code from} to {@code to}, both included.
     *
     * @throws IllegalArgumentException if {@code from} is after {@code to}
     */
    public static Builder builder(String node, Instant generatedAt, LocalDate from, LocalDate to) {
        return new Builder(node, generatedAt, from, to);
    }

    /** The James node the page describes (one page, one node). */
    public String node() {
        return node;
    }

    public Instant generatedAt() {
        return generatedAt;
    }

    /** The first UTC day shown. */
    public LocalDate from() {
        return from;
    }

    /** The last UTC day shown, included. */
    public LocalDate to() {
        return to;
    }

    /** The days that had mail, in the period, each at most once, in date order. */
    public List<Day> days() {
        return days;
    }

    /** The count of {@code day}, or an empty day if it had no mail. */
    public Day day(LocalDate day) {
        for (Day known : days) {
            if (known.day().equals(day)) {
                return known;
            }
        }
        return new Day(day, ProtectionCounts.none(), 0, 0);
    }

    /** The period's totals. */
    public Day total() {
        ProtectionCounts delivered = ProtectionCounts.none();
        long deferred = 0;
        long bounced = 0;
        for (Day day : days) {
            delivered = delivered.plus(day.delivered());
            deferred += day.deferred();
            bounced += day.bounced();
        }
        return new Day(to, delivered, deferred, bounced);
    }

    /** Destination domains over the period, as the source ordered them (busiest first). */
    public List<Domain> domains() {
        return domains;
    }

    /** Policy failures, most recent first. */
    public List<Failure> failures() {
        return failures;
    }

    /** The TLS reports received for the period, per reporting organisation and policy. */
    public List<InboundReports> inboundReports() {
        return inboundReports;
    }

    /** What the person reading should know about where the figures come from, if anything. */
    /** What waits now to be tried again, per destination domain, soonest due first. */
    public List<DomainWaiting> waiting() {
        return waiting;
    }

    /** The self-check of our own domains, each next to what senders reported of it in the period. */
    public List<OwnDomain> ownDomains() {
        return ownDomains;
    }

    public Optional<String> sourceNote() {
        return sourceNote;
    }

    /** One UTC day's messages. */
    public static final class Day {
        private final LocalDate day;
        private final ProtectionCounts delivered;
        private final long deferred;
        private final long bounced;

        /** @throws IllegalArgumentException for a negative count */
        public Day(LocalDate day, ProtectionCounts delivered, long deferred, long bounced) {
            this.day = Objects.requireNonNull(day, "day");
            this.delivered = Objects.requireNonNull(delivered, "delivered");
            this.deferred = nonNegative("deferred", deferred);
            this.bounced = nonNegative("bounced", bounced);
        }

        public LocalDate day() {
            return day;
        }

        /** Messages delivered, by the protection they got. */
        public ProtectionCounts delivered() {
            return delivered;
        }

        /**
         * Deferrals: the delivery attempts that left a message in the queue for a retry. Attempts, not
         * messages: a message deferred three times counts three times.
         */
        public long deferred() {
            return deferred;
        }

        /** Messages bounced (returned to the sender with a DSN). */
        public long bounced() {
            return bounced;
        }
    }

    /** One destination domain's messages over the period and what it publishes. */
    public static final class Domain {
        private final String name;
        private final ProtectionCounts delivered;
        private final long deferred;
        private final long bounced;
        private final Map<PublishedStandard, Boolean> publishes;

        /**
         * @param publishes what the domain was seen to publish (true) or not to publish (false); a
         *     publication not in the map is unknown
         */
        public Domain(
                String name,
                ProtectionCounts delivered,
                long deferred,
                long bounced,
                Map<PublishedStandard, Boolean> publishes) {
            this.name = PeerText.clean(name, MAX_NAME);
            this.delivered = Objects.requireNonNull(delivered, "delivered");
            this.deferred = nonNegative("deferred", deferred);
            this.bounced = nonNegative("bounced", bounced);
            EnumMap<PublishedStandard, Boolean> copy = new EnumMap<>(PublishedStandard.class);
            copy.putAll(publishes);
            this.publishes = Collections.unmodifiableMap(copy);
        }

        public String name() {
            return name;
        }

        public ProtectionCounts delivered() {
            return delivered;
        }

        /** Deferrals (delivery attempts, as {@link Day#deferred()}). */
        public long deferred() {
            return deferred;
        }

        public long bounced() {
            return bounced;
        }

        /** Whether the domain publishes {@code publication}; empty if not known. */
        public Optional<Boolean> publishes(PublishedStandard publication) {
            return Optional.ofNullable(publishes.get(publication));
        }
    }

    /**
     * The deferrals (delivery attempts, as {@link Day#deferred()}) and bounces that one policy failure
     * (an RFC 8460 result type) caused for one domain on one UTC day. The posture history keeps counts
     * per day, not the time of each failure, so the day is all that is known of when.
     */
    public static final class Failure {
        private final LocalDate day;
        private final String domain;
        private final ResultType cause;
        private final long deferred;
        private final long bounced;

        /** @throws IllegalArgumentException if a count is negative, both are zero or their sum overflows */
        public Failure(LocalDate day, String domain, ResultType cause, long deferred, long bounced) {
            this.day = Objects.requireNonNull(day, "day");
            this.domain = PeerText.clean(domain, MAX_NAME);
            this.cause = Objects.requireNonNull(cause, "cause");
            this.deferred = nonNegative("deferred", deferred);
            this.bounced = nonNegative("bounced", bounced);
            if (deferred + bounced == 0 || deferred > Long.MAX_VALUE - bounced) {
                throw new IllegalArgumentException(
                        "A failure is seen at least once, and at most Long.MAX_VALUE times in all");
            }
        }

        /** The UTC day the failures were seen. */
        public LocalDate day() {
            return day;
        }

        public String domain() {
            return domain;
        }

        /** The RFC 8460 result type of the failure. */
        public ResultType cause() {
            return cause;
        }

        public long deferred() {
            return deferred;
        }

        public long bounced() {
            return bounced;
        }

        /** Deferrals and bounces. */
        public long count() {
            return deferred + bounced;
        }
    }

    /** The TLS reports one organisation sent about one of our policy domains in the period. */
    public static final class InboundReports {
        private final String organisation;
        private final String policyDomain;
        private final PolicyType policyType;
        private final long reports;
        private final long successes;
        private final long failures;
        private final List<MxFailures> mxFailures;

        /**
         * @param reports how many reports were summed
         * @param successes successful sessions ({@code total-successful-session-count}, RFC 8460 4.3)
         * @param failures failed sessions ({@code total-failure-session-count})
         * @param mxFailures the failed sessions by receiving MX and result type ({@code failure-details})
         */
        public InboundReports(
                String organisation,
                String policyDomain,
                PolicyType policyType,
                long reports,
                long successes,
                long failures,
                List<MxFailures> mxFailures) {
            this.organisation = PeerText.clean(organisation, MAX_TEXT);
            this.policyDomain = PeerText.clean(policyDomain, MAX_NAME);
            this.policyType = Objects.requireNonNull(policyType, "policyType");
            this.reports = nonNegative("reports", reports);
            this.successes = nonNegative("successes", successes);
            this.failures = nonNegative("failures", failures);
            this.mxFailures = List.copyOf(mxFailures);
        }

        /** The reporting organisation ({@code organization-name}), as the reporter wrote it. */
        public String organisation() {
            return organisation;
        }

        public String policyDomain() {
            return policyDomain;
        }

        public PolicyType policyType() {
            return policyType;
        }

        public long reports() {
            return reports;
        }

        public long successes() {
            return successes;
        }

        public long failures() {
            return failures;
        }

        public List<MxFailures> mxFailures() {
            return mxFailures;
        }
    }

    /**
     * One of our domains as the last self-check saw it: when, the worst finding, each finding that
     * needs action with the failed sessions senders reported in the period for the same MX host and
     * result type, and what senders reported that no finding explains now.
     */
    public static final class OwnDomain {
        private final String domain;
        private final Instant checkedAt;
        private final String worst;
        private final List<OwnFinding> findings;
        private final List<MxFailures> reportedWithoutFinding;

        public OwnDomain(
                String domain,
                Instant checkedAt,
                String worst,
                List<OwnFinding> findings,
                List<MxFailures> reportedWithoutFinding) {
            this.domain = PeerText.clean(domain, MAX_NAME);
            this.checkedAt = Objects.requireNonNull(checkedAt, "checkedAt");
            this.worst = worst;
            this.findings = List.copyOf(findings);
            this.reportedWithoutFinding = List.copyOf(reportedWithoutFinding);
        }

        public String domain() {
            return domain;
        }

        public Instant checkedAt() {
            return checkedAt;
        }

        /** The worst severity found: {@code ok}, {@code warning}, {@code problem}, {@code lookup-failure}. */
        public String worst() {
            return worst;
        }

        public List<OwnFinding> findings() {
            return findings;
        }

        public List<MxFailures> reportedWithoutFinding() {
            return reportedWithoutFinding;
        }
    }

    /** A finding of the self-check that needs action, and the sessions senders reported failing for it. */
    public static final class OwnFinding {
        private final String severity;
        private final String about;
        private final String host;
        private final String resultType;
        private final String message;
        private final String fix;
        private final long reportedSessions;

        /**
         * @param host the MX host it is about, or ""
         * @param resultType the RFC 8460 result type a sender would report, or ""
         * @param fix what to do, or ""
         */
        public OwnFinding(
                String severity,
                String about,
                String host,
                String resultType,
                String message,
                String fix,
                long reportedSessions) {
            this.severity = severity;
            this.about = PeerText.clean(about, MAX_TEXT);
            this.host = PeerText.clean(host, MAX_NAME);
            this.resultType = PeerText.clean(resultType, MAX_NAME);
            this.message = PeerText.clean(message, MAX_TEXT);
            this.fix = PeerText.clean(fix, MAX_TEXT);
            this.reportedSessions = nonNegative("reported sessions", reportedSessions);
        }

        public String severity() {
            return severity;
        }

        public String about() {
            return about;
        }

        public String host() {
            return host;
        }

        public String resultType() {
            return resultType;
        }

        public String message() {
            return message;
        }

        public String fix() {
            return fix;
        }

        public long reportedSessions() {
            return reportedSessions;
        }
    }

    /** Failed sessions a reporter saw at one of our MX hosts, for one result type. */
    public static final class MxFailures {
        private final String receivingMx;
        private final String resultType;
        private final long sessions;

        /**
         * @param receivingMx the {@code receiving-mx-hostname}, or "" if the report named none
         * @param resultType the {@code result-type} as reported: a reporter may use one RFC 8460 does not define
         */
        public MxFailures(String receivingMx, String resultType, long sessions) {
            this.receivingMx = PeerText.clean(receivingMx, MAX_NAME);
            this.resultType = PeerText.clean(resultType, MAX_NAME);
            this.sessions = nonNegative("sessions", sessions);
        }

        public String receivingMx() {
            return receivingMx;
        }

        public String resultType() {
            return resultType;
        }

        public long sessions() {
            return sessions;
        }
    }

    public static final class Builder {
        private final String node;
        private final Instant generatedAt;
        private final LocalDate from;
        private final LocalDate to;
        private final List<Day> days = new ArrayList<>();
        private final List<Domain> domains = new ArrayList<>();
        private final List<Failure> failures = new ArrayList<>();
        private final List<InboundReports> inboundReports = new ArrayList<>();
        private final List<DomainWaiting> waiting = new ArrayList<>();
        private final List<OwnDomain> ownDomains = new ArrayList<>();
        private Optional<String> sourceNote = Optional.empty();

        private Builder(String node, Instant generatedAt, LocalDate from, LocalDate to) {
            this.node = PeerText.clean(node, MAX_NAME);
            this.generatedAt = Objects.requireNonNull(generatedAt, "generatedAt");
            this.from = Objects.requireNonNull(from, "from");
            this.to = Objects.requireNonNull(to, "to");
            if (from.isAfter(to)) {
                throw new IllegalArgumentException("The period starts (" + from + ") after it ends (" + to + ")");
            }
        }

        /**
         * Adds a day of the period.
         *
         * @throws IllegalArgumentException if the day is outside the period or already given
         */
        public Builder day(Day day) {
            if (day.day().isBefore(from) || day.day().isAfter(to)) {
                throw new IllegalArgumentException(day.day() + " is outside " + from + " to " + to);
            }
            for (Day known : days) {
                if (known.day().equals(day.day())) {
                    throw new IllegalArgumentException(day.day() + " given twice");
                }
            }
            days.add(day);
            days.sort((a, b) -> a.day().compareTo(b.day()));
            return this;
        }

        public Builder domain(Domain domain) {
            domains.add(Objects.requireNonNull(domain, "domain"));
            return this;
        }

        public Builder failure(Failure failure) {
            failures.add(Objects.requireNonNull(failure, "failure"));
            return this;
        }

        public Builder inboundReports(InboundReports reports) {
            inboundReports.add(Objects.requireNonNull(reports, "reports"));
            return this;
        }

        public Builder ownDomain(OwnDomain domain) {
            ownDomains.add(Objects.requireNonNull(domain, "domain"));
            return this;
        }

        public Builder waiting(DomainWaiting domain) {
            waiting.add(Objects.requireNonNull(domain, "domain"));
            return this;
        }

        public Builder sourceNote(String note) {
            this.sourceNote = Optional.of(PeerText.clean(note, MAX_TEXT * 2));
            return this;
        }

        public DashboardData build() {
            return new DashboardData(this);
        }
    }

    private static long nonNegative(String name, long count) {
        if (count < 0) {
            throw new IllegalArgumentException("Negative " + name + ": " + count);
        }
        return count;
    }
}
