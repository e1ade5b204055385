package dev.securedelivery.reports;

import dev.securedelivery.configuration.TlsReportingConfiguration;
import dev.securedelivery.peertext.PeerText;
import dev.securedelivery.reportingpolicy.TlsRptDiscovery;
import dev.securedelivery.tlsrpt.PendingReport;
import dev.securedelivery.tlsrpt.ReportQueue;
import dev.securedelivery.tlsrpt.TlsRptRecord;
import java.io.Closeable;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import javax.mail.MessagingException;
import javax.mail.internet.MimeMessage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sending one built report (RFC 8460 5): its URIs found at sending time in the policy domain's
 * {@code _smtp._tls} record, {@code mailto:} through James's pipeline and {@code https:} by POST;
 * the URIs that did not take it tried again with exponential back-off, for up to 24 hours after the
 * report was built (RFC 8460 5.5), then given up.
 */
final class ReportDispatch implements Closeable {
    private static final Logger LOGGER = LoggerFactory.getLogger(TlsReports.class);
    private static final int MAX_URI_SHOWN = 200;

    private final TlsReportingConfiguration configuration;
    private final ReportQueue queue;
    private final TlsRptDiscovery discovery;
    private final ReportUpload upload;
    private final TlsReports.MailSubmission mail;

    ReportDispatch(
            TlsReportingConfiguration configuration,
            ReportQueue queue,
            TlsRptDiscovery discovery,
            ReportUpload upload,
            TlsReports.MailSubmission mail) {
        this.configuration = configuration;
        this.queue = queue;
        this.discovery = discovery;
        this.upload = upload;
        this.mail = mail;
    }

    /**
     * One attempt at sending {@code report}, claimed from the queue: to the URIs still to take it, or
     * to those the domain's record names now; the queue then holds what is left, or forgets it.
     */
    TlsReports.Sending attempt(PendingReport report, Instant now) throws IOException {
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
                    return new TlsReports.Sending(
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
                    return new TlsReports.Sending(report.reportId(), List.of(), Map.of(), found.reason());
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
        return new TlsReports.Sending(report.reportId(), sent, failed, null);
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
        Duration backOff = TlsReports.FIRST_RETRY.multipliedBy(1L << Math.min(report.attempts(), 16));
        if (backOff.compareTo(TlsReports.LONGEST_RETRY) > 0) {
            backOff = TlsReports.LONGEST_RETRY;
        }
        Instant next = now.plus(backOff);
        if (next.isAfter(report.created().plus(TlsReports.RETRY_WINDOW))) {
            LOGGER.warn(
                    "TLS reports: giving up on report {} for {} after {} attempt(s) over {} (RFC 8460 5.5): {}",
                    report.reportId(),
                    report.policyDomain(),
                    report.attempts() + 1,
                    TlsReports.RETRY_WINDOW,
                    why);
            forget(report);
            return;
        }
        queue.update(report.retriedAt(next));
    }

    private void forget(PendingReport report) throws IOException {
        queue.remove(report);
    }

    @Override
    public void close() throws IOException {
        upload.close();
    }
}
