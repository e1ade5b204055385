package dev.securedelivery.reports;

import dev.securedelivery.configuration.TlsReportingConfiguration;
import dev.securedelivery.delivery.TlsRptRecorder;
import dev.securedelivery.dns.DnsResolver;
import dev.securedelivery.reportingpolicy.TlsRptDiscovery;
import dev.securedelivery.tlsrpt.PendingReport;
import dev.securedelivery.tlsrpt.PolicyResults;
import dev.securedelivery.tlsrpt.ReportOutbox;
import dev.securedelivery.tlsrpt.ReportPeriod;
import dev.securedelivery.tlsrpt.ReportQueue;
import dev.securedelivery.tlsrpt.ReportedPolicy;
import dev.securedelivery.tlsrpt.SessionCountStore;
import dev.securedelivery.tlsrpt.SessionJournal;
import dev.securedelivery.tlsrpt.TlsRptRecord;
import dev.securedelivery.tlsrpt.TlsRptReport;
import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.zip.GZIPOutputStream;
import javax.mail.MessagingException;
import javax.mail.internet.MimeMessage;
import javax.net.ssl.X509TrustManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * RFC 8460 reporting, end to end: sessions are counted in a {@link SessionCountStore} (by the
 * {@link #recorder()} the delivery mailet calls); when a period has ended, and the time other nodes
 * may take to bring their counts in ({@link SessionCountStore#settleTime()}), one report per policy
 * domain is built and kept in the {@link ReportQueue}, and the period's counts are forgotten; each
 * report then goes to the {@code rua} URIs of the domain's {@code _smtp._tls} record as it stands
 * at sending time, {@code mailto:} through James's pipeline and {@code https:} by POST. A report
 * that some URI did not take is tried again with exponential back-off (RFC 8460 5.5: SHOULD, for up
 * to 24 hours after the first attempt), across restarts.
 *
 * <p>With one node, the stores are its own files ({@link SessionJournal}, {@link ReportOutbox}). With
 * several nodes sharing a store, exactly one node closes each period (a lease, taken over if that node
 * dies), from every node's counts, so the cluster sends one report per policy domain and period, and
 * one node at a time sends each report.
 *
 * <p>Periods are closed and reports built on one thread of its own; deliveries only count in memory.
 * Reports are sent by {@value #SENDERS} threads of their own, a report to one thread at a time, each
 * upload bounded by {@link ReportUpload#DEADLINE}: an endpoint that never answers delays only its own
 * report, and never the closing of a period.
 */
public final class TlsReports implements Closeable {
    /** The header every report by mail carries (RFC 8460 5.3); delivery does not record its sessions. */
    public static final String REPORT_DOMAIN_HEADER = "TLS-Report-Domain";
    /** RFC 8460 5.5: retries for up to 24 hours. */
    static final Duration RETRY_WINDOW = Duration.ofHours(24);

    static final Duration FIRST_RETRY = Duration.ofMinutes(1);
    static final Duration LONGEST_RETRY = Duration.ofHours(4);
    private static final Duration LONGEST_TICK = Duration.ofMinutes(1);
    private static final int SENDING_ADDRESSES = 1_000;
    /** How long one upload may take. */
    public static final Duration UPLOAD_DEADLINE = ReportUpload.DEADLINE;

    /** Reports being sent at once. */
    static final int SENDERS = 4;
    /** How long a node holds a period it closes, and a report it sends, before another may take over. */
    static final Duration DEFAULT_LEASE = Duration.ofMinutes(10);

    private static final Logger LOGGER = LoggerFactory.getLogger(TlsReports.class);

    /** Hands a message to the mail pipeline: James's {@code MailetContext.sendMail} in production. */
    public interface MailSubmission {
        void send(String sender, String recipient, MimeMessage message) throws MessagingException;
    }

    /** What became of a report sent on request. */
    public static final class Sending {
        private final String reportId;
        private final List<String> sentTo;
        private final Map<String, String> failed;
        private final String notSent;

        Sending(String reportId, List<String> sentTo, Map<String, String> failed, String notSent) {
            this.reportId = reportId;
            this.sentTo = List.copyOf(sentTo);
            this.failed = Collections.unmodifiableMap(new LinkedHashMap<>(failed));
            this.notSent = notSent;
        }

        public String reportId() {
            return reportId;
        }

        /** The URIs that took the report. */
        public List<String> sentTo() {
            return sentTo;
        }

        /** The URIs that did not, each with why; they are tried again. */
        public Map<String, String> failed() {
            return failed;
        }

        /** Why the report went nowhere (no or an invalid record), or empty. */
        public Optional<String> notSent() {
            return Optional.ofNullable(notSent);
        }
    }

    private final TlsReportingConfiguration configuration;
    private final SessionCountStore counts;
    private final ReportQueue queue;
    private final ReportDispatch dispatch;
    private final Clock clock;
    private final TlsRptRecorder recorder;
    private final String nodeName;
    private final Duration tick;
    private final Duration uploadDeadline;
    private final Duration lease;
    // Reports being sent by this node, by file name: one attempt at a time for each.
    private final Map<String, CompletableFuture<Sending>> inFlight = new ConcurrentHashMap<>();
    private final Map<InetAddress, String> sendingAddresses = new ConcurrentHashMap<>();
    private final ScheduledExecutorService worker;
    private final ExecutorService senders;
    private volatile boolean stopping;

    private TlsReports(
            TlsReportingConfiguration configuration,
            SessionCountStore counts,
            ReportQueue queue,
            DnsResolver dns,
            X509TrustManager pkix,
            MailSubmission mail,
            Clock clock,
            Duration uploadDeadline,
            String nodeName,
            Duration lease) {
        this.configuration = configuration;
        this.lease = lease;
        this.nodeName = nodeName;
        this.counts = counts;
        this.queue = queue;
        this.uploadDeadline = uploadDeadline;
        this.dispatch = new ReportDispatch(
                configuration,
                queue,
                new TlsRptDiscovery(dns),
                new ReportUpload(dns, pkix, configuration.uploadAllowedNetworks(), uploadDeadline),
                mail);
        this.clock = clock;
        this.recorder = new TlsRptRecorder(counts, pkix, clock, this::sendingAddress);
        Duration quarter = configuration.period().dividedBy(4);
        this.tick = quarter.compareTo(LONGEST_TICK) < 0 ? quarter : LONGEST_TICK;
        this.worker = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "tlsrpt-reports");
            thread.setDaemon(true);
            return thread;
        });
        AtomicInteger senderNumber = new AtomicInteger();
        this.senders = Executors.newFixedThreadPool(SENDERS, runnable -> {
            Thread thread = new Thread(runnable, "tlsrpt-send-" + senderNumber.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        });
    }

    /**
     * Opens this node's journal and outbox under {@code configuration.directory()} (replaying both)
     * and starts sending: reports of periods that ended while James was down go out at once.
     */
    public static TlsReports start(
            TlsReportingConfiguration configuration,
            DnsResolver dns,
            X509TrustManager pkix,
            MailSubmission mail,
            Clock clock)
            throws IOException {
        return start(configuration, dns, pkix, mail, clock, ReportUpload.DEADLINE);
    }

    /** As {@link #start(TlsReportingConfiguration, DnsResolver, X509TrustManager, MailSubmission, Clock)}, for tests. */
    static TlsReports start(
            TlsReportingConfiguration configuration,
            DnsResolver dns,
            X509TrustManager pkix,
            MailSubmission mail,
            Clock clock,
            Duration uploadDeadline)
            throws IOException {
        SessionJournal journal =
                SessionJournal.open(configuration.directory().resolve("journal"), configuration.period());
        if (journal.skippedLines() > 0) {
            LOGGER.warn(
                    "TLS reports: {} line(s) of the session journal skipped: cut by a crash, garbled, or over"
                            + " the limit of {} characters",
                    journal.skippedLines(),
                    SessionJournal.MAX_LINE_CHARS);
        }
        String node = configuration.nodeName().orElseGet(() -> NodeName.ofThisHost(configuration.directory()));
        ReportOutbox outbox = ReportOutbox.open(configuration.directory().resolve("outbox"), node);
        return start(configuration, journal, outbox, node, DEFAULT_LEASE, dns, pkix, mail, clock, uploadDeadline);
    }

    /**
     * Starts reporting with {@code counts} and {@code queue}: this node's files, or the stores the
     * nodes of a cluster share.
     *
     * @param node this node's name, for the logs and the dashboard
     * @param lease how long this node holds a period it closes or a report it sends, before another
     *     node may take over
     */
    public static TlsReports start(
            TlsReportingConfiguration configuration,
            SessionCountStore counts,
            ReportQueue queue,
            String node,
            Duration lease,
            DnsResolver dns,
            X509TrustManager pkix,
            MailSubmission mail,
            Clock clock,
            Duration uploadDeadline)
            throws IOException {
        TlsReports reports =
                new TlsReports(configuration, counts, queue, dns, pkix, mail, clock, uploadDeadline, node, lease);
        reports.worker.scheduleWithFixedDelay(reports::tick, 0, reports.tick.toMillis(), TimeUnit.MILLISECONDS);
        LOGGER.info(
                "TLS reports: on, every {} as {} <{}>, node {}, reports known as {}; {} report(s) waiting to be"
                        + " sent",
                configuration.period(),
                configuration.organizationName(),
                configuration.sender(),
                node,
                queue.reportScope(),
                queue.pending().size());
        return reports;
    }

    SessionCountStore counts() {
        return counts;
    }

    /** This node's name in report IDs and file names. */
    public String nodeName() {
        return nodeName;
    }

    /** What the delivery mailet records its sessions with. */
    public TlsRptRecorder recorder() {
        return recorder;
    }

    /** The period sessions are being counted in now. */
    public ReportPeriod currentPeriod() {
        return ReportPeriod.containing(clock.instant(), configuration.period());
    }

    /** The policy domains with sessions in the current period, each with its counts so far (every node's). */
    public Map<String, Map<ReportedPolicy, PolicyResults>> currentCounts() throws IOException {
        ReportPeriod period = currentPeriod();
        Map<String, Map<ReportedPolicy, PolicyResults>> current = new TreeMap<>();
        for (String domain : counts.domains(period)) {
            current.put(domain, counts.of(period, domain));
        }
        return current;
    }

    /** Reports built and not yet sent to every URI. */
    public List<PendingReport> pending() throws IOException {
        return queue.pending();
    }

    /**
     * Builds the report of {@code policyDomain}'s sessions in the current period so far and sends it
     * now (for an administrator checking the set-up). The period's own report still covers all of it.
     *
     * @return empty if the domain has no session in the current period
     */
    public Optional<Sending> sendNow(String policyDomain) throws IOException {
        try {
            Optional<PendingReport> built = worker.submit(() -> {
                        Instant now = clock.instant();
                        ReportPeriod period = currentPeriod();
                        Map<ReportedPolicy, PolicyResults> sessions = counts.of(period, policyDomain);
                        if (sessions.isEmpty()) {
                            return Optional.<PendingReport>empty();
                        }
                        PendingReport report = build(policyDomain, period.upTo(now), sessions, now);
                        queue.add(report);
                        return queue.claim(report.fileName(), now, lease);
                    })
                    .get(60, TimeUnit.SECONDS);
            if (built.isEmpty()) {
                if (counts.of(currentPeriod(), policyDomain).isEmpty()) {
                    return Optional.empty();
                }
                throw new IOException("the report for " + policyDomain + " is being sent by another node; see its log");
            }
            // Each URI gets the upload deadline; a report already being sent is waited for, not sent twice.
            long wait = uploadDeadline
                    .multipliedBy(TlsRptRecord.MAX_REPORT_URIS)
                    .plusSeconds(60)
                    .toMillis();
            return Optional.of(send(built.get()).get(wait, TimeUnit.MILLISECONDS));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        } catch (ExecutionException e) {
            throw new IOException(
                    "the report for " + policyDomain + " could not be sent: " + e.getCause(), e.getCause());
        } catch (TimeoutException e) {
            throw new IOException("the report for " + policyDomain + " is still being sent; see the log");
        }
    }

    /** Does at once, and waits for, what the next scheduled run would do, the sending of its reports included. */
    void runNow() throws InterruptedException, ExecutionException {
        List<CompletableFuture<Sending>> sending =
                new ArrayList<>(worker.submit(this::tick).get());
        // A report the scheduled run claimed is not due again: its sending, under way, is waited for too.
        sending.addAll(inFlight.values());
        // A failed attempt was logged and is retried; here it only has to be over.
        CompletableFuture.allOf(sending.toArray(new CompletableFuture<?>[0]))
                .exceptionally(failure -> null)
                .get();
    }

    // Closes the periods that ended and hands the reports due to the senders; returns their sending.
    private List<CompletableFuture<Sending>> tick() {
        List<CompletableFuture<Sending>> sending = new ArrayList<>();
        try {
            Instant now = clock.instant();
            closeEndedPeriods(now);
            for (PendingReport report : queue.claimDue(now, lease)) {
                sending.add(send(report));
            }
        } catch (IOException | RuntimeException e) {
            // The next tick tries again: nothing is forgotten before its reports are on disk.
            LOGGER.error("TLS reports: building or sending failed; trying again in {}", tick, e);
        }
        return sending;
    }

    // One attempt at sending report, claimed from the queue, on a sender thread; the one under way if
    // there is one. Whatever happens, the claim ends: an attempt that could not finish gives the report
    // back as it was.
    private CompletableFuture<Sending> send(PendingReport report) {
        CompletableFuture<Sending> sending = new CompletableFuture<>();
        CompletableFuture<Sending> underWay = inFlight.putIfAbsent(report.fileName(), sending);
        if (underWay != null) {
            return underWay;
        }
        try {
            senders.execute(() -> {
                if (stopping) {
                    // Not begun: the report stays in the queue for the next start.
                    giveBack(report);
                    inFlight.remove(report.fileName(), sending);
                    sending.completeExceptionally(new IOException("stopping"));
                    return;
                }
                try {
                    Sending sent = dispatch.attempt(report, clock.instant());
                    inFlight.remove(report.fileName(), sending);
                    sending.complete(sent);
                } catch (IOException | RuntimeException e) {
                    LOGGER.error(
                            "TLS reports: sending report {} failed; trying again in {}", report.reportId(), tick, e);
                    giveBack(report);
                    inFlight.remove(report.fileName(), sending);
                    sending.completeExceptionally(e);
                }
            });
        } catch (RejectedExecutionException e) {
            // Stopping: the report stays in the queue for the next start.
            giveBack(report);
            inFlight.remove(report.fileName(), sending);
            sending.completeExceptionally(e);
        }
        return sending;
    }

    // The claim on report ends with its state as it was; if even that fails, the claim's lease does.
    private void giveBack(PendingReport report) {
        try {
            queue.update(report);
        } catch (IOException | RuntimeException e) {
            LOGGER.warn("TLS reports: report {} could not be given back; another attempt after its lease", report);
        }
    }

    // A period is closed a tick after its end, and the time other nodes take to bring their counts in,
    // so that a session counted at its last instant is in; by one node only (the queue's lease).
    private void closeEndedPeriods(Instant now) throws IOException {
        for (ReportPeriod period : counts.periods()) {
            if (period.end().plus(tick).plus(counts.settleTime()).isAfter(now)) {
                continue;
            }
            if (!queue.claimClosing(period, now, lease)) {
                continue;
            }
            int reports = 0;
            for (String domain : counts.domains(period)) {
                PendingReport report = build(domain, period, counts.of(period, domain), now);
                // Queued before the counts are forgotten: a crash in between builds the same report again,
                // under the same name and ID, which changes nothing in the queue.
                queue.add(report);
                reports++;
            }
            long uncounted = counts.uncounted(period);
            if (uncounted > 0) {
                LOGGER.warn(
                        "TLS reports: period {} held as many policies and failure details as it may;"
                                + " {} session(s) of policy domains or policy types it had not listed yet were not"
                                + " counted",
                        period,
                        uncounted);
            }
            queue.closed(period);
            counts.forget(period);
            LOGGER.info("TLS reports: period {} closed, {} report(s) to send", period, reports);
        }
    }

    private PendingReport build(
            String domain, ReportPeriod period, Map<ReportedPolicy, PolicyResults> counts, Instant now)
            throws IOException {
        String submitter = configuration.submitter();
        long begin = period.start().getEpochSecond();
        long end = period.lastSecond().getEpochSecond();
        // RFC 8460 4.4 leaves the scheme to us; one ID per period, node, domain and submitter, usable as the
        // Subject's Report-ID, which 5.3 writes as an RFC 5322 msg-id. The scope (letters and digits): the
        // node's name where each node reports alone, the cluster's where the nodes report together.
        String scope = queue.reportScope();
        String reportId = begin + "." + end + "." + scope + "." + domain + "@" + submitter;
        // RFC 8460 5.1: sender "!" policy-domain "!" begin-timestamp "!" end-timestamp "!" unique-id "." extension.
        String fileName = submitter + "!" + domain + "!" + begin + "!" + end + "!" + scope + ".json.gz";
        String json = new TlsRptReport(
                        configuration.organizationName(), configuration.contactInfo(), reportId, period, counts)
                .toJson();
        return PendingReport.of(reportId, domain, fileName, gzip(json), now);
    }

    private static byte[] gzip(String json) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (GZIPOutputStream out = new GZIPOutputStream(bytes)) {
            out.write(json.getBytes(StandardCharsets.UTF_8));
        }
        return bytes.toByteArray();
    }

    // The address sessions towards an MX leave from (sending-mta-ip); a lookup of the routing table,
    // cached, since every session needs it.
    private String sendingAddress(InetAddress destination) {
        if (destination == null) {
            return TlsRptRecorder.routeSource(null);
        }
        if (sendingAddresses.size() >= SENDING_ADDRESSES) {
            sendingAddresses.clear();
        }
        return sendingAddresses.computeIfAbsent(destination, TlsRptRecorder::routeSource);
    }

    /** Stops sending (an upload under way gets its deadline) and writes what the journal still holds. */
    @Override
    public void close() throws IOException {
        stopping = true;
        worker.shutdown();
        senders.shutdown();
        try {
            worker.awaitTermination(60, TimeUnit.SECONDS);
            // Reports waiting for a sender are left for the next start; each one being sent is at most its
            // URIs' deadlines away from done.
            if (!senders.awaitTermination(
                    uploadDeadline
                            .multipliedBy(TlsRptRecord.MAX_REPORT_URIS)
                            .plusSeconds(10)
                            .toMillis(),
                    TimeUnit.MILLISECONDS)) {
                senders.shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            dispatch.close();
        } finally {
            counts.close();
            LOGGER.info("TLS reports: stopped");
        }
    }
}
