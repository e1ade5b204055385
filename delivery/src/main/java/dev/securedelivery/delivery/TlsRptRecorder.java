package dev.securedelivery.delivery;

import dev.securedelivery.dane.DaneRequirement;
import dev.securedelivery.dane.ReferenceIdentifiers;
import dev.securedelivery.dane.TlsaRecord;
import dev.securedelivery.mtasts.MtaStsFailure;
import dev.securedelivery.mtasts.MtaStsLookup;
import dev.securedelivery.mtasts.MtaStsMode;
import dev.securedelivery.mtasts.MtaStsPolicy;
import dev.securedelivery.policy.DeliveryPlan;
import dev.securedelivery.policy.DomainOverride;
import dev.securedelivery.policy.MxHostPlan;
import dev.securedelivery.policy.TlsRequirement;
import dev.securedelivery.smtp.DeliveryAttempt;
import dev.securedelivery.smtp.PkixFailure;
import dev.securedelivery.tlsrpt.FailureDetail;
import dev.securedelivery.tlsrpt.PolicyType;
import dev.securedelivery.tlsrpt.ReportedPolicy;
import dev.securedelivery.tlsrpt.ResultType;
import dev.securedelivery.tlsrpt.SessionCountStore;
import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import javax.net.ssl.X509TrustManager;

/**
 * Records every delivery session for the TLS reports of RFC 8460, under the policy the session was
 * held to (4.3, 4.4), and with it the report that gets it (its policy domain):
 * <ul>
 *   <li>an MX held to DANE: {@code tlsa}, the MX host and its TLSA records, under the TLSA base
 *       domain (the MX host, or the name its CNAMEs lead to where the records were found there,
 *       RFC 7672 2.2.2): the MX operator's report, not the recipient domain's;</li>
 *   <li>an MX held to an MTA-STS policy, {@code enforce} or {@code testing}: {@code sts}, the policy
 *       as it was served, under the recipient domain. Under {@code testing} the session is delivered
 *       opportunistically, and recorded as the policy would have judged it: the MX must match the
 *       policy, offer STARTTLS and present a PKIX-valid certificate for its name (RFC 8461 5:
 *       testing mode is for reports);</li>
 *   <li>a domain that publishes an MTA-STS record but whose policy could not be had, and no valid
 *       cached one applies: each session fails under {@code sts} without a policy string, as
 *       {@code sts-policy-fetch-error}, {@code sts-policy-invalid} or {@code sts-webpki-invalid}
 *       (4.3.2.2), whatever became of its TLS: the mail went as without MTA-STS (RFC 8461 3.3), which
 *       is what the domain must hear of. While a valid cached policy applies, sessions are judged by it;</li>
 *   <li>anything else: {@code no-policy-found}, a success when TLS was negotiated, a
 *       {@code starttls-not-supported} failure when the message went in plaintext.</li>
 * </ul>
 * A message on a session kept from an earlier message ({@link DeliveryAttempt#reusedSession()}) is
 * not recorded again: the connection counts once (RFC 8460 4.4).
 * A local override (require-tls, none, ...) is no published policy: its sessions count as
 * {@code no-policy-found}. A connection that failed before any TLS (refused, timed out) is no
 * session and is not recorded. Each failure carries the session's own addresses ({@code sending-mta-ip}
 * the local end of its connection, {@code receiving-ip} the MX's) and the name the MX gave itself
 * ({@code receiving-mx-helo}). A destination's DANE sessions are reported under at most
 * {@value DaneReportDomains#MAX_PER_DESTINATION} TLSA base domains a period ({@link DaneReportDomains}).
 */
public final class TlsRptRecorder {
    private static final int MAX_REASON_LENGTH = 200;
    /** RFC 8460 4.3.2.2: the MTA-STS policy could not be had. */
    private static final Set<ResultType> STS_UNAVAILABLE =
            EnumSet.of(ResultType.STS_POLICY_FETCH_ERROR, ResultType.STS_POLICY_INVALID, ResultType.STS_WEBPKI_INVALID);

    private final SessionCountStore journal;
    private final X509TrustManager pkix;
    private final Clock clock;
    private final Function<InetAddress, String> sendingAddress;
    private final DaneReportDomains daneDomains;

    /**
     * @param sendingAddress the address this host sends from towards a receiving address, or null
     *     for none ({@link #routeSource} in production)
     */
    public TlsRptRecorder(
            SessionCountStore journal,
            X509TrustManager pkix,
            Clock clock,
            Function<InetAddress, String> sendingAddress) {
        this.journal = journal;
        this.pkix = pkix;
        this.clock = clock;
        this.sendingAddress = sendingAddress;
        this.daneDomains = new DaneReportDomains(journal.periodLength());
    }

    /**
     * The local address the system routes towards {@code destination} from; no packet is sent. For
     * no destination (a host without addresses), this host's address. Only for a host no connection
     * was made to: a session reports the local address of its own connection.
     */
    public static String routeSource(InetAddress destination) {
        if (destination == null) {
            try {
                return FailureDetail.address(InetAddress.getLocalHost());
            } catch (IOException e) {
                return "0.0.0.0";
            }
        }
        try (DatagramSocket socket = new DatagramSocket()) {
            socket.connect(destination, 25);
            return FailureDetail.address(socket.getLocalAddress());
        } catch (IOException e) {
            // No route (an IPv6 MX on an IPv4-only host): no session either; say who we are.
            return routeSource(null);
        }
    }

    /** One connection to one MX address. */
    public void attempt(DeliveryPlan plan, MxHostPlan host, DeliveryAttempt attempt) {
        if (attempt.reusedSession()) {
            // RFC 8460 4.4 counts "successfully negotiated TLS-enabled connections": a later message on a
            // kept session is no new connection. Its connection was recorded with its first message, under
            // the same policy (SessionKey holds everything the policy depends on).
            return;
        }
        boolean tls = attempt.tlsProtocol().isPresent();
        Optional<ResultType> failure = attempt.resultType();
        boolean completed = attempt.outcome() == DeliveryAttempt.Outcome.DELIVERED
                || attempt.outcome() == DeliveryAttempt.Outcome.SECURED;
        if (!tls && failure.isEmpty() && !completed) {
            // Refused, timed out, or an SMTP error before any TLS: no TLS session to report.
            return;
        }
        ReportedPolicy policy = policyOf(plan, host);
        if (!daneDomains.admits(plan.domain(), policy, clock.instant())) {
            return;
        }
        String reason = reason(attempt.detail());
        Optional<MtaStsFailure> unavailable = policy.type() == PolicyType.STS ? unavailable(plan) : Optional.empty();
        if (unavailable.isPresent()) {
            // RFC 8460 4.3.2.2: the domain's policy could not be had; that is this session's result.
            failure = unavailable.get().resultType();
            reason = reason(unavailable.get().detail());
        } else if (policy.type() == PolicyType.STS && host.requirement().orElse(null) == TlsRequirement.OPPORTUNISTIC) {
            // Testing mode: delivered opportunistically, judged as the policy would have.
            failure = testingVerdict(plan, host, attempt);
        } else if (policy.type() == PolicyType.NO_POLICY_FOUND && !tls && completed) {
            failure = Optional.of(ResultType.STARTTLS_NOT_SUPPORTED);
        }
        if (failure.isEmpty()) {
            journal.success(policy, clock.instant());
            return;
        }
        String sender = attempt.localAddress()
                .map(FailureDetail::address)
                .orElseGet(() -> sendingAddress.apply(attempt.address()));
        journal.failure(
                policy,
                FailureDetail.builder(failure.get(), sender, host.host(), FailureDetail.address(attempt.address()))
                        .receivingMxHelo(attempt.serverName().orElse(null))
                        .failureReasonCode(reason)
                        .build(),
                clock.instant());
    }

    /**
     * A host the plan ruled out for a published policy (an MX outside an enforce policy, bogus
     * DNSSEC, an MTA-STS policy whose state is unknown): a failed session for the report, though no
     * connection was made.
     */
    public void excluded(DeliveryPlan plan, MxHostPlan host) {
        Optional<ResultType> type = host.exclusionType();
        if (type.isEmpty() || type.get() == ResultType.DANE_REQUIRED) {
            // DNS failures are nobody's policy; dane-required comes from a local override.
            return;
        }
        ReportedPolicy policy;
        if (type.get() == ResultType.DNSSEC_INVALID) {
            // The TLSA base domain cannot be told past a bogus answer: the MX host's own.
            policy = ReportedPolicy.tlsa(host.host(), host.host(), List.of());
        } else if (STS_UNAVAILABLE.contains(type.get())) {
            // Excluded because the MTA-STS state is unknown (RFC 8461 3.1): the policy could not be had.
            policy = ReportedPolicy.stsUnavailable(plan.domain());
        } else {
            policy = published(plan).map(sts -> stsPolicy(plan)).orElse(ReportedPolicy.noPolicyFound(plan.domain()));
        }
        if (!daneDomains.admits(plan.domain(), policy, clock.instant())) {
            return;
        }
        InetAddress towards =
                host.addresses().isEmpty() ? null : host.addresses().get(0);
        String sender = sendingAddress.apply(towards);
        journal.failure(
                policy,
                FailureDetail.builder(type.get(), sender, host.host(), null)
                        .failureReasonCode(reason(host.exclusion().orElse("")))
                        .build(),
                clock.instant());
    }

    private ReportedPolicy policyOf(DeliveryPlan plan, MxHostPlan host) {
        TlsRequirement requirement = host.requirement().orElse(TlsRequirement.OPPORTUNISTIC);
        if ((requirement == TlsRequirement.DANE || requirement == TlsRequirement.ENCRYPT)
                && host.dane().isPresent()) {
            DaneRequirement dane = host.dane().get();
            List<String> records = new ArrayList<>();
            for (TlsaRecord record : dane.records()) {
                records.add(record.toPresentation());
            }
            // RFC 8460 4.4: for DANE the policy domain is the TLSA base domain.
            String baseDomain = dane.referenceIdentifiers()
                    .map(ReferenceIdentifiers::primary)
                    .orElse(host.host());
            return ReportedPolicy.tlsa(baseDomain, host.host(), records);
        }
        // require-tls, opportunistic and none replace the published policies with a local rule.
        boolean local = plan.override()
                .filter(override -> override == DomainOverride.REQUIRE_TLS
                        || override == DomainOverride.OPPORTUNISTIC
                        || override == DomainOverride.NONE)
                .isPresent();
        if (local) {
            return ReportedPolicy.noPolicyFound(plan.domain());
        }
        Optional<MtaStsPolicy> published = published(plan);
        if (published.isPresent()
                && (requirement == TlsRequirement.PKIX
                        || requirement == TlsRequirement.OPPORTUNISTIC
                                && published.get().mode() == MtaStsMode.TESTING)) {
            return stsPolicy(plan);
        }
        if (unavailable(plan).isPresent()) {
            return ReportedPolicy.stsUnavailable(plan.domain());
        }
        return ReportedPolicy.noPolicyFound(plan.domain());
    }

    // The plan's MTA-STS policy, unless its mode is none (nothing to report on).
    private static Optional<MtaStsPolicy> published(DeliveryPlan plan) {
        return plan.mtaSts().flatMap(lookup -> lookup.policy()).filter(policy -> policy.mode() != MtaStsMode.NONE);
    }

    /**
     * Why the MTA-STS policy the domain publishes could not be had, when that left no policy at all
     * (a valid cached one would apply instead): a failure of RFC 8460 4.3.2.2's kinds only.
     */
    private static Optional<MtaStsFailure> unavailable(DeliveryPlan plan) {
        return plan.mtaSts()
                .filter(lookup -> lookup.outcome() == MtaStsLookup.Outcome.NO_POLICY)
                .flatMap(MtaStsLookup::failure)
                .filter(failure ->
                        failure.resultType().filter(STS_UNAVAILABLE::contains).isPresent());
    }

    // RFC 8460 4.4: the policy as it was fetched, a string per line; its mx patterns as mx-host.
    private static ReportedPolicy stsPolicy(DeliveryPlan plan) {
        MtaStsLookup lookup = plan.mtaSts().orElseThrow();
        return ReportedPolicy.sts(
                plan.domain(),
                lookup.policyText().orElseThrow(),
                lookup.policy().orElseThrow().mxPatterns());
    }

    private Optional<ResultType> testingVerdict(DeliveryPlan plan, MxHostPlan host, DeliveryAttempt attempt) {
        MtaStsPolicy policy = published(plan).orElseThrow();
        if (!policy.matches(host.host())) {
            return Optional.of(ResultType.VALIDATION_FAILURE);
        }
        List<X509Certificate> chain = attempt.peerCertificates();
        if (attempt.tlsProtocol().isEmpty() || chain.isEmpty()) {
            return Optional.of(ResultType.STARTTLS_NOT_SUPPORTED);
        }
        return PkixFailure.of(pkix, host.host(), chain).map(PkixFailure::type);
    }

    private static String reason(String detail) {
        if (detail == null || detail.isBlank()) {
            return null;
        }
        String oneLine = detail.replaceAll("\\s+", " ").trim();
        return oneLine.length() <= MAX_REASON_LENGTH ? oneLine : oneLine.substring(0, MAX_REASON_LENGTH);
    }
}
