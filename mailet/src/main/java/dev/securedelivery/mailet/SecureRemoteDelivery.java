package dev.securedelivery.mailet;

import dev.securedelivery.delivery.DeliveryLimits;
import dev.securedelivery.delivery.DeliveryResult;
import dev.securedelivery.delivery.DomainDelivery;
import dev.securedelivery.delivery.Fate;
import dev.securedelivery.policy.DeliveryPlan;
import dev.securedelivery.policy.DeliveryPolicy;
import dev.securedelivery.smtp.DeliveryAttempt;
import dev.securedelivery.smtp.IdleSessions;
import dev.securedelivery.smtp.SessionReuse;
import dev.securedelivery.smtp.SmtpClient;
import dev.securedelivery.smtp.SmtpLimits;
import dev.securedelivery.smtp.SmtpSettings;
import dev.securedelivery.waitingroom.DelayedRequeue;
import dev.securedelivery.waitingroom.QueueDelay;
import dev.securedelivery.waitingroom.QueueDelaySupport;
import dev.securedelivery.waitingroom.WaitingRoom;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.net.UnknownHostException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import javax.inject.Inject;
import javax.mail.MessagingException;
import org.apache.james.core.Domain;
import org.apache.james.core.MailAddress;
import org.apache.james.domainlist.api.DomainList;
import org.apache.james.lifecycle.api.LifecycleUtil;
import org.apache.james.mailrepository.api.MailRepositoryPath;
import org.apache.james.mailrepository.api.MailRepositoryStore;
import org.apache.james.mailrepository.api.MailRepositoryUrl;
import org.apache.james.mailrepository.api.Protocol;
import org.apache.james.metrics.api.MetricFactory;
import org.apache.james.metrics.api.TimeMetric;
import org.apache.james.queue.api.MailQueue;
import org.apache.james.queue.api.MailQueueFactory;
import org.apache.james.transport.mailets.remote.delivery.DeliveryRetriesHelper;
import org.apache.james.transport.mailets.remote.delivery.RemoteDeliveryConfiguration;
import org.apache.mailet.AttributeName;
import org.apache.mailet.Mail;
import org.apache.mailet.ProcessingState;
import org.apache.mailet.base.GenericMailet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

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
 * messages carry an {@code X-Secure-Delivery} header saying how they left), {@code
 * shutdownWaitSeconds} (30: how long James's shutdown waits for deliveries in flight), {@code
 * planAhead} (100: messages taken from the queue beyond the delivery threads to have their plans made,
 * so that a destination slow to plan holds up its own mail, not a thread) and {@code smtpPort} (25;
 * for tests only); session reuse ({@link SessionReuse}): {@code sessionReuse} (true),
 * {@code sessionIdleSeconds} (2), {@code sessionMaxAgeSeconds} (300), {@code sessionMaxMessages} (100)
 * and {@code sessionMaxIdle} (100). RemoteDelivery's {@code bind}, {@code usePriority} and {@code
 * loadBalancing} are honoured. Refused: the {@code gateway} parameters (a smart host is a policy
 * domain of its own, RFC 8461 3.4, which this mailet does not handle yet), {@code startTLS=false},
 * {@code sslEnable=true} and James 3.9's {@code sslTrustAllCerts=true} (TLS is the destination's
 * policy's to decide).
 *
 * <p>The delivery itself is the James-free core ({@link DomainDelivery}); this class reads the
 * queue ({@link OutgoingQueue}) and gives each recipient its fate in James ({@link MailFates}).
 */
public final class SecureRemoteDelivery extends GenericMailet {
    static final String TRACE_HEADER = "X-Secure-Delivery";
    /** The attempt that delivered the message, in the one-line form of the log. */
    static final AttributeName OUTCOME = AttributeName.of("dev.securedelivery.delivery");

    private static final Logger LOGGER = LoggerFactory.getLogger(SecureRemoteDelivery.class);
    private static final Duration DEFAULT_SHUTDOWN_WAIT = Duration.ofSeconds(30);
    /** The mailet parameter naming the mail repository deferred mail waits in where the queue drops delays. */
    static final String WAITING_REPOSITORY = "waitingRepository";

    static final String DEFAULT_WAITING_PATH = "var/mail/secure-delivery-waiting/";
    /** Messages whose plans are made while they wait for a delivery thread. */
    private static final int DEFAULT_PLAN_AHEAD = 100;
    /**
     * A message beyond its destination's tenth of planAhead waits this long for the plan before it is set
     * aside: a plan takes well under a second when nothing is wrong (MtaStsEngine's slow-fetch mark).
     */
    private static final Duration SET_ASIDE_AFTER = Duration.ofSeconds(2);
    /** How long a message set aside stays out of the way. */
    private static final Duration SET_ASIDE_FOR = Duration.ofSeconds(10);
    /**
     * A plan made ahead that is older than this when its message gets a thread is made again: it rests
     * on DNS answers (TLSA records in a rollover, MX addresses) that may have changed while every thread
     * was busy. The caches make it again at once when they have not.
     */
    private static final Duration PLAN_AGAIN_AFTER = Duration.ofSeconds(60);

    private final DomainList domainList;
    private final MailQueueFactory<?> queueFactory;
    private final MailRepositoryStore repositories;
    private final MetricFactory metrics;
    private final SecureDeliveryEngine engine;

    private RemoteDeliveryConfiguration configuration;
    private MailQueue queue;
    private DomainDelivery delivery;
    private MailFates fates;
    private OutgoingQueue<DeliveryPlan> outgoing;
    private IdleSessions idleSessions;
    private DelayedRequeue requeue;
    private WaitingRoom waitingRoom;

    @Inject
    public SecureRemoteDelivery(
            DomainList domainList,
            MailQueueFactory<?> queueFactory,
            MailRepositoryStore repositories,
            MetricFactory metrics,
            SecureDeliveryEngine engine) {
        this.domainList = domainList;
        this.queueFactory = queueFactory;
        this.repositories = repositories;
        this.metrics = metrics;
        this.engine = engine;
    }

    @Override
    public void init() throws MessagingException {
        configuration = new RemoteDeliveryConfiguration(getMailetConfig(), domainList);
        refuseWhatMeansNothingHere();
        int threads = positiveParameter("deliveryThreads", 1);
        int planAhead = positiveParameter("planAhead", DEFAULT_PLAN_AHEAD);
        int port = positiveParameter("smtpPort", 25);
        if (port > 65535) {
            throw new MessagingException("SecureRemoteDelivery: smtpPort must be a port, got " + port);
        }
        Duration shutdownWait =
                Duration.ofSeconds(positiveParameter("shutdownWaitSeconds", (int) DEFAULT_SHUTDOWN_WAIT.toSeconds()));
        boolean traceHeader = booleanParameter("traceHeader", false);
        DeliveryLimits limits = DeliveryLimits.of(
                positiveParameter("mxAddressLimit", DeliveryLimits.DEFAULT.addressLimit()),
                positiveParameter("mxSessionLimit", DeliveryLimits.DEFAULT.sessionLimit()),
                Duration.ofSeconds(positiveParameter("deliveryTimeLimitSeconds", (int)
                        DeliveryLimits.DEFAULT.timeBudget().toSeconds())));

        SessionReuse reuse = SessionReuse.DEFAULT
                .enabled(booleanParameter("sessionReuse", SessionReuse.DEFAULT.isEnabled()))
                .withIdleTime(Duration.ofSeconds(positiveParameter("sessionIdleSeconds", (int)
                        SessionReuse.DEFAULT.idleTime().toSeconds())))
                .withMaxAge(Duration.ofSeconds(positiveParameter("sessionMaxAgeSeconds", (int)
                        SessionReuse.DEFAULT.maxAge().toSeconds())))
                .withMaxMessages(positiveParameter("sessionMaxMessages", SessionReuse.DEFAULT.maxMessages()))
                .withMaxIdleSessions(positiveParameter("sessionMaxIdle", SessionReuse.DEFAULT.maxIdleSessions()));

        SmtpSettings settings = SmtpSettings.of(
                        configuration.getHeloNameProvider().getHeloName())
                .withPort(port)
                .withSendPartial(configuration.isSendPartial())
                .withRecipientLimit(positiveParameter("recipientLimit", SmtpSettings.DEFAULT_RECIPIENT_LIMIT))
                .withTraceHeader(traceHeader ? TRACE_HEADER : null)
                .withBindAddress(bindAddress())
                .withLimits(SmtpLimits.DEFAULT
                        .withConnectTimeout(Duration.ofMillis(Math.max(1, configuration.getConnectionTimeout())))
                        .withReadTimeout(Duration.ofMillis(Math.max(1, configuration.getSmtpTimeout())))
                        .withWriteTimeout(Duration.ofMillis(Math.max(1, configuration.getSmtpTimeout()))));
        idleSessions = IdleSessions.start(reuse);
        SmtpClient client = new SmtpClient(settings, engine.pkixTrust(), engine.clock(), idleSessions);

        engine.attach();
        delivery = new DomainDelivery(
                engine.policy(),
                client,
                engine.outcomes(),
                engine.tlsReports().map(reports -> reports.recorder()).orElse(null),
                new MetricsObserver(metrics),
                configuration.isLoadBalancing() ? new SecureRandom() : null,
                limits);
        // A broker hands out only this many unfinished items (RabbitMQ's QoS): every thread's and every
        // plan-ahead message's. A queue some other mailet created first keeps its own count.
        queue = queueFactory.createQueue(
                configuration.getOutGoingQueueName(), MailQueueFactory.prefetchCount(threads + planAhead));
        requeue = delayedRequeue();
        fates = new MailFates(
                configuration,
                requeue,
                getMailetContext(),
                metrics,
                engine.outcomes(),
                new PostureCounter(
                        metrics,
                        engine.posture().orElse(null),
                        engine.tlsRptProbe().orElse(null)),
                engine.clock());
        outgoing = new OutgoingQueue<DeliveryPlan>(
                queue,
                requeue,
                threads,
                planAhead,
                SET_ASIDE_AFTER,
                SET_ASIDE_FOR,
                PLAN_AGAIN_AFTER,
                shutdownWait,
                System::nanoTime,
                new OutgoingQueue.Delivery<DeliveryPlan>() {
                    @Override
                    public CompletableFuture<DeliveryPlan> prepare(MailQueue.MailQueueItem item) {
                        return planAhead(item.getMail());
                    }

                    @Override
                    public String destination(MailQueue.MailQueueItem item) {
                        return MailEnvelopes.destinationOf(item.getMail()).asciiName();
                    }

                    @Override
                    public MailQueue.MailQueueItem.CompletionStatus deliver(
                            MailQueue.MailQueueItem item, CompletableFuture<DeliveryPlan> plan) {
                        return process(item, plan);
                    }
                });
        LOGGER.info(
                "SecureRemoteDelivery: {} delivery thread(s) on queue {}, {} retries, delays {}, each delivery {}; {}",
                threads,
                configuration.getOutGoingQueueName().asString(),
                configuration.getMaxRetries(),
                configuration.getDelayTimes(),
                limits,
                reuse);
    }

    // Where deferred mail waits for its retry: in the queue if it honours delays, in the waiting room if not.
    private DelayedRequeue delayedRequeue() throws MessagingException {
        QueueDelaySupport delays = QueueDelaySupport.of(queue, getInitParameter(QueueDelaySupport.PARAMETER));
        DelayedRequeue chosen;
        if (delays.honoured()) {
            chosen = new QueueDelay(queue, engine.waitingList(), engine.clock());
        } else {
            if (repositories == null) {
                throw new MessagingException("SecureRemoteDelivery: " + delays.reason() + ", and there is no mail"
                        + " repository store to keep deferred mail in; set " + QueueDelaySupport.PARAMETER
                        + "=honoured if the queue holds a message for its delay");
            }
            MailRepositoryUrl url = waitingRepository();
            try {
                waitingRoom = WaitingRoom.open(
                        repositories.select(url),
                        url.asString(),
                        queue,
                        engine.waitingList(),
                        engine.clock(),
                        engine.waitingLease());
            } catch (MailRepositoryStore.MailRepositoryStoreException e) {
                throw new MessagingException(
                        "SecureRemoteDelivery: the waiting room " + url.asString() + " cannot be opened: "
                                + e.getMessage(),
                        e);
            }
            chosen = waitingRoom;
        }
        LOGGER.info("SecureRemoteDelivery: {}: deferred mail waits {}", delays.reason(), chosen.describe());
        return chosen;
    }

    // waitingRepository, or var/mail/secure-delivery-waiting/ in the server's default kind of repository.
    private MailRepositoryUrl waitingRepository() throws MessagingException {
        String configured = getInitParameter(WAITING_REPOSITORY);
        if (configured != null && !configured.isBlank()) {
            try {
                return MailRepositoryUrl.from(configured.trim());
            } catch (RuntimeException e) {
                throw new MessagingException("SecureRemoteDelivery: " + WAITING_REPOSITORY
                        + " must be a mail repository URL such as postgres://var/mail/secure-delivery-waiting/, got \""
                        + configured + "\"");
            }
        }
        Protocol protocol = repositories
                .defaultProtocol()
                .orElseThrow(() -> new MessagingException("SecureRemoteDelivery: James names no default kind of"
                        + " mail repository; set " + WAITING_REPOSITORY + " to the one deferred mail waits in"));
        return MailRepositoryUrl.fromPathAndProtocol(protocol, MailRepositoryPath.from(DEFAULT_WAITING_PATH));
    }

    // RemoteDelivery parameters this mailet cannot honour are refused rather than ignored.
    private void refuseWhatMeansNothingHere() throws MessagingException {
        if (!configuration.getGatewayServer().isEmpty()
                || getInitParameter("gatewayPort") != null
                || getInitParameter("gatewayUsername") != null
                || getInitParameter("gatewayusername") != null
                || getInitParameter("gatewayPassword") != null) {
            throw new MessagingException("SecureRemoteDelivery: the gateway parameters are not supported; a smart host"
                    + " is its own policy domain (RFC 8461 3.4). Use RemoteDelivery for gateway delivery.");
        }
        if (!booleanParameter("startTLS", true)) {
            throw new MessagingException("SecureRemoteDelivery: startTLS=false is not supported: STARTTLS is decided"
                    + " per destination by its policy. For a destination that must get plaintext, set"
                    + " tls-policy.<domain>=none in secure-delivery.properties.");
        }
        if (booleanParameter("sslEnable", false)) {
            throw new MessagingException("SecureRemoteDelivery: sslEnable=true (TLS from the first byte) is not"
                    + " supported: MX hosts are reached on port 25 with STARTTLS (RFC 3207).");
        }
        // James 3.9's RemoteDelivery parameter: a trust-all TLS context for every destination.
        if (booleanParameter("sslTrustAllCerts", false)) {
            throw new MessagingException("SecureRemoteDelivery: sslTrustAllCerts=true is not supported: which"
                    + " certificates a destination must present is its policy's to decide (DANE, MTA-STS,"
                    + " tls-policy.<domain> in secure-delivery.properties).");
        }
    }

    private InetAddress bindAddress() throws MessagingException {
        if (!configuration.isBindUsed()) {
            return null;
        }
        String bind = configuration.getBindAddress().trim();
        try {
            // An address literal only: never a name resolved by the JVM's own lookups.
            // A dotted quad, or an IPv6 literal (with a colon: no host name has one).
            if (!bind.matches("\\d{1,3}(\\.\\d{1,3}){3}|\\[?[0-9a-fA-F.]*:[0-9a-fA-F:.]*\\]?")) {
                throw new UnknownHostException(bind);
            }
            InetAddress address = InetAddress.getByName(bind.replace("[", "").replace("]", ""));
            if (NetworkInterface.getByInetAddress(address) == null && !address.isAnyLocalAddress()) {
                throw new MessagingException("SecureRemoteDelivery: bind " + bind + " is not an address of this host");
            }
            return address;
        } catch (UnknownHostException | SocketException e) {
            throw new MessagingException(
                    "SecureRemoteDelivery: bind must be an IP address of this host, got \"" + bind + "\"");
        }
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
            byDomain.computeIfAbsent(recipient.getDomain(), domain -> new ArrayList<>())
                    .add(recipient);
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

    /** The plan of {@code mail}'s destination, asked for before the mail gets a delivery thread. */
    private CompletableFuture<DeliveryPlan> planAhead(Mail mail) {
        if (mail.getRecipients().isEmpty() || MailFates.isHeldBounce(mail)) {
            // Nothing to deliver, or only a DSN left to send: no plan needed.
            return CompletableFuture.completedFuture(null);
        }
        return delivery.planAhead(MailEnvelopes.destinationOf(mail));
    }

    /** Delivers one queued copy by {@code plan} and gives each recipient its fate; never throws. */
    private MailQueue.MailQueueItem.CompletionStatus process(
            MailQueue.MailQueueItem item, CompletableFuture<DeliveryPlan> plan) {
        Mail mail = item.getMail();
        DeliveryResult result = null;
        requeue.taken(mail);
        try {
            if (mail.getRecipients().isEmpty()) {
                LOGGER.warn("SecureRemoteDelivery: {} has no recipient left; nothing to deliver", mail.getName());
                return MailQueue.MailQueueItem.CompletionStatus.SUCCESS;
            }
            // Every line about this copy (plan, attempts, deferral, bounce) carries its domain.
            MDC.put(DeliveryPolicy.MDC_DOMAIN, MailEnvelopes.destinationOf(mail).asciiName());
            int retries = DeliveryRetriesHelper.retrieveRetries(mail);
            if (MailFates.isHeldBounce(mail)) {
                // Its recipients have their fate already: only the DSN is left to send.
                return completion(fates.retryHeldBounce(mail, retries));
            }
            try {
                result = delivery.deliver(
                        MailEnvelopes.of(mail),
                        retries >= configuration.getMaxRetries(),
                        retries < configuration.getDnsProblemRetry(),
                        plan);
            } catch (Throwable e) {
                // An Error (a LinkageError, an OOM) or a bug: a deferral with its retry count and delay,
                // never an immediate re-queue and never a loss.
                return completion(fates.deferAfterFailure(mail, retries, e));
            }
            return completion(fates.apply(mail, result, retries));
        } catch (Throwable e) {
            // Handed back only if nobody has the message yet: once delivered, never again.
            boolean delivered =
                    result != null && !result.withFate(Fate.DELIVERED).isEmpty();
            LOGGER.error(
                    "SecureRemoteDelivery: {} could not be handled; {}",
                    mail.getName(),
                    delivered
                            ? "it was delivered to some recipients, so the queue does not get it back"
                            : "the queue keeps it",
                    e);
            return delivered
                    ? MailQueue.MailQueueItem.CompletionStatus.SUCCESS
                    : MailQueue.MailQueueItem.CompletionStatus.RETRY;
        } finally {
            MDC.remove(DeliveryPolicy.MDC_DOMAIN);
            LifecycleUtil.dispose(mail);
        }
    }

    private static MailQueue.MailQueueItem.CompletionStatus completion(MailFates.Completion completion) {
        return completion == MailFates.Completion.HAND_BACK
                ? MailQueue.MailQueueItem.CompletionStatus.RETRY
                : MailQueue.MailQueueItem.CompletionStatus.SUCCESS;
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
        throw new MessagingException(
                "SecureRemoteDelivery: " + name + " must be a positive whole number, got \"" + value + "\"");
    }

    private boolean booleanParameter(String name, boolean defaultValue) throws MessagingException {
        String value = getInitParameter(name);
        if (value == null || value.isBlank()) {
            return defaultValue;
        }
        switch (value.trim().toLowerCase(Locale.ROOT)) {
            case "true":
            case "yes":
                return true;
            case "false":
            case "no":
                return false;
            default:
                throw new MessagingException(
                        "SecureRemoteDelivery: " + name + " must be true or false, got \"" + value + "\"");
        }
    }

    @Override
    public void destroy() {
        if (outgoing != null) {
            outgoing.close();
        }
        if (waitingRoom != null) {
            // After the delivery threads: none of them puts a message in it any more.
            waitingRoom.close();
        }
        if (idleSessions != null) {
            // After the delivery threads: none of them can keep a session any more.
            idleSessions.close();
        }
        if (delivery != null) {
            engine.detach();
        }
    }

    /** James's metrics of the delivery core: the plan timer and attempt counters. */
    private static final class MetricsObserver implements DomainDelivery.Observer {
        private final MetricFactory metrics;

        MetricsObserver(MetricFactory metrics) {
            this.metrics = metrics;
        }

        @Override
        public Runnable planning() {
            TimeMetric timer = metrics.timer(Metrics.PLAN);
            return timer::stopAndPublish;
        }

        @Override
        public void attempted(DeliveryAttempt attempt) {
            metrics.generate(Metrics.ATTEMPT + "." + attempt.outcome().name().toLowerCase(Locale.ROOT) + "."
                            + attempt.peerAuthentication().label().toLowerCase(Locale.ROOT))
                    .increment();
        }
    }
}
