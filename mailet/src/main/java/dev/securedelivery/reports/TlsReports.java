package dev.securedelivery.reports;

import dev.securedelivery.configuration.TlsReportingConfiguration;
import dev.securedelivery.delivery.TlsRptRecorder;
import dev.securedelivery.dns.DnsResolver;
import dev.securedelivery.peertext.PeerText;
import dev.securedelivery.reportingpolicy.TlsRptDiscovery;
import dev.securedelivery.tlsrpt.PolicyResults;
import dev.securedelivery.tlsrpt.ReportPeriod;
import dev.securedelivery.tlsrpt.ReportedPolicy;
import dev.securedelivery.tlsrpt.SessionJournal;
import dev.securedelivery.tlsrpt.TlsRptRecord;
import dev.securedelivery.tlsrpt.TlsRptReport;
import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
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
 * RFC 8460 reporting, end to end: sessions are recorded into a {@link SessionJournal} (by the
 * {@link #recorder()} the delivery mailet calls); when a period has ended, one report per policy
 * domain is built and kept in the {@link ReportOutbox}, and the period's journal is forgotten; each
 * report then goes to the {@code rua} URIs of the domain's {@code _smtp._tls} record as it stands
 * at sending time, {@code mailto:} through James's pipeline and {@code https:} by POST. A report
 * that some URI did not take is tried again with exponential back-off (RFC 8460 5.5: SHOULD, for up
 * to 24 hours after the first attempt), across restarts.
 *
 * <p>Periods are closed and reports built on one thread of its own; deliveries only append to the
 * journal's queue. Reports are sent by {@value #SENDERS} threads of their own, a report to one
 * thread at a time, each upload bounded by {@link ReportUpload#DEADLINE}: an endpoint that never
 * answers delays only its own report, and never the closing of a period.
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
    private static final int MAX_URI_SHOWN = 200;
    /** Reports being sent at once. */
    static final int SENDERS = 4;

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
    private final SessionJournal journal;
    private final ReportOutbox outbox;
    private final TlsRptDiscovery discovery;
    private final ReportUpload upload;
    private final MailSubmission mail;
    private final Clock clock;
    private final TlsRptRecorder recorder;
    private final String nodeName;
    private final Duration tick;
    private final Duration uploadDeadline;
    private final Map<String, PendingReport> pending = new ConcurrentHashMap<>();
    // Reports being sent, by file name: one attempt at a time for each.
    private final Map<String, CompletableFuture<Sending>> inFlight = new ConcurrentHashMap<>();
    private final Map<InetAddress, String> sendingAddresses = new ConcurrentHashMap<>();
    private final ScheduledExecutorService worker;
    private final ExecutorService senders;
    private volatile boolean stopping;

    private TlsReports(
            TlsReportingConfiguration configuration,
            SessionJournal journal,
            ReportOutbox outbox,
            DnsResolver dns,
            X509TrustManager pkix,
            MailSubmission mail,
            Clock clock,
            Duration uploadDeadline,
            String nodeName) {
        this.configuration = configuration;
        this.nodeName = nodeName;
        this.journal = journal;
        this.outbox = outbox;
        this.discovery = new TlsRptDiscovery(dns);
        this.uploadDeadline = uploadDeadline;
        this.upload = new ReportUpload(dns, pkix, configuration.uploadAllowedNetworks(), uploadDeadline);
        this.mail = mail;
        this.clock = clock;
        this.recorder = new TlsRptRecorder(journal, pkix, clock, this::sendingAddress);
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
     * Opens the journal and the outbox under {@code configuration.directory()} (replaying both) and
     * starts sending: reports of periods that ended while James was down go out at once.
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
        ReportOutbox outbox = new ReportOutbox(configuration.directory().resolve("outbox"));
        String node = configuration.nodeName().orElseGet(() -> NodeName.ofThisHost(configuration.directory()));
        TlsReports reports =
                new TlsReports(configuration, journal, outbox, dns, pkix, mail, clock, uploadDeadline, node);
        for (PendingReport report : outbox.load()) {
            reports.pending.put(report.fileName(), report);
        }
        reports.worker.scheduleWithFixedDelay(reports::tick, 0, reports.tick.toMillis(), TimeUnit.MILLISECONDS);
        LOGGER.info(
                "TLS reports: on, every {} as {} <{}>, node {}; {} report(s) waiting to be sent; journal and"
                        + " outbox in {}",
                configuration.period(),
                configuration.organizationName(),
                configuration.sender(),
                node,
                reports.pending.size(),
                configuration.directory());
        return reports;
    }

    SessionJournal journal() {
        return journal;
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

    /** The policy domains with sessions in the current period, each with its counts so far. */
    public Map<String, Map<ReportedPolicy, PolicyResults>> currentCounts() {
        ReportPeriod period = currentPeriod();
        Map<String, Map<ReportedPolicy, PolicyResults>> counts = new TreeMap<>();
        for (String domain : journal.counts().domains(period)) {
            counts.put(domain, journal.counts().of(period, domain));
        }
        return counts;
    }

    /** Reports built and not yet sent to every URI. */
    public List<PendingReport> pending() {
        List<PendingReport> reports = new ArrayList<>(pending.values());
        reports.sort((a, b) -> a.fileName().compareTo(b.fileName()));
        return reports;
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
                        Map<ReportedPolicy, PolicyResults> counts =
                                journal.counts().of(period, policyDomain);
                        if (counts.isEmpty()) {
                            return Optional.<PendingReport>empty();
                        }
                        PendingReport report = build(policyDomain, period.upTo(now), counts, now);
                        outbox.add(report);
                        pending.put(report.fileName(), report);
                        return Optional.of(report);
                    })
                    .get(60, TimeUnit.SECONDS);
            if (built.isEmpty()) {
                return Optional.empty();
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
        List<CompletableFuture<Sending>> sending = worker.submit(this::tick).get();
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
            for (PendingReport report : pending()) {
                if (!report.nextAttempt().isAfter(now)) {
                    sending.add(send(report));
                }
            }
        } catch (IOException | RuntimeException e) {
            // The next tick tries again: nothing is forgotten before its reports are on disk.
            LOGGER.error("TLS reports: building or sending failed; trying again in {}", tick, e);
        }
        return sending;
    }

    // One attempt at sending report, on a sender thread; the one under way if there is one.
    private CompletableFuture<Sending> send(PendingReport report) {
        CompletableFuture<Sending> sending = new CompletableFuture<>();
        CompletableFuture<Sending> underWay = inFlight.putIfAbsent(report.fileName(), sending);
        if (underWay != null) {
            return underWay;
        }
        try {
            senders.execute(() -> {
                if (stopping) {
                    // Not begun: the report stays in the outbox for the next start.
                    inFlight.remove(report.fileName(), sending);
                    sending.completeExceptionally(new IOException("stopping"));
                    return;
                }
                try {
                    Sending sent = attempt(report, clock.instant());
                    inFlight.remove(report.fileName(), sending);
                    sending.complete(sent);
                } catch (IOException | RuntimeException e) {
                    LOGGER.error(
                            "TLS reports: sending report {} failed; trying again in {}", report.reportId(), tick, e);
                    inFlight.remove(report.fileName(), sending);
                    sending.completeExceptionally(e);
                }
            });
        } catch (RejectedExecutionException e) {
            // Stopping: the report stays in the outbox for the next start.
            inFlight.remove(report.fileName(), sending);
            sending.completeExceptionally(e);
        }
        return sending;
    }

    // A period is closed a tick after its end, so that a session counted at its last instant is in.
    private void closeEndedPeriods(Instant now) throws IOException {
        for (ReportPeriod period : journal.counts().periods()) {
            if (period.end().plus(tick).isAfter(now)) {
                continue;
            }
            int reports = 0;
            for (String domain : journal.counts().domains(period)) {
                PendingReport report = build(domain, period, journal.counts().of(period, domain), now);
                // Saved before the journal is forgotten: a crash in between builds the same report again,
                // under the same name and ID, so it replaces the saved one.
                outbox.add(report);
                pending.put(report.fileName(), report);
                reports++;
            }
            long uncounted = journal.counts().uncounted(period);
            if (uncounted > 0) {
                LOGGER.warn(
                        "TLS reports: period {} held as many policies and failure details as it may;"
                                + " {} session(s) since James started, of policy domains or policy types it had"
                                + " not listed yet, were not counted",
                        period,
                        uncounted);
            }
            journal.forget(period);
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
        // Subject's Report-ID, which 5.3 writes as an RFC 5322 msg-id. The node (letters and digits) keeps
        // the reports of several nodes of one organization apart.
        String reportId = begin + "." + end + "." + nodeName + "." + domain + "@" + submitter;
        // RFC 8460 5.1: sender "!" policy-domain "!" begin-timestamp "!" end-timestamp "!" unique-id "." extension.
        String fileName = submitter + "!" + domain + "!" + begin + "!" + end + "!" + nodeName + ".json.gz";
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

    private Sending attempt(PendingReport report, Instant now) throws IOException {
        if (report.targets().isEmpty()) {
            TlsRptDiscovery.Result found = discovery.discoverNow(report.policyDomain());
            switch (found.kind()) {
                case FOUND:
                    TlsRptRecord record = found.record().orElseThrow();
                    if (record.droppedReportUris() > 0) {
                        LOGGER.warn(
                                "TLS reports: _smtp._tls.{} names {} more report URI(s) than the {} distinct ones"
                                        + " reports go to (our limit; RFC 8460 3 sets none): report {} does not go to them",
                                report.policyDomain(),
                                record.droppedReportUris(),
                                TlsRptRecord.MAX_REPORT_URIS,
                                report.reportId());
                    }
                    report = report.withTargets(record.reportUris());
                    break;
                case FAILED:
                    retry(report, now, found.reason());
                    return new Sending(
                            report.reportId(),
                            List.of(),
                            Map.of("_smtp._tls." + report.policyDomain(), found.reason()),
                            null);
                default:
                    // RFC 8460 3: no record, or an invalid one: the domain gets no report.
                    LOGGER.info(
                            "TLS reports: no report {} to {}: {}",
                            report.reportId(),
                            report.policyDomain(),
                            found.reason());
                    forget(report);
                    return new Sending(report.reportId(), List.of(), Map.of(), found.reason());
            }
        }
        List<URI> remaining = new ArrayList<>();
        List<String> sent = new ArrayList<>();
        Map<String, String> failed = new LinkedHashMap<>();
        for (URI target : report.targets().orElseThrow()) {
            // The URI is the domain's choice: shown on one line, capped.
            String shown = PeerText.clean(target.toString(), MAX_URI_SHOWN);
            try {
                deliver(target, report, now);
                sent.add(target.toString());
                LOGGER.info("TLS reports: report {} sent to {}", report.reportId(), shown);
            } catch (IOException | MessagingException | RuntimeException e) {
                remaining.add(target);
                String why = PeerText.clean(reason(e));
                failed.put(target.toString(), why);
                LOGGER.warn("TLS reports: report {} not sent to {}: {}", report.reportId(), shown, why);
            }
        }
        if (remaining.isEmpty()) {
            forget(report);
        } else {
            retry(report.withTargets(remaining), now, failed.toString());
        }
        return new Sending(report.reportId(), sent, failed, null);
    }

    // What went wrong, with what caused it where that says more (an upload's deadline, a refused address).
    private static String reason(Exception failure) {
        String reason = failure instanceof UploadAddressFilter.RefusedAddressException
                ? "refused: " + failure.getMessage()
                : failure.getClass().getSimpleName() + ": " + failure.getMessage();
        Throwable cause = failure.getCause();
        if (cause != null && cause.getMessage() != null && !reason.contains(cause.getMessage())) {
            reason += " (" + cause.getClass().getSimpleName() + ": " + cause.getMessage() + ")";
        }
        return reason;
    }

    private void deliver(URI target, PendingReport report, Instant now) throws IOException, MessagingException {
        String scheme = target.getScheme().toLowerCase(Locale.ROOT);
        if (scheme.equals("https")) {
            upload.post(target, report);
            return;
        }
        // mailto:addr (RFC 6068); what follows "?" (headers such as subject) is not ours to honour.
        String address = target.getSchemeSpecificPart();
        int query = address.indexOf('?');
        String recipient = query < 0 ? address : address.substring(0, query);
        MimeMessage message =
                ReportMessage.build(report, configuration.sender(), configuration.submitter(), recipient, now);
        mail.send(configuration.sender(), recipient, message);
    }

    private void retry(PendingReport report, Instant now, String why) throws IOException {
        Duration backOff = FIRST_RETRY.multipliedBy(1L << Math.min(report.attempts(), 16));
        if (backOff.compareTo(LONGEST_RETRY) > 0) {
            backOff = LONGEST_RETRY;
        }
        Instant next = now.plus(backOff);
        if (next.isAfter(report.created().plus(RETRY_WINDOW))) {
            LOGGER.warn(
                    "TLS reports: giving up on report {} for {} after {} attempt(s) over {} (RFC 8460 5.5): {}",
                    report.reportId(),
                    report.policyDomain(),
                    report.attempts() + 1,
                    RETRY_WINDOW,
                    why);
            forget(report);
            return;
        }
        PendingReport later = report.retriedAt(next);
        outbox.update(later);
        pending.put(later.fileName(), later);
    }

    private void forget(PendingReport report) throws IOException {
        outbox.remove(report);
        pending.remove(report.fileName());
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
            upload.close();
        } finally {
            journal.close();
            LOGGER.info("TLS reports: stopped; {} report(s) waiting to be sent at the next start", pending.size());
        }
    }
}
