package dev.securedelivery.mailet;

import dev.securedelivery.policy.DeliveryPolicy;
import dev.securedelivery.smtp.SmtpClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Date;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import javax.inject.Inject;
import javax.mail.MessagingException;
import javax.mail.Session;
import javax.mail.internet.MimeMessage;
import org.apache.james.core.Domain;
import org.apache.james.core.MailAddress;
import org.apache.james.core.MaybeSender;
import org.apache.james.domainlist.api.DomainList;
import org.apache.james.lifecycle.api.LifecycleUtil;
import org.apache.james.metrics.api.MetricFactory;
import org.apache.james.queue.api.MailQueue;
import org.apache.james.queue.api.MailQueueFactory;
import org.apache.james.server.core.MailImpl;
import org.apache.james.transport.mailets.remote.delivery.Bouncer;
import org.apache.james.transport.mailets.remote.delivery.DeliveryRetriesHelper;
import org.apache.james.transport.mailets.remote.delivery.RemoteDeliveryConfiguration;
import org.apache.mailet.Mail;
import org.apache.mailet.ProcessingState;
import org.apache.mailet.base.GenericMailet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;
import reactor.util.retry.Retry;

/**
 * Outbound delivery that honours the recipient domain's transport-security policy: a drop-in
 * replacement for James's RemoteDelivery in {@code mailetcontainer.xml}.
 *
 * <p>Like RemoteDelivery it splits a message per recipient domain into the outgoing queue and
 * delivers from there on its own threads, retrying with the configured delays and bouncing once
 * the retries are spent; it reads RemoteDelivery's parameters with James's own
 * {@link RemoteDeliveryConfiguration} ({@code outgoing}, {@code delayTime}, {@code maxRetries},
 * {@code maxDnsProblemRetries}, {@code timeout}, {@code connectiontimeout}, {@code heloName},
 * {@code bounceProcessor}, {@code onSuccess}, {@code sendpartial}, {@code mail.*}) and bounces with
 * James's {@link Bouncer}. Unlike it, every connection is held to the plan of
 * {@link dev.securedelivery.policy.DeliveryPolicy}: DANE, MTA-STS, the local overrides; and to what
 * the message itself demands ({@link MessageSecurityAttributes}: REQUIRETLS, {@code TLS-Required:
 * No}, a {@link RequireTransportSecurity} level), the stricter of the two
 * ({@link dev.securedelivery.policy.DeliveryPlan#forMessage}). A REQUIRETLS message is bounced with
 * its header only (RFC 8689 5); a recipient's NOTIFY=SUCCESS gets a {@link SuccessNotification}.
 *
 * <p>Its own parameters: {@code deliveryThreads} (1), {@code traceHeader} (false: when true,
 * messages carry an {@code X-Secure-Delivery} header saying how they left) and {@code smtpPort}
 * (25; for tests only). {@code gateway} is refused: a smart host is a policy domain of its own
 * (RFC 8461 3.4), which this mailet does not handle yet.
 */
public final class SecureRemoteDelivery extends GenericMailet {
    static final String TRACE_HEADER = "X-Secure-Delivery";

    private static final Logger LOGGER = LoggerFactory.getLogger(SecureRemoteDelivery.class);

    private final DomainList domainList;
    private final MailQueueFactory<?> queueFactory;
    private final MetricFactory metrics;
    private final SecureDeliveryEngine engine;

    private RemoteDeliveryConfiguration configuration;
    private MailQueue queue;
    private Bouncer bouncer;
    private DomainDelivery delivery;
    private Scheduler scheduler;
    private Scheduler dequeueThread;
    private Disposable dequeuing;

    @Inject
    public SecureRemoteDelivery(DomainList domainList, MailQueueFactory<?> queueFactory, MetricFactory metrics,
            SecureDeliveryEngine engine) {
        this.domainList = domainList;
        this.queueFactory = queueFactory;
        this.metrics = metrics;
        this.engine = engine;
    }

    @Override
    public void init() throws MessagingException {
        configuration = new RemoteDeliveryConfiguration(getMailetConfig(), domainList);
        if (!configuration.getGatewayServer().isEmpty()) {
            throw new MessagingException("SecureRemoteDelivery: the gateway parameter is not supported; a smart host"
                    + " is its own policy domain (RFC 8461 3.4). Use RemoteDelivery for gateway delivery.");
        }
        int threads = positiveParameter("deliveryThreads", 1);
        int port = positiveParameter("smtpPort", 25);
        if (port > 65535) {
            throw new MessagingException("SecureRemoteDelivery: smtpPort must be a port, got " + port);
        }
        boolean traceHeader = booleanParameter("traceHeader");

        Properties javaMail = new Properties();
        javaMail.putAll(configuration.getJavaxAdditionalProperties());
        javaMail.setProperty("mail.smtp.timeout", String.valueOf(configuration.getSmtpTimeout()));
        javaMail.setProperty("mail.smtp.connectiontimeout", String.valueOf(configuration.getConnectionTimeout()));
        javaMail.setProperty("mail.smtp.localhost", configuration.getHeloNameProvider().getHeloName());
        javaMail.setProperty("mail.smtp.sendpartial", String.valueOf(configuration.isSendPartial()));
        SmtpClient client = new SmtpClient(javaMail, port, engine.pkixTrust(), engine.clock(),
                traceHeader ? TRACE_HEADER : null);

        engine.attach();
        delivery = new DomainDelivery(engine.policy(), client, metrics, engine.outcomes(),
                engine.tlsReports().map(reports -> reports.recorder()).orElse(null));
        bouncer = new Bouncer(configuration, getMailetContext());
        queue = queueFactory.createQueue(configuration.getOutGoingQueueName());
        scheduler = Schedulers.newBoundedElastic(threads, Integer.MAX_VALUE, "secure-delivery");
        dequeueThread = Schedulers.newSingle("secure-delivery-dequeue");
        dequeuing = Flux.from(queue.deQueue())
                .flatMap(item -> Mono.fromRunnable(() -> process(item)).subscribeOn(scheduler), threads)
                // A dequeue failure (a broker hiccup, a message the queue cannot read back) must not stop
                // delivery for good: log it and take from the queue again, backing off.
                .doOnError(e -> LOGGER.error("SecureRemoteDelivery: reading queue {} failed; reading it again",
                        configuration.getOutGoingQueueName().asString(), e))
                .retryWhen(Retry.backoff(Long.MAX_VALUE, Duration.ofSeconds(1)).maxBackoff(Duration.ofMinutes(1)))
                // Persistent (JMS) queues block the subscribing thread while they wait for mail: never
                // James's start-up thread.
                .subscribeOn(dequeueThread)
                .subscribe();
        LOGGER.info("SecureRemoteDelivery: {} delivery thread(s) on queue {}, {} retries, delays {}", threads,
                configuration.getOutGoingQueueName().asString(), configuration.getMaxRetries(),
                configuration.getDelayTimes());
    }

    @Override
    public String getMailetInfo() {
        return "SecureRemoteDelivery: delivery that honours DANE, MTA-STS and local TLS policies";
    }

    @Override
    public Collection<ProcessingState> requiredProcessingState() {
        List<ProcessingState> states = new ArrayList<>();
        configuration.getBounceProcessor().ifPresent(states::add);
        configuration.getOnSuccess().ifPresent(states::add);
        return states;
    }

    /** Queues one copy of {@code mail} per recipient domain; the original goes no further. */
    @Override
    public void service(Mail mail) throws MessagingException {
        Map<Domain, List<MailAddress>> byDomain = new LinkedHashMap<>();
        for (MailAddress recipient : mail.getRecipients()) {
            byDomain.computeIfAbsent(recipient.getDomain(), domain -> new ArrayList<>()).add(recipient);
        }
        for (Map.Entry<Domain, List<MailAddress>> entry : byDomain.entrySet()) {
            Mail copy = mail.duplicate();
            try {
                copy.setRecipients(entry.getValue());
                copy.setName(mail.getName() + "-to-" + entry.getKey().asString());
                DeliveryRetriesHelper.initRetries(copy);
                queue.enQueue(copy);
            } finally {
                LifecycleUtil.dispose(copy);
            }
        }
        mail.setState(Mail.GHOST);
    }

    private void process(MailQueue.MailQueueItem item) {
        Mail mail = item.getMail();
        // Every line about this copy (plan, attempts, deferral, bounce) carries its domain.
        if (!mail.getRecipients().isEmpty()) {
            MDC.put(DeliveryPolicy.MDC_DOMAIN, DomainDelivery.destinationOf(mail));
        }
        try {
            handle(mail);
            item.done(MailQueue.MailQueueItem.CompletionStatus.SUCCESS);
        } catch (Exception e) {
            // Whatever went wrong, the queue keeps the message: it is tried again, never lost.
            LOGGER.error("SecureRemoteDelivery: {} stays queued after an unexpected failure", mail.getName(), e);
            try {
                item.done(MailQueue.MailQueueItem.CompletionStatus.RETRY);
            } catch (Exception retry) {
                LOGGER.error("SecureRemoteDelivery: cannot hand {} back to the queue", mail.getName(), retry);
            }
        } finally {
            MDC.remove(DeliveryPolicy.MDC_DOMAIN);
            LifecycleUtil.dispose(mail);
        }
    }

    private void handle(Mail mail) throws MessagingException {
        int retries = DeliveryRetriesHelper.retrieveRetries(mail);
        DomainDelivery.Result result = delivery.deliver(mail, retries < configuration.getDnsProblemRetry());
        if (result.kind == DomainDelivery.Result.Kind.TEMPORARY && retries >= configuration.getMaxRetries()
                && result.enforcesMtaSts()) {
            // RFC 8461 5 and 5.1: no permanent failure under an enforce policy before checking for a new one.
            String domain = result.plan.domain();
            String before = result.plan.mtaSts().flatMap(lookup -> lookup.policyId()).orElse("");
            String after = engine.policy().refreshMtaSts(domain).policyId().orElse("");
            if (!before.equals(after)) {
                LOGGER.info("SecureRemoteDelivery: {}: MTA-STS policy changed from id {} to {}; trying {} again",
                        domain, before, after, mail.getName());
                result = delivery.deliver(mail, false);
            }
        }
        switch (result.kind) {
            case DELIVERED:
                fate(mail, "delivered");
                notifySuccess(mail, result);
                handlePartialDelivery(mail, retries, result);
                if (configuration.getOnSuccess().isPresent()) {
                    getMailetContext().sendMail(mail, configuration.getOnSuccess().get().getValue());
                }
                return;
            case PERMANENT:
                bounce(mail, result.explanation);
                return;
            default:
                if (retries < configuration.getMaxRetries()) {
                    defer(mail, retries, result.explanation);
                } else {
                    bounce(mail, result.asPermanent() + " (after " + retries + " retries)");
                }
        }
    }

    // RFC 3461 4.1: NOTIFY=SUCCESS asks for a notice when the message is delivered (or relayed on);
    // ours carries the delivery trace. The message is delivered by now: nothing here may undo that.
    private void notifySuccess(Mail mail, DomainDelivery.Result result) {
        List<MailAddress> delivered = new ArrayList<>();
        for (MailAddress recipient : mail.getRecipients()) {
            if (!result.refused.containsKey(recipient.asString()) && !result.unsent.contains(recipient.asString())) {
                delivered.add(recipient);
            }
        }
        List<MailAddress> requested = SuccessNotification.requestedBy(mail, delivered);
        if (requested.isEmpty()) {
            return;
        }
        Mail notice = null;
        try {
            MailAddress sender = mail.getMaybeSender().get();
            notice = MailImpl.builder()
                    .name(mail.getName() + "-relayed")
                    .sender(MaybeSender.nullSender())
                    .addRecipient(sender)
                    .mimeMessage(SuccessNotification.build(mail.getMessage(), sender, requested, result.delivery,
                            configuration.getHeloNameProvider().getHeloName(), engine.clock().instant()))
                    .build();
            getMailetContext().sendMail(notice);
            LOGGER.info("SecureRemoteDelivery: {}: success notice (NOTIFY=SUCCESS) for {} sent to {}", mail.getName(),
                    requested, sender.asString());
        } catch (MessagingException | RuntimeException e) {
            LOGGER.warn("SecureRemoteDelivery: {} was delivered, but the success notice asked for could not be sent",
                    mail.getName(), e);
        } finally {
            if (notice != null) {
                LifecycleUtil.dispose(notice);
            }
        }
    }

    // With sendpartial the server may take some recipients and not others: the refused ones are
    // bounced, the ones not sent yet wait in a copy of their own. None is dropped.
    private void handlePartialDelivery(Mail mail, int retries, DomainDelivery.Result result) throws MessagingException {
        if (!result.refused.isEmpty()) {
            Mail refused = copyFor(mail, result.refused.keySet(), "-refused");
            try {
                Map.Entry<String, String> first = result.refused.entrySet().iterator().next();
                bounce(refused, statusIn(first.getValue(), "5.0.0") + " " + result.plan.domain() + " refused "
                        + String.join(", ", result.refused.keySet()) + ": " + first.getValue());
            } finally {
                LifecycleUtil.dispose(refused);
            }
        }
        if (!result.unsent.isEmpty()) {
            Mail unsent = copyFor(mail, result.unsent, "-unsent");
            try {
                String why = "4.0.0 " + result.plan.domain() + " did not take " + String.join(", ", result.unsent)
                        + " this time";
                if (retries < configuration.getMaxRetries()) {
                    defer(unsent, retries, why);
                } else {
                    bounce(unsent, "5" + why.substring(1) + " (after " + retries + " retries)");
                }
            } finally {
                LifecycleUtil.dispose(unsent);
            }
        }
    }

    private static Mail copyFor(Mail mail, Collection<String> recipients, String suffix) throws MessagingException {
        Mail copy = mail.duplicate();
        List<MailAddress> addresses = new ArrayList<>();
        for (String recipient : recipients) {
            try {
                addresses.add(new MailAddress(recipient));
            } catch (javax.mail.internet.AddressException e) {
                throw new MessagingException("unusable recipient " + recipient, e);
            }
        }
        copy.setRecipients(addresses);
        copy.setName(mail.getName() + suffix);
        return copy;
    }

    private static String statusIn(String reply, String fallback) {
        java.util.regex.Matcher matcher = java.util.regex.Pattern.compile("\\b([245]\\.\\d{1,3}\\.\\d{1,3})\\b")
                .matcher(reply);
        return matcher.find() ? matcher.group(1) : fallback;
    }

    private void defer(Mail mail, int retries, String why) throws MessagingException {
        DeliveryRetriesHelper.incrementRetries(mail);
        mail.setLastUpdated(new Date());
        List<Duration> delays = configuration.getDelayTimes();
        Duration delay = delays.get(Math.min(retries, delays.size() - 1));
        queue.enQueue(mail, delay);
        // Said once the queue holds it: "deferred" in the log means the message waits in the queue.
        LOGGER.info("SecureRemoteDelivery: {} deferred for {} (attempt {} of {}): {}", mail.getName(), delay,
                retries + 1, configuration.getMaxRetries() + 1, why);
        fate(mail, "deferred");
    }

    private void bounce(Mail mail, String explanation) {
        LOGGER.info("SecureRemoteDelivery: {} bounced: {}", mail.getName(), explanation);
        fate(mail, "bounced");
        try {
            redactForBounce(mail);
        } catch (MessagingException e) {
            // Better no bounce than one that carries what the sender wanted only sent over TLS.
            LOGGER.error("SecureRemoteDelivery: {} cannot be stripped of its body for the bounce; no bounce sent",
                    mail.getName(), e);
            return;
        }
        bouncer.bounce(mail, new MessagingException(explanation));
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
                protected void updateMessageID() {
                }
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

    // Every copy in the queue is for one recipient domain.
    private void fate(Mail mail, String fate) {
        metrics.generate(Metrics.MAIL + "." + fate).increment();
        if (!mail.getRecipients().isEmpty()) {
            engine.outcomes().message(DomainDelivery.destinationOf(mail), fate);
        }
    }

    private int positiveParameter(String name, int defaultValue) throws MessagingException {
        String value = getInitParameter(name);
        if (value == null || value.isBlank()) {
            return defaultValue;
        }
        try {
            int number = Integer.parseInt(value.trim());
            if (number >= 1) {
                return number;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new MessagingException("SecureRemoteDelivery: " + name + " must be a positive whole number, got \""
                + value + "\"");
    }

    private boolean booleanParameter(String name) throws MessagingException {
        String value = getInitParameter(name);
        if (value == null || value.isBlank()) {
            return false;
        }
        switch (value.trim().toLowerCase(Locale.ROOT)) {
            case "true":
            case "yes":
                return true;
            case "false":
            case "no":
                return false;
            default:
                throw new MessagingException("SecureRemoteDelivery: " + name + " must be true or false, got \""
                        + value + "\"");
        }
    }

    @Override
    public void destroy() {
        if (dequeuing != null) {
            dequeuing.dispose();
        }
        if (dequeueThread != null) {
            dequeueThread.dispose();
        }
        if (scheduler != null) {
            scheduler.dispose();
        }
        if (delivery != null) {
            engine.detach();
        }
    }
}
