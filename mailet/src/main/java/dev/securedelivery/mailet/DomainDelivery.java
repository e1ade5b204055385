package dev.securedelivery.mailet;

import dev.securedelivery.mtasts.DomainNames;
import dev.securedelivery.policy.DeliveryPlan;
import dev.securedelivery.policy.DeliveryPolicy;
import dev.securedelivery.policy.MxHostPlan;
import dev.securedelivery.reports.TlsReports;
import dev.securedelivery.reports.TlsRptRecorder;
import dev.securedelivery.requiretls.MessageSecurity;
import dev.securedelivery.smtp.DeliveryAttempt;
import dev.securedelivery.smtp.SmtpClient;
import dev.securedelivery.tlsrpt.ResultType;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import javax.mail.MessagingException;
import javax.mail.internet.MimeMessage;
import org.apache.james.core.MailAddress;
import org.apache.james.metrics.api.MetricFactory;
import org.apache.mailet.Attribute;
import org.apache.mailet.AttributeName;
import org.apache.mailet.AttributeValue;
import org.apache.mailet.Mail;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One delivery of one message to the MX hosts of its (single) recipient domain: the plan, then the
 * hosts in order and each host's addresses in order, until one takes the message or refuses it for
 * good. A host the TLS policy stops is like one that cannot be reached: the next is tried (RFC 8461
 * 8.4), and when none is left the message waits for the next attempt.
 */
final class DomainDelivery {
    /** The attempt that delivered the message, in the one-line form of the log. */
    static final AttributeName OUTCOME = AttributeName.of("dev.securedelivery.delivery");

    private static final Logger LOGGER = LoggerFactory.getLogger(DomainDelivery.class);
    private static final long PLAN_TIMEOUT_SECONDS = 120;

    /** How one delivery ended. */
    static final class Result {
        enum Kind { DELIVERED, TEMPORARY, PERMANENT }

        final Kind kind;
        /** An enhanced status code (RFC 3463) and what happened, as a bounce shows it. */
        final String explanation;
        final DeliveryPlan plan;
        /** After a partial delivery: the recipients refused for good, each with the server's reply. */
        final java.util.Map<String, String> refused;
        /** After a partial delivery: the recipients not sent to for now. */
        final List<String> unsent;

        /** The attempt that delivered the message; null unless delivered. */
        final DeliveryAttempt delivery;

        private Result(Kind kind, String explanation, DeliveryPlan plan, java.util.Map<String, String> refused,
                List<String> unsent, DeliveryAttempt delivery) {
            this.kind = kind;
            this.explanation = explanation;
            this.plan = plan;
            this.refused = refused;
            this.unsent = unsent;
            this.delivery = delivery;
        }

        private Result(Kind kind, String explanation, DeliveryPlan plan) {
            this(kind, explanation, plan, java.util.Map.of(), List.of(), null);
        }

        static Result delivered(DeliveryPlan plan, DeliveryAttempt attempt) {
            return new Result(Kind.DELIVERED, "", plan, attempt.refusedRecipients(), attempt.unsentRecipients(),
                    attempt);
        }

        static Result temporary(String status, String why, DeliveryPlan plan) {
            return new Result(Kind.TEMPORARY, status + " " + why, plan);
        }

        static Result permanent(String status, String why, DeliveryPlan plan) {
            return new Result(Kind.PERMANENT, status + " " + why, plan);
        }

        /** The same failure made permanent: its status code's class becomes 5 (RFC 3463 3.1). */
        String asPermanent() {
            return explanation.startsWith("4.") ? "5" + explanation.substring(1) : explanation;
        }

        boolean enforcesMtaSts() {
            return plan != null && plan.enforcesMtaSts();
        }
    }

    private final DeliveryPolicy policy;
    private final SmtpClient client;
    private final MetricFactory metrics;
    private final DeliveryOutcomes outcomes;
    private final TlsRptRecorder recorder;

    /** @param recorder where sessions are recorded for TLS reports, or null for nowhere */
    DomainDelivery(DeliveryPolicy policy, SmtpClient client, MetricFactory metrics, DeliveryOutcomes outcomes,
            TlsRptRecorder recorder) {
        this.policy = policy;
        this.client = client;
        this.outcomes = outcomes;
        this.metrics = metrics;
        this.recorder = recorder;
    }

    /**
     * Delivers {@code mail}, whose recipients are all in one domain.
     *
     * @param domainMissingIsTemporary whether a domain that does not exist is still worth retrying
     *     (RemoteDelivery's maxDnsProblemRetries)
     */
    Result deliver(Mail mail, boolean domainMissingIsTemporary) {
        String domain = destinationOf(mail);
        DeliveryPlan plan;
        try {
            // The destination's own plan: what its DANE, MTA-STS and the local overrides ask.
            plan = metrics.decorateSupplierWithTimerMetric(Metrics.PLAN, () -> plan(domain));
        } catch (PlanUnavailableException e) {
            return Result.temporary("4.4.3", "the delivery plan for " + domain + " could not be made: "
                    + e.getMessage(), null);
        }
        switch (plan.outcome()) {
            case NO_SUCH_DOMAIN:
                return domainMissingIsTemporary
                        ? Result.temporary("4.1.2", domain + ": " + plan.reason().orElse(""), plan)
                        : Result.permanent("5.1.2", domain + ": " + plan.reason().orElse(""), plan);
            case NULL_MX:
                return Result.permanent("5.1.10", domain + ": " + plan.reason().orElse(""), plan);
            case DEFER:
                outcomes.planFailure(plan.domain(), plan.failureType(), plan.reason().orElse(""));
                recordExclusions(recorderFor(mail), plan);
                return Result.temporary(deferralStatus(plan.failureType().orElse(null)),
                        domain + ": " + plan.reason().orElse("") + exclusions(plan), plan);
            default:
                return deliverAsDemanded(mail, plan);
        }
    }

    // The destination's plan held to what the message demands (REQUIRETLS, TLS-Required: No, a level).
    private Result deliverAsDemanded(Mail mail, DeliveryPlan planned) {
        MessageSecurity security = MessageSecurityAttributes.of(mail);
        DeliveryPlan plan = planned.forMessage(security);
        if (plan != planned) {
            LOGGER.info("secure-delivery: mail={} {}", mail.getName(), plan.explain());
        }
        if (plan.outcome() == DeliveryPlan.Outcome.DEFER) {
            recordExclusions(recorderFor(mail), planned);
            outcomes.planFailure(plan.domain(), java.util.Optional.empty(), plan.reason().orElse(""));
            // X.7.30 "REQUIRETLS support required" (RFC 8689 7); X.7.4 "security features not supported".
            return Result.temporary(security.requireTls() ? "4.7.30" : "4.7.4", plan.domain() + " has no MX host"
                    + " that can carry this message" + exclusions(plan) + demands(security, planned), plan);
        }
        return attempt(mail, planned, plan, security);
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

    /**
     * The destination domain of a queued copy (every recipient of one copy is in one domain), in the
     * form plans, logs and outcomes name it: lower-case A-labels (DomainNames).
     */
    static String destinationOf(Mail mail) {
        String domain = mail.getRecipients().iterator().next().getDomain().asString();
        String normalized = DomainNames.normalize(domain);
        return normalized != null ? normalized : domain.toLowerCase(Locale.ROOT);
    }

    private DeliveryPlan plan(String domain) {
        try {
            return policy.plan(domain).get(PLAN_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new PlanUnavailableException("interrupted");
        } catch (ExecutionException e) {
            throw new PlanUnavailableException(String.valueOf(e.getCause()));
        } catch (TimeoutException e) {
            throw new PlanUnavailableException("no plan within " + PLAN_TIMEOUT_SECONDS + " s");
        }
    }

    private static final class PlanUnavailableException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        PlanUnavailableException(String message) {
            super(message);
        }
    }

    /**
     * @param planned the destination's own plan, which TLS reports judge sessions by
     * @param plan the plan for this message
     */
    private Result attempt(Mail mail, DeliveryPlan planned, DeliveryPlan plan, MessageSecurity security) {
        MimeMessage message;
        try {
            message = mail.getMessage();
        } catch (MessagingException e) {
            return Result.temporary("4.3.0", "the message cannot be read: " + e.getMessage(), plan);
        }
        String sender = mail.getMaybeSender().asOptional().map(MailAddress::asString).orElse(null);
        List<String> recipients = new ArrayList<>();
        mail.getRecipients().forEach(recipient -> recipients.add(recipient.asString()));

        TlsRptRecorder recording = recorderFor(mail);
        recordExclusions(recording, planned);
        DeliveryAttempt decisive = null;
        for (MxHostPlan host : plan.usableHosts()) {
            for (InetAddress address : host.addresses()) {
                DeliveryAttempt attempt = client.send(message, sender, recipients, host, address);
                LOGGER.info("secure-delivery: mail={} domain={} {}", mail.getName(), plan.domain(), attempt.describe());
                MxHostPlan own = asPlanned(planned, host);
                if (recording != null && own != null) {
                    record(() -> recording.attempt(planned, own, attempt));
                }
                metrics.generate(Metrics.ATTEMPT + "." + attempt.outcome().name().toLowerCase(Locale.ROOT) + "."
                        + metricLabel(attempt.authentication())).increment();
                outcomes.attempt(plan.domain(), attempt);
                switch (attempt.outcome()) {
                    case DELIVERED:
                        mail.setAttribute(new Attribute(OUTCOME, AttributeValue.of(attempt.describe())));
                        return Result.delivered(plan, attempt);
                    case PERMANENT_FAILURE:
                        return Result.permanent(attempt.status().orElse("5.0.0"), host.host() + " refused the message: "
                                + attempt.detail(), plan);
                    default:
                        // A policy failure says more about why the mail waits than a later timeout.
                        if (decisive == null || (attempt.isPolicyFailure() && !decisive.isPolicyFailure())) {
                            decisive = attempt;
                        }
                }
            }
        }
        if (decisive == null) {
            return Result.temporary("4.4.1", plan.domain() + ": no MX host address to try" + exclusions(plan), plan);
        }
        String status = decisive.status().orElse("4.4.1");
        if (security.requireTls() && decisive.isPolicyFailure() && !status.equals("4.7.30")) {
            // RFC 8689 4.2.1: a REQUIRETLS message that found no TLS-protected session: X.7.10 "Encryption needed".
            status = "4.7.10";
        }
        return Result.temporary(status, decisive.host() + " (" + decisive.address().getHostAddress() + "): "
                + decisive.detail() + exclusions(plan) + demands(security, planned), plan);
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
    private static void recordExclusions(TlsRptRecorder recording, DeliveryPlan plan) {
        if (recording == null) {
            return;
        }
        for (MxHostPlan host : plan.hosts()) {
            if (host.exclusion().isPresent()) {
                record(() -> recording.excluded(plan, host));
            }
        }
    }

    // Where this delivery's sessions are recorded: nowhere without reports, and never a report on
    // reports: the delivery of a report (TLS-Report-Domain, RFC 8460 5.3) is not counted, so that a
    // domain's broken TLS cannot feed reports that fail to reach it back into more.
    private TlsRptRecorder recorderFor(Mail mail) {
        if (recorder == null) {
            return null;
        }
        try {
            return mail.getMessage().getHeader(TlsReports.REPORT_DOMAIN_HEADER) == null ? recorder : null;
        } catch (MessagingException e) {
            return recorder;
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
    static String deferralStatus(ResultType type) {
        if (type == ResultType.DNSSEC_INVALID || type == ResultType.DANE_REQUIRED
                || type == ResultType.VALIDATION_FAILURE || type == ResultType.TLSA_INVALID) {
            return "4.7.5";
        }
        return "4.4.3";
    }

    private static String metricLabel(String authentication) {
        String kind = authentication.split(" ")[0];
        return kind.toLowerCase(Locale.ROOT);
    }
}
