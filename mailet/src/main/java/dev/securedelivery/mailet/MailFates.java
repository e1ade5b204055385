package dev.securedelivery.mailet;

import dev.securedelivery.delivery.DeliveryOutcomes;
import dev.securedelivery.delivery.DeliveryResult;
import dev.securedelivery.delivery.FailureCause;
import dev.securedelivery.delivery.Fate;
import dev.securedelivery.delivery.RecipientFate;
import dev.securedelivery.peertext.PeerText;
import dev.securedelivery.posture.Protection;
import dev.securedelivery.posture.Publication;
import dev.securedelivery.smtp.EnhancedStatus;
import dev.securedelivery.waiting.WaitingMail;
import dev.securedelivery.waitingroom.DelayedRequeue;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Date;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.function.Supplier;
import javax.mail.MessagingException;
import javax.mail.Session;
import javax.mail.internet.AddressException;
import javax.mail.internet.MimeMessage;
import org.apache.james.core.MailAddress;
import org.apache.james.core.MaybeSender;
import org.apache.james.lifecycle.api.LifecycleUtil;
import org.apache.james.metrics.api.MetricFactory;
import org.apache.james.queue.api.MailPrioritySupport;
import org.apache.james.server.core.MailImpl;
import org.apache.james.transport.mailets.remote.delivery.Bouncer;
import org.apache.james.transport.mailets.remote.delivery.DeliveryRetriesHelper;
import org.apache.james.transport.mailets.remote.delivery.RemoteDeliveryConfiguration;
import org.apache.mailet.Attribute;
import org.apache.mailet.AttributeName;
import org.apache.mailet.AttributeValue;
import org.apache.mailet.Mail;
import org.apache.mailet.MailetContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Gives each recipient of a queued message the fate the delivery core decided, in James: the
 * delivered are counted, noticed (NOTIFY=SUCCESS) and passed to {@code onSuccess}; the deferred wait
 * in a copy of their own, queued again with their retry count and the configured delay (and bounced
 * once the retries are spent); the bounced get a DSN.
 *
 * <p>The rule: once any recipient has a fate, the message is never handed back to the queue whole;
 * a failure after that point is logged and the remaining recipients still get their own copy. A DSN
 * James cannot take at once is held in the outgoing queue and tried again with the configured
 * delays. A copy that cannot be queued, or a bounce still not taken after the retries, goes to
 * James's {@code error} processor (kept for the operator, never dropped). Only when nothing happened
 * at all may the queue have the message back.
 */
final class MailFates {
    private static final Logger LOGGER = LoggerFactory.getLogger(MailFates.class);

    /** A bounce James could not take when it was decided: its status and cause, on the copy that waits. */
    static final AttributeName HELD_BOUNCE_STATUS = AttributeName.of("dev.securedelivery.held-bounce-status");

    static final AttributeName HELD_BOUNCE_CAUSE = AttributeName.of("dev.securedelivery.held-bounce-cause");

    /** Whether the queue item is to be handed back whole (nothing was given a fate). */
    enum Completion {
        DONE,
        HAND_BACK
    }

    private final RemoteDeliveryConfiguration configuration;
    private final DelayedRequeue requeue;
    private final MailetContext context;
    private final MetricFactory metrics;
    private final DeliveryOutcomes outcomes;
    private final PostureCounter posture;
    private final Clock clock;

    MailFates(
            RemoteDeliveryConfiguration configuration,
            DelayedRequeue requeue,
            MailetContext context,
            MetricFactory metrics,
            DeliveryOutcomes outcomes,
            PostureCounter posture,
            Clock clock) {
        this.configuration = configuration;
        this.requeue = requeue;
        this.context = context;
        this.metrics = metrics;
        this.outcomes = outcomes;
        this.posture = posture;
        this.clock = clock;
    }

    /**
     * Applies {@code result}, the delivery of {@code mail} after {@code retries} earlier tries.
     * Never throws.
     */
    Completion apply(Mail mail, DeliveryResult result, int retries) {
        List<RecipientFate> delivered = result.withFate(Fate.DELIVERED);
        List<RecipientFate> bounced = new ArrayList<>(result.withFate(Fate.BOUNCED));
        List<RecipientFate> deferred = new ArrayList<>();
        for (RecipientFate fate : result.withFate(Fate.DEFERRED)) {
            if (retries >= configuration.getMaxRetries() && !result.interrupted()) {
                bounced.add(fate.givenUp("after " + retries + " retries"));
            } else {
                deferred.add(fate);
            }
        }
        boolean anyFate = false;
        Supplier<Publication> publication = () -> Publication.of(result.plan());
        Supplier<String> domain = () -> domainOf(mail);
        if (!deferred.isEmpty()) {
            boolean whole = delivered.isEmpty() && bounced.isEmpty();
            if (!defer(mail, deferred, retries, !result.interrupted(), whole) && whole) {
                return Completion.HAND_BACK;
            }
            posture.deferred(domain, () -> FailureCause.of(deferred.get(0), result.plan()), publication);
            anyFate = true;
        }
        if (!delivered.isEmpty()) {
            fate(mail, Fate.DELIVERED);
            // Every recipient delivered was delivered by some attempt; the last one that delivered speaks for the
            // message.
            result.delivering()
                    .ifPresent(attempt ->
                            posture.delivered(domain, () -> Protection.of(attempt, result.plan()), publication));
            anyFate = true;
            afterDelivery(mail, result, delivered);
        }
        for (List<RecipientFate> group : byCause(bounced).values()) {
            posture.bounced(domain, () -> FailureCause.of(group.get(0), result.plan()), publication);
            boolean bouncedOk = bounce(mail, group);
            if (!bouncedOk && !anyFate && bounced.size() == group.size()) {
                // Nothing was given a fate, and this one could not be: the queue keeps the message.
                return Completion.HAND_BACK;
            }
            anyFate = true;
        }
        return Completion.DONE;
    }

    /** The whole message deferred after an unexpected failure: its retry count and delay, never an immediate retry. */
    Completion deferAfterFailure(Mail mail, int retries, Throwable failure) {
        String why = "unexpected failure: " + failure;
        if (retries >= configuration.getMaxRetries()) {
            // Our own failure is no reason to bounce; neither may it be retried for ever.
            LOGGER.error(
                    "SecureRemoteDelivery: {} failed unexpectedly on its last try; it goes to the error"
                            + " processor for the operator",
                    mail.getName(),
                    failure);
            return toErrorProcessor(mail, "unexpected failure on the last try")
                    ? Completion.DONE
                    : Completion.HAND_BACK;
        }
        try {
            Mail copy = mail.duplicate();
            try {
                copy.setName(mail.getName());
                enqueueDeferred(
                        copy,
                        retries,
                        true,
                        "4.3.0 internal failure: " + failure.getClass().getSimpleName());
            } finally {
                LifecycleUtil.dispose(copy);
            }
        } catch (Exception | LinkageError e) {
            LOGGER.error(
                    "SecureRemoteDelivery: {} cannot be deferred after an unexpected failure ({})",
                    mail.getName(),
                    why,
                    e);
            // Not back to the queue: it would be tried again at once (see defer).
            return toErrorProcessor(mail, "it could not be queued again after an unexpected failure")
                    ? Completion.DONE
                    : Completion.HAND_BACK;
        }
        try {
            LOGGER.error(
                    "SecureRemoteDelivery: {} deferred after an unexpected failure (attempt {} of {})",
                    mail.getName(),
                    retries + 1,
                    configuration.getMaxRetries() + 1,
                    failure);
            fate(mail, Fate.DEFERRED);
            posture.deferred(() -> domainOf(mail), () -> FailureCause.INTERNAL_FAILURE, () -> Publication.UNKNOWN);
        } catch (RuntimeException | LinkageError e) {
            LOGGER.warn("SecureRemoteDelivery: {} is queued again, but could not be counted", mail.getName(), e);
        }
        return Completion.DONE;
    }

    /**
     * Queues a copy for {@code deferred}; false only when neither the queue nor the error processor
     * would take it. Once the copy is queued, nothing may hand the message back: the queue would hold
     * it twice. A copy the queue will not take goes to the error processor, whole message or not:
     * handed back, it would be tried again at once, and again, against the MX, for as long as the
     * queue refuses.
     */
    private boolean defer(Mail mail, List<RecipientFate> deferred, int retries, boolean countRetry, boolean whole) {
        Mail copy = null;
        Duration delay;
        try {
            copy = copyFor(mail, deferred, whole ? "" : "-deferred");
            RecipientFate first = deferred.get(0);
            delay = enqueueDeferred(copy, retries, countRetry, first.status() + " " + first.cause());
        } catch (Exception | LinkageError e) {
            LOGGER.error(
                    "SecureRemoteDelivery: {}: the copy for {} cannot be queued again",
                    mail.getName(),
                    recipientsOf(deferred),
                    e);
            Mail kept = copy != null ? copy : whole ? mail : null;
            return kept != null && toErrorProcessor(kept, "it could not be queued again");
        } finally {
            if (copy != null) {
                LifecycleUtil.dispose(copy);
            }
        }
        try {
            RecipientFate first = deferred.get(0);
            // Said once the queue holds it: "deferred" in the log means the message waits in the queue.
            LOGGER.info(
                    "SecureRemoteDelivery: {} deferred for {} (attempt {} of {}) for {}: {} {}",
                    mail.getName(),
                    delay,
                    retries + 1,
                    configuration.getMaxRetries() + 1,
                    recipientsOf(deferred),
                    first.status(),
                    first.cause());
            fate(mail, Fate.DEFERRED);
        } catch (RuntimeException | LinkageError e) {
            LOGGER.warn("SecureRemoteDelivery: {} is queued again, but could not be counted", mail.getName(), e);
        }
        return true;
    }

    // Back to wait for its retry: in the queue where it honours the delay, in the waiting room otherwise.
    private Duration enqueueDeferred(Mail copy, int retries, boolean countRetry, String cause) throws Exception {
        List<Duration> delays = configuration.getDelayTimes();
        Duration delay = countRetry ? delays.get(Math.min(retries, delays.size() - 1)) : Duration.ZERO;
        if (countRetry) {
            DeliveryRetriesHelper.incrementRetries(copy);
        }
        copy.setLastUpdated(Date.from(clock.instant()));
        if (configuration.isUsePriority()) {
            // RemoteDelivery's usePriority: mail that waits goes behind fresh mail.
            copy.setAttribute(MailPrioritySupport.LOW_PRIORITY_ATTRIBUTE);
        }
        requeue.requeue(copy, domainOf(copy), delay, PeerText.clean(cause, WaitingMail.MAX_CAUSE));
        return delay;
    }

    // The message was delivered to these: nothing here may undo that, so every failure is only logged.
    private void afterDelivery(Mail mail, DeliveryResult result, List<RecipientFate> delivered) {
        List<MailAddress> addresses;
        try {
            addresses = addressesOf(delivered);
        } catch (AddressException e) {
            LOGGER.warn(
                    "SecureRemoteDelivery: {} was delivered; its recipients cannot be read back", mail.getName(), e);
            return;
        }
        result.delivering()
                .ifPresent(attempt -> mail.setAttribute(
                        new Attribute(SecureRemoteDelivery.OUTCOME, AttributeValue.of(attempt.describe()))));
        notifySuccess(mail, result, addresses);
        configuration.getOnSuccess().ifPresent(processor -> {
            Mail copy = null;
            try {
                copy = mail.duplicate();
                copy.setRecipients(addresses);
                context.sendMail(copy, processor.getValue());
            } catch (Exception | LinkageError e) {
                LOGGER.warn(
                        "SecureRemoteDelivery: {} was delivered, but cannot be passed to the onSuccess processor"
                                + " {}",
                        mail.getName(),
                        processor.getValue(),
                        e);
            } finally {
                if (copy != null) {
                    LifecycleUtil.dispose(copy);
                }
            }
        });
    }

    // RFC 3461 4.1: NOTIFY=SUCCESS asks for a notice when the message is delivered (or relayed on);
    // ours carries the delivery trace.
    private void notifySuccess(Mail mail, DeliveryResult result, List<MailAddress> delivered) {
        List<MailAddress> requested = SuccessNotification.requestedBy(mail, delivered);
        if (requested.isEmpty() || result.delivering().isEmpty()) {
            return;
        }
        Mail notice = null;
        try {
            MailAddress sender = mail.getMaybeSender().get();
            notice = MailImpl.builder()
                    .name(mail.getName() + "-relayed")
                    .sender(MaybeSender.nullSender())
                    .addRecipient(sender)
                    .mimeMessage(SuccessNotification.build(
                            mail.getMessage(),
                            sender,
                            requested,
                            result.delivering().get(),
                            configuration.getHeloNameProvider().getHeloName(),
                            clock.instant()))
                    .build();
            context.sendMail(notice);
            LOGGER.info(
                    "SecureRemoteDelivery: {}: success notice (NOTIFY=SUCCESS) for {} sent to {}",
                    mail.getName(),
                    shown(requested),
                    PeerText.clean(sender.asString(), 320));
        } catch (Exception | LinkageError e) {
            LOGGER.warn(
                    "SecureRemoteDelivery: {} was delivered, but the success notice asked for could not be sent",
                    mail.getName(),
                    e);
        } finally {
            if (notice != null) {
                LifecycleUtil.dispose(notice);
            }
        }
    }

    // One DSN per distinct status and cause: DSNBounce states one error for every recipient of a mail.
    private static Map<String, List<RecipientFate>> byCause(List<RecipientFate> bounced) {
        Map<String, List<RecipientFate>> groups = new LinkedHashMap<>();
        for (RecipientFate fate : bounced) {
            groups.computeIfAbsent(fate.status() + " " + fate.cause(), key -> new ArrayList<>())
                    .add(fate);
        }
        return groups;
    }

    /** Bounces {@code group} (one status and cause); false when neither a DSN nor a later one could be arranged. */
    private boolean bounce(Mail mail, List<RecipientFate> group) {
        RecipientFate first = group.get(0);
        LOGGER.info(
                "SecureRemoteDelivery: {} bounced for {}: {} {}",
                mail.getName(),
                recipientsOf(group),
                first.status(),
                first.cause());
        fate(mail, Fate.BOUNCED);
        Mail copy = null;
        try {
            copy = copyFor(mail, group, "-bounced");
            redactForBounce(copy);
            if (sendBounce(copy, first.status(), first.cause())) {
                return true;
            }
            // The bounce's own tries start now.
            DeliveryRetriesHelper.initRetries(copy);
            return holdBounce(copy, first.status(), first.cause());
        } catch (Exception | LinkageError e) {
            LOGGER.error(
                    "SecureRemoteDelivery: {}: the bounce for {} cannot be prepared",
                    mail.getName(),
                    recipientsOf(group),
                    e);
            return copy != null && toErrorProcessor(copy, "its bounce could not be prepared");
        } finally {
            if (copy != null) {
                LifecycleUtil.dispose(copy);
            }
        }
    }

    /** Whether {@code mail} is a bounce held back because James could not take it when it was decided. */
    static boolean isHeldBounce(Mail mail) {
        return mail.getAttribute(HELD_BOUNCE_STATUS).isPresent();
    }

    /** Tries a held bounce again: sent, held once more, or after the retries the error processor's. */
    Completion retryHeldBounce(Mail mail, int retries) {
        Optional<EnhancedStatus> status = heldStatus(mail);
        String cause = mail.getAttribute(HELD_BOUNCE_CAUSE)
                .map(Attribute::getValue)
                .map(AttributeValue::value)
                .map(String::valueOf)
                .orElse("");
        if (status.isEmpty()) {
            LOGGER.error("SecureRemoteDelivery: {} is a held bounce without a readable status", mail.getName());
            return toErrorProcessor(mail, "a held bounce without a readable status")
                    ? Completion.DONE
                    : Completion.HAND_BACK;
        }
        if (sendBounce(mail, status.get(), cause)) {
            return Completion.DONE;
        }
        if (retries < configuration.getMaxRetries() && holdBounce(mail, status.get(), cause)) {
            return Completion.DONE;
        }
        return toErrorProcessor(mail, "its bounce could not be sent") ? Completion.DONE : Completion.HAND_BACK;
    }

    private static Optional<EnhancedStatus> heldStatus(Mail mail) {
        try {
            return mail.getAttribute(HELD_BOUNCE_STATUS)
                    .map(Attribute::getValue)
                    .map(AttributeValue::value)
                    .filter(List.class::isInstance)
                    .map(List.class::cast)
                    .filter(parts -> parts.size() == 3)
                    .map(parts -> EnhancedStatus.of(number(parts.get(0)), number(parts.get(1)), number(parts.get(2))))
                    .filter(EnhancedStatus::isPermanent);
        } catch (IllegalArgumentException | ClassCastException e) {
            return Optional.empty();
        }
    }

    private static int number(Object part) {
        return (Integer) ((AttributeValue<?>) part).value();
    }

    // Hands the DSN of {@code copy} (redacted, for its recipients) to James; false if James did not take it.
    private boolean sendBounce(Mail copy, EnhancedStatus status, String cause) {
        if (!copy.hasSender()) {
            // RFC 3461 / RFC 5321 6.1: no notice is ever sent about a notice.
            LOGGER.info("SecureRemoteDelivery: {} has the null sender: no DSN", copy.getName());
            return true;
        }
        String deliveryError = deliveryError(status, cause);
        // The DSN James makes of it inherits its attributes: it must not look held itself.
        copy.removeAttribute(HELD_BOUNCE_STATUS);
        copy.removeAttribute(HELD_BOUNCE_CAUSE);
        try {
            if (configuration.getBounceProcessor().isPresent()) {
                copy.setAttribute(new Attribute(Bouncer.DELIVERY_ERROR, AttributeValue.of(deliveryError)));
                context.sendMail(copy, configuration.getBounceProcessor().get().getValue());
            } else {
                context.bounce(copy, explanation(copy.getRecipients(), deliveryError));
            }
            return true;
        } catch (Exception | LinkageError e) {
            LOGGER.error(
                    "SecureRemoteDelivery: {}: the DSN for {} cannot be handed to James",
                    copy.getName(),
                    shown(copy.getRecipients()),
                    e);
            return false;
        }
    }

    // The bounce waits in the outgoing queue like a deferred message, and is sent, not delivered, next time.
    private boolean holdBounce(Mail copy, EnhancedStatus status, String cause) {
        try {
            // The status as its three numbers: a value kept, never text read back.
            copy.setAttribute(new Attribute(
                    HELD_BOUNCE_STATUS,
                    AttributeValue.of(List.of(
                            AttributeValue.of(status.statusClass()),
                            AttributeValue.of(status.subject()),
                            AttributeValue.of(status.detail())))));
            copy.setAttribute(new Attribute(HELD_BOUNCE_CAUSE, AttributeValue.of(cause)));
            Duration delay = enqueueDeferred(
                    copy, DeliveryRetriesHelper.retrieveRetries(copy), true, "a bounce held: " + status + " " + cause);
            // Queued: a failure to say so must not send a second copy to the error processor.
            try {
                LOGGER.info(
                        "SecureRemoteDelivery: {}: the bounce for {} is held and tried again in {}",
                        copy.getName(),
                        shown(copy.getRecipients()),
                        delay);
            } catch (RuntimeException e) {
                // Only the log line is lost.
            }
            return true;
        } catch (Exception | LinkageError e) {
            LOGGER.error(
                    "SecureRemoteDelivery: {}: the bounce for {} cannot be held either",
                    copy.getName(),
                    shown(copy.getRecipients()),
                    e);
            return toErrorProcessor(copy, "its bounce could not be sent or held");
        }
    }

    /**
     * What DSNBounce writes after {@code Status:} and {@code Diagnostic-Code: X-James;}: the code, then
     * the cause as a comment (RFC 3464 2.3.4 allows a status code optionally followed by one), with
     * the characters a comment cannot hold replaced.
     */
    static String deliveryError(EnhancedStatus status, String cause) {
        StringBuilder comment = new StringBuilder();
        for (char c : cause.toCharArray()) {
            comment.append(c == '(' ? '[' : c == ')' ? ']' : c == '\\' ? '/' : c);
        }
        return comment.length() == 0 ? status.toString() : status + " (" + comment + ")";
    }

    private String explanation(Collection<MailAddress> recipients, String deliveryError) {
        StringBuilder text = new StringBuilder()
                .append("This is the mail server at ")
                .append(configuration.getHeloNameProvider().getHeloName())
                .append(".\nYour message could not be delivered to the following addresses.\n")
                .append("This is a permanent error; delivery has stopped.\n\n");
        for (MailAddress recipient : recipients) {
            text.append(PeerText.clean(recipient.asString(), 320)).append('\n');
        }
        return text.append(deliveryError).append("\n\n").toString();
    }

    // The operator's last resort: James's error processor keeps the mail (a mail repository).
    private boolean toErrorProcessor(Mail mail, String why) {
        try {
            context.sendMail(mail, Mail.ERROR);
            LOGGER.error(
                    "SecureRemoteDelivery: {} for {} went to the error processor: {}",
                    mail.getName(),
                    shown(mail.getRecipients()),
                    why);
            return true;
        } catch (Exception | LinkageError e) {
            LOGGER.error(
                    "SecureRemoteDelivery: {} for {} cannot reach the error processor either ({}); it is lost"
                            + " unless the queue keeps it",
                    mail.getName(),
                    shown(mail.getRecipients()),
                    why,
                    e);
            return false;
        }
    }

    /**
     * A bounce is a new message to the sender: it does not inherit the transport demands of the
     * message it reports on, and for a REQUIRETLS message it carries the header but not the body (RFC
     * 8689 5: as if RET=HDRS), so that it need not itself travel with REQUIRETLS.
     */
    static void redactForBounce(Mail mail) throws MessagingException {
        if (MessageSecurityAttributes.isTaggedRequireTls(mail)) {
            MimeMessage original = mail.getMessage();
            MimeMessage headerOnly = new MimeMessage(Session.getInstance(new Properties())) {
                // The original's Message-ID stays: the sender finds the message it sent by it.
                @Override
                protected void updateMessageID() {}
            };
            Enumeration<String> lines = original.getAllHeaderLines();
            while (lines.hasMoreElements()) {
                headerOnly.addHeaderLine(lines.nextElement());
            }
            headerOnly.setText("", "us-ascii");
            headerOnly.saveChanges();
            mail.setMessage(headerOnly);
        }
        MessageSecurityAttributes.remove(mail);
    }

    private static Mail copyFor(Mail mail, List<RecipientFate> fates, String suffix) throws MessagingException {
        Mail copy = mail.duplicate();
        copy.setRecipients(addressesOf(fates));
        // duplicate() names the copy anew; a deferred message keeps its name across retries.
        copy.setName(suffix.isEmpty() || mail.getName().endsWith(suffix) ? mail.getName() : mail.getName() + suffix);
        return copy;
    }

    private static List<MailAddress> addressesOf(List<RecipientFate> fates) throws AddressException {
        List<MailAddress> addresses = new ArrayList<>();
        for (RecipientFate fate : fates) {
            addresses.add(new MailAddress(fate.recipient()));
        }
        return addresses;
    }

    private static List<String> shown(Collection<MailAddress> addresses) {
        List<String> shown = new ArrayList<>();
        addresses.forEach(address -> shown.add(PeerText.clean(address.asString(), 320)));
        return shown;
    }

    // For log lines: an address is the sender's choice, cleaned like any peer's text (PeerText).
    private static List<String> recipientsOf(List<RecipientFate> fates) {
        List<String> recipients = new ArrayList<>();
        fates.forEach(fate -> recipients.add(PeerText.clean(fate.recipient(), 320)));
        return recipients;
    }

    // Every copy in the queue is for one recipient domain, and has a recipient.
    private void fate(Mail mail, Fate fate) {
        metrics.generate(Metrics.MAIL + "." + fate.label()).increment();
        outcomes.message(domainOf(mail), fate);
    }

    private static String domainOf(Mail mail) {
        return MailEnvelopes.destinationOf(mail).asciiName();
    }
}
