package dev.securedelivery.delivery;

import dev.securedelivery.peertext.PeerText;
import dev.securedelivery.policy.DeliveryPlan;
import dev.securedelivery.policy.DeliveryPolicy;
import dev.securedelivery.policy.DomainName;
import dev.securedelivery.policy.MxHostPlan;
import dev.securedelivery.policy.TlsRequirement;
import dev.securedelivery.requiretls.MessageSecurity;
import dev.securedelivery.smtp.DeliveryAttempt;
import dev.securedelivery.smtp.EnhancedStatus;
import dev.securedelivery.smtp.RecipientResult;
import dev.securedelivery.smtp.SessionKey;
import dev.securedelivery.smtp.SmtpAddress;
import dev.securedelivery.smtp.SmtpClient;
import dev.securedelivery.tlsrpt.ResultType;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One delivery of one message to the MX hosts of its (single) recipient domain: the plan, then the
 * hosts in order (equal preferences in random order, RFC 5321 5.1) and each host's addresses in
 * order, each session for the recipients no server has taken or refused yet, until none is left. A
 * host the TLS policy stops is like one that cannot be reached: the next is tried (RFC 8461 8.4),
 * and recipients no host took wait for the next attempt.
 *
 * <p>Every recipient of the envelope ends with exactly one {@link RecipientFate}: delivered once a
 * server took it, bounced only on a 5xx naming it or its transaction (or a domain that takes no
 * mail), deferred otherwise. On the last try under an MTA-STS policy in enforce mode, the policy is
 * checked for a new version before any recipient is given up on (RFC 8461 5.1).
 */
public final class DomainDelivery {
    private static final Logger LOGGER = LoggerFactory.getLogger(DomainDelivery.class);
    private static final long PLAN_TIMEOUT_SECONDS = 120;
    private static final String NO_PLAN_IN_TIME = "no plan within " + PLAN_TIMEOUT_SECONDS + " s";
    /** X.3.0: the mail system (ours) stopped; the recipients wait, no retry spent (see DeliveryResult#interrupted). */
    private static final EnhancedStatus SHUTDOWN = EnhancedStatus.transientFailure(3, 0);

    private static final String SHUTTING_DOWN = "delivery stopped: the server is shutting down";

    /** What the delivery tells its host: James's metrics, in the mailet. */
    public interface Observer {
        Observer NONE = new Observer() {};

        /** A plan is asked for; the action returned runs when it is made (or given up on): the mailet times it. */
        default Runnable planning() {
            return () -> {};
        }

        default void attempted(DeliveryAttempt attempt) {}
    }

    private final DeliveryPolicy policy;
    private final SmtpClient client;
    private final DeliveryOutcomes outcomes;
    private final TlsRptRecorder recorder;
    private final Observer observer;
    private final Random random;
    private final DeliveryLimits limits;

    /**
     * @param recorder where sessions are recorded for TLS reports, or null for nowhere
     * @param random the order of MX hosts of equal preference (RFC 5321 5.1); null keeps the plan's
     *     order (RemoteDelivery's {@code loadBalancing=false})
     */
    public DomainDelivery(
            DeliveryPolicy policy,
            SmtpClient client,
            DeliveryOutcomes outcomes,
            TlsRptRecorder recorder,
            Observer observer,
            Random random,
            DeliveryLimits limits) {
        this.policy = Objects.requireNonNull(policy, "policy");
        this.client = Objects.requireNonNull(client, "client");
        this.outcomes = Objects.requireNonNull(outcomes, "outcomes");
        this.recorder = recorder;
        this.observer = Objects.requireNonNull(observer, "observer");
        this.random = random;
        this.limits = Objects.requireNonNull(limits, "limits");
    }

    /**
     * Delivers {@code envelope}.
     *
     * @param lastTry whether a recipient deferred now will be given up on (RFC 8461 5.1 then asks for
     *     a fresh policy first)
     * @param domainMissingIsTemporary whether a domain that does not exist is still worth retrying
     *     (RemoteDelivery's maxDnsProblemRetries)
     */
    public DeliveryResult deliver(Envelope envelope, boolean lastTry, boolean domainMissingIsTemporary) {
        return deliver(envelope, lastTry, domainMissingIsTemporary, planAhead(envelope.destination()));
    }

    /**
     * Asks for the plan of mail to {@code destination} without waiting for it: a caller with a queue
     * of mail lets the plan be made (DNS, an MTA-STS fetch, however slow its policy host) before it
     * gives the mail a delivery thread, and hands the future to {@link #deliver(Envelope, boolean,
     * boolean, CompletableFuture)}. The future completes within two minutes,
     * with a {@link TimeoutException} if the plan is not made by then.
     */
    public CompletableFuture<DeliveryPlan> planAhead(DomainName destination) {
        Runnable made = observer.planning();
        CompletableFuture<DeliveryPlan> plan;
        try {
            plan = policy.plan(destination);
        } catch (RuntimeException e) {
            plan = CompletableFuture.failedFuture(e);
        }
        return plan.orTimeout(PLAN_TIMEOUT_SECONDS, TimeUnit.SECONDS).whenComplete((done, error) -> made.run());
    }

    /**
     * Delivers {@code envelope} by the plan {@code planning} makes (from {@link #planAhead}), waiting
     * for it if it is not made yet.
     */
    public DeliveryResult deliver(
            Envelope envelope,
            boolean lastTry,
            boolean domainMissingIsTemporary,
            CompletableFuture<DeliveryPlan> planning) {
        RecipientDecisions result = new RecipientDecisions(envelope);
        if (refuseUnsendableAddresses(envelope, result)) {
            return result.finish(null);
        }
        DeliveryPlan planned = plan(envelope, planning, result);
        if (planned == null) {
            return result.finish(null);
        }
        switch (planned.outcome()) {
            case NO_SUCH_DOMAIN:
                String missing = planned.domain() + ": " + planned.reason().orElse("");
                // X.1.2: bad destination system address.
                return domainMissingIsTemporary
                        ? result.deferAll(EnhancedStatus.transientFailure(1, 2), missing, null)
                                .finish(planned)
                        : result.bounceAll(EnhancedStatus.permanentFailure(1, 2), missing)
                                .finish(planned);
            case NULL_MX:
                // RFC 7505 4.2: X.1.10, the domain accepts no mail.
                return result.bounceAll(
                                EnhancedStatus.permanentFailure(1, 10),
                                planned.domain() + ": " + planned.reason().orElse(""))
                        .finish(planned);
            case DEFER:
                outcomes.planFailure(
                        planned.domain(),
                        planned.failureType(),
                        planned.reason().orElse(""));
                recordExclusions(envelope, planned);
                result.deferAll(
                        deferralStatus(planned.failureType().orElse(null)),
                        planned.domain() + ": " + planned.reason().orElse("") + exclusions(planned),
                        planned.failureType().orElse(null));
                break;
            default:
                deliverAsDemanded(envelope, planned, result);
        }
        List<String> deferred = result.deferred();
        if (lastTry && !deferred.isEmpty() && planned.enforcesMtaSts() && !result.interrupted) {
            // RFC 8461 5 and 5.1: no permanent failure under an enforce policy before checking for a new one.
            String before =
                    planned.mtaSts().flatMap(lookup -> lookup.policyId()).orElse("");
            String after =
                    policy.refreshMtaSts(envelope.destination()).policyId().orElse("");
            if (!before.equals(after)) {
                LOGGER.info(
                        "secure-delivery: mail={} domain={} MTA-STS policy changed from id {} to {}; trying {}"
                                + " again",
                        envelope.name(),
                        planned.domain(),
                        before,
                        after,
                        deferred);
                Envelope rest = envelope.forRecipients(deferred);
                DeliveryPlan replanned = plan(rest, planAhead(rest.destination()), result);
                if (replanned != null && replanned.outcome() == DeliveryPlan.Outcome.DELIVER) {
                    result.reopen(deferred);
                    deliverAsDemanded(rest, replanned, result);
                    planned = replanned;
                }
            }
        }
        return result.finish(planned);
    }

    /**
     * Bounces, before any plan or session, the recipients whose address no SMTP command can carry
     * (RFC 5321 4.1.2: a control character, quoted or not; X.1.3), and every recipient when it is the
     * sender's (X.1.7). Whether no recipient is left to deliver.
     */
    private static boolean refuseUnsendableAddresses(Envelope envelope, RecipientDecisions result) {
        Optional<String> sender = envelope.sender();
        if (sender.isPresent()) {
            try {
                SmtpAddress.parse(sender.get());
            } catch (SmtpAddress.InvalidAddressException e) {
                LOGGER.warn(
                        "secure-delivery: mail={} the sender {} cannot be sent in MAIL FROM: {}",
                        envelope.name(),
                        PeerText.clean(sender.get()),
                        e.getMessage());
                result.bounceAll(
                        EnhancedStatus.permanentFailure(1, 7),
                        "the sender's address cannot be sent in SMTP: " + e.getMessage());
                return true;
            }
        }
        for (String recipient : envelope.recipients()) {
            try {
                SmtpAddress.parse(recipient);
            } catch (SmtpAddress.InvalidAddressException e) {
                LOGGER.warn(
                        "secure-delivery: mail={} the recipient {} cannot be sent in RCPT TO: {}",
                        envelope.name(),
                        PeerText.clean(recipient),
                        e.getMessage());
                result.decide(RecipientFate.bounced(
                        recipient,
                        EnhancedStatus.permanentFailure(1, 3),
                        "the address cannot be sent in SMTP: " + e.getMessage(),
                        null,
                        null));
            }
        }
        return result.undecidedOf(envelope.recipients()).isEmpty();
    }

    private DeliveryPlan plan(Envelope envelope, CompletableFuture<DeliveryPlan> planning, RecipientDecisions result) {
        DomainName domain = envelope.destination();
        try {
            // The destination's own plan: what its DANE, MTA-STS and the local overrides ask.
            return planNow(planning);
        } catch (PlanUnavailableException e) {
            // X.4.3: directory server failure.
            result.deferUndecided(
                    EnhancedStatus.transientFailure(4, 3),
                    "the delivery plan for " + domain + " could not be made: " + e.getMessage(),
                    null,
                    null);
            return null;
        } catch (PlanInterruptedException e) {
            result.interrupted = true;
            result.deferUndecided(SHUTDOWN, SHUTTING_DOWN, null, null);
            return null;
        }
    }

    private static DeliveryPlan planNow(CompletableFuture<DeliveryPlan> planning) {
        try {
            // planAhead's own timeout ends the wait; this one only guards a future made elsewhere.
            return planning.get(PLAN_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new PlanInterruptedException();
        } catch (ExecutionException e) {
            throw new PlanUnavailableException(
                    e.getCause() instanceof TimeoutException ? NO_PLAN_IN_TIME : String.valueOf(e.getCause()));
        } catch (TimeoutException e) {
            throw new PlanUnavailableException(NO_PLAN_IN_TIME);
        }
    }

    private static final class PlanUnavailableException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        PlanUnavailableException(String message) {
            super(message);
        }
    }

    private static final class PlanInterruptedException extends RuntimeException {
        private static final long serialVersionUID = 1L;
    }

    // The destination's plan held to what the message demands (REQUIRETLS, TLS-Required: No, a level).
    private void deliverAsDemanded(Envelope envelope, DeliveryPlan planned, RecipientDecisions result) {
        MessageSecurity security = envelope.security();
        DeliveryPlan plan = planned.forMessage(security);
        if (plan != planned) {
            LOGGER.info("secure-delivery: mail={} {}", envelope.name(), plan.explain());
        }
        recordExclusions(envelope, planned);
        if (plan.outcome() == DeliveryPlan.Outcome.DEFER) {
            outcomes.planFailure(plan.domain(), Optional.empty(), plan.reason().orElse(""));
            // X.7.30 "REQUIRETLS support required" (RFC 8689 7); X.7.4 "security features not supported".
            result.deferUndecided(
                    security.requireTls()
                            ? EnhancedStatus.transientFailure(7, 30)
                            : EnhancedStatus.transientFailure(7, 4),
                    plan.domain() + " has no MX host that can carry this" + " message" + exclusions(plan)
                            + demands(security, planned),
                    null,
                    null);
            return;
        }
        attempt(envelope, planned, plan, result);
    }

    /**
     * @param planned the destination's own plan, which TLS reports judge sessions by
     * @param plan the plan for this message
     */
    private void attempt(Envelope envelope, DeliveryPlan planned, DeliveryPlan plan, RecipientDecisions result) {
        TlsRptRecorder recording = envelope.reported() ? recorder : null;
        DeliveryAttempt decisive = null;
        // The last session each recipient was not sent in: what that server said of it.
        Map<String, DeliveryAttempt> lastAttempt = new LinkedHashMap<>();
        long began = System.nanoTime();
        int addresses = 0;
        int sessions = 0;
        String limitReached = null;
        hosts:
        for (MxHostPlan host : inTryingOrder(plan.usableHosts())) {
            for (InetAddress address : host.addresses()) {
                List<String> remaining = result.undecidedOf(envelope.recipients());
                if (remaining.isEmpty()) {
                    break hosts;
                }
                if (Thread.currentThread().isInterrupted()) {
                    result.interrupted = true;
                    break hosts;
                }
                Duration left = limits.timeBudget().minusNanos(System.nanoTime() - began);
                limitReached = addresses >= limits.addressLimit()
                        ? "mxAddressLimit " + limits.addressLimit()
                        : sessions >= limits.sessionLimit()
                                ? "mxSessionLimit " + limits.sessionLimit()
                                : left.isNegative() || left.isZero()
                                        ? "deliveryTimeLimit "
                                                + limits.timeBudget().toSeconds() + " s"
                                        : null;
                if (limitReached != null) {
                    LOGGER.info(
                            "secure-delivery: mail={} domain={} {} reached; {} waits for the next attempt",
                            envelope.name(),
                            plan.domain(),
                            limitReached,
                            remaining);
                    break hosts;
                }
                addresses++;
                // A kept session only for a message whose session would rest on the very same decision.
                SessionKey key = client.reusesSessions()
                        ? SessionKey.of(planned, host, address, envelope.security(), envelope.reported())
                        : null;
                DeliveryAttempt sent;
                try {
                    sent = client.send(
                            envelope.content(), envelope.sender().orElse(null), remaining, host, address, left, key);
                } catch (RuntimeException e) {
                    // Contained at the session's boundary: a failure of this host, never of the delivery,
                    // so that recipients an earlier host took keep their fate.
                    LOGGER.warn(
                            "secure-delivery: mail={} domain={} the session with {} failed unexpectedly",
                            envelope.name(),
                            plan.domain(),
                            host.host(),
                            e);
                    sent = DeliveryAttempt.failedUnexpectedly(
                            host.host(), address, host.requirement().orElse(TlsRequirement.NO_TLS), remaining, e);
                }
                DeliveryAttempt attempt = sent;
                if (attempt.completedHandshake()) {
                    sessions++;
                }
                LOGGER.info(
                        "secure-delivery: mail={} domain={} {}", envelope.name(), plan.domain(), attempt.describe());
                MxHostPlan own = asPlanned(planned, host);
                if (recording != null && own != null) {
                    record(() -> recording.attempt(planned, own, attempt));
                }
                observer.attempted(attempt);
                outcomes.attempt(plan.domain(), attempt);
                result.attempts.add(attempt);
                for (RecipientResult recipient : attempt.recipients()) {
                    switch (recipient.kind()) {
                        case ACCEPTED:
                            result.decide(RecipientFate.delivered(
                                    recipient.recipient(), recipient.status(), recipient.reason(), attempt));
                            break;
                        case REFUSED:
                            result.decide(RecipientFate.bounced(
                                    recipient.recipient(),
                                    recipient.status(),
                                    host.host() + " (" + address.getHostAddress() + ") refused: " + recipient.reason(),
                                    null,
                                    attempt));
                            break;
                        default:
                            lastAttempt.put(recipient.recipient(), attempt);
                    }
                }
                if (attempt.status().isPresent()
                        && (decisive == null || (attempt.isPolicyFailure() && !decisive.isPolicyFailure()))) {
                    // A policy failure says more about why the mail waits than a later timeout.
                    decisive = attempt;
                }
            }
        }
        String why = exclusions(plan)
                + demands(envelope.security(), planned)
                + (limitReached == null ? "" : "; " + limitReached + " reached");
        for (String recipient : result.undecidedOf(envelope.recipients())) {
            RecipientResult own = lastAttempt.containsKey(recipient)
                    ? lastAttempt.get(recipient).recipient(recipient).orElseThrow()
                    : null;
            // A policy failure explains the wait best; else what the server last said of this recipient.
            boolean sessionExplains = decisive != null && (decisive.isPolicyFailure() || own == null);
            DeliveryAttempt by = sessionExplains ? decisive : lastAttempt.get(recipient);
            if (result.interrupted && by == null) {
                result.decide(RecipientFate.deferred(recipient, SHUTDOWN, SHUTTING_DOWN, null, null));
            } else if (by == null) {
                // X.4.1: no answer from host.
                result.decide(RecipientFate.deferred(
                        recipient,
                        EnhancedStatus.transientFailure(4, 1),
                        plan.domain() + ": no MX host address to try" + why,
                        null,
                        null));
            } else {
                EnhancedStatus status =
                        sessionExplains ? decisive.status().orElse(EnhancedStatus.TRANSIENT) : own.status();
                String cause = sessionExplains ? decisive.detail() : own.reason();
                if (envelope.security().requireTls()
                        && by.isPolicyFailure()
                        && !status.equals(EnhancedStatus.transientFailure(7, 30))) {
                    // RFC 8689 4.2.1: a REQUIRETLS message that found no TLS-protected session: X.7.10.
                    status = EnhancedStatus.transientFailure(7, 10);
                }
                result.decide(RecipientFate.deferred(
                        recipient,
                        status,
                        by.host() + " (" + by.address().getHostAddress() + "): " + cause + why,
                        by.resultType().orElse(null),
                        by));
            }
        }
    }

    // RFC 5321 5.1: hosts of equal preference in random order, to spread the load across them.
    private List<MxHostPlan> inTryingOrder(List<MxHostPlan> hosts) {
        List<MxHostPlan> ordered = new ArrayList<>(hosts);
        ordered.sort(Comparator.comparingInt(MxHostPlan::preference));
        if (random == null) {
            return ordered;
        }
        int start = 0;
        while (start < ordered.size()) {
            int end = start + 1;
            while (end < ordered.size()
                    && ordered.get(end).preference() == ordered.get(start).preference()) {
                end++;
            }
            Collections.shuffle(ordered.subList(start, end), random);
            start = end;
        }
        return ordered;
    }

    // What a bounce should say when the message's own demands were not met: what they were, and what
    // the destination offered.
    private static String demands(MessageSecurity security, DeliveryPlan planned) {
        if (security.level().isEmpty()) {
            return "";
        }
        List<String> offered = new ArrayList<>();
        planned.hosts().forEach(host -> offered.add(host.toString()));
        return "; the message demands " + security + ", and " + planned.domain() + " offers "
                + String.join(", ", offered);
    }

    // The destination's own plan of a host the message's plan kept as it was: its sessions are sessions
    // of the destination's policy, for TLS reports. A host the message held to more is not.
    private static MxHostPlan asPlanned(DeliveryPlan planned, MxHostPlan host) {
        for (MxHostPlan own : planned.hosts()) {
            if (own.host().equals(host.host())) {
                return own.requirement().equals(host.requirement()) ? own : null;
            }
        }
        return null;
    }

    // Hosts a published policy ruled out are failed sessions of that policy's report (RFC 8460 4.3).
    private void recordExclusions(Envelope envelope, DeliveryPlan plan) {
        if (recorder == null || !envelope.reported()) {
            return;
        }
        for (MxHostPlan host : plan.hosts()) {
            if (host.exclusion().isPresent()) {
                record(() -> recorder.excluded(plan, host));
            }
        }
    }

    // Reporting is never a reason for a delivery to fail.
    private static void record(Runnable recording) {
        try {
            recording.run();
        } catch (RuntimeException e) {
            LOGGER.warn("secure-delivery: a session could not be recorded for TLS reports", e);
        }
    }

    // Where the TLS policy excluded hosts, the bounce should say why: that is the cause, not the last timeout.
    private static String exclusions(DeliveryPlan plan) {
        List<String> excluded = new ArrayList<>();
        for (MxHostPlan host : plan.hosts()) {
            host.exclusion().ifPresent(reason -> excluded.add(host.host() + ": " + reason));
        }
        return excluded.isEmpty() ? "" : "; excluded: " + String.join("; ", excluded);
    }

    // RFC 3463: X.7.5 a cryptographic or policy failure; X.4.3 a directory (DNS) failure.
    static EnhancedStatus deferralStatus(ResultType type) {
        if (type == ResultType.DNSSEC_INVALID
                || type == ResultType.DANE_REQUIRED
                || type == ResultType.VALIDATION_FAILURE
                || type == ResultType.TLSA_INVALID) {
            return EnhancedStatus.transientFailure(7, 5);
        }
        return EnhancedStatus.transientFailure(4, 3);
    }
}
