package dev.securedelivery.inbound;

import dev.securedelivery.peertext.PeerText;
import dev.securedelivery.tlsrpt.InboundReportStore;
import dev.securedelivery.tlsrpt.MalformedReportException;
import dev.securedelivery.tlsrpt.ReceivedReport;
import dev.securedelivery.tlsrpt.ReceivedReportParser;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import javax.inject.Inject;
import javax.mail.BodyPart;
import javax.mail.MessagingException;
import javax.mail.Multipart;
import javax.mail.Part;
import org.apache.james.core.MailAddress;
import org.apache.mailet.Mail;
import org.apache.mailet.base.GenericMailet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Takes the TLS reports other MTAs send to our domains' {@code rua} address (RFC 8460 3, 5.3),
 * checks and keeps them in {@link InboundReportStore}. Use it with a matcher that picks report mail: the
 * report address ({@code RecipientIs=tlsrpt@example.com}) or the header RFC 8460 5.3 requires
 * ({@code HasHeader=TLS-Report-Domain}).
 *
 * <p>A report is the one MIME part of type {@code application/tlsrpt+gzip} or {@code
 * application/tlsrpt+json} (RFC 8460 5.3), found at the top or in a multipart of the message (RFC
 * 8460 5.3 puts it in a {@code multipart/report; report-type="tlsrpt"}; senders that use another
 * multipart are read too, as the media type alone says what the part is). {@code application/gzip}
 * or {@code application/json} parts are not taken for reports: any mail may carry those.
 *
 * <p>Parameters: {@code keep} ({@code false}): when {@code true} a kept report's message goes on
 * through the processor (to the mailbox), else it is ghosted. {@code malformedProcessor} (none): the
 * processor a message goes to when it holds no report or a malformed one (for instance a processor
 * that stores it in a repository); without it such a message goes on as any other mail, so nothing is
 * lost. Either way one WARN line says what was wrong. A message whose report could not be written to
 * disk goes on, with an ERROR line.
 */
public final class InboundTlsReports extends GenericMailet {
    private static final Logger LOGGER = LoggerFactory.getLogger(InboundTlsReports.class);
    static final String GZIP = "application/tlsrpt+gzip";
    static final String JSON = "application/tlsrpt+json";
    /** Nested multiparts looked into: a report is at the top or one level down; three is generous. */
    private static final int MAX_DEPTH = 3;
    /** MIME parts looked at in one message. */
    private static final int MAX_PARTS = 100;

    private final InboundReportStore reports;
    private boolean keep;
    private Optional<String> malformedProcessor = Optional.empty();

    @Inject
    public InboundTlsReports(InboundReportStore reports) {
        this.reports = reports;
    }

    @Override
    public void init() throws MessagingException {
        String keepValue = getInitParameter("keep");
        if (keepValue == null || keepValue.isBlank() || keepValue.trim().equalsIgnoreCase("false")) {
            keep = false;
        } else if (keepValue.trim().equalsIgnoreCase("true")) {
            keep = true;
        } else {
            // A typo would otherwise decide silently where reports go.
            throw new MessagingException(
                    "InboundTlsReports: keep must be true or false, got \"" + PeerText.clean(keepValue, 64) + "\"");
        }
        String processor = getInitParameter("malformedProcessor");
        malformedProcessor =
                processor == null || processor.isBlank() ? Optional.empty() : Optional.of(processor.trim());
    }

    @Override
    public String getMailetInfo() {
        return "InboundTlsReports: keeps the RFC 8460 TLS reports sent to this server's domains";
    }

    @Override
    public void service(Mail mail) {
        ReceivedReport report;
        try {
            report = read(mail);
        } catch (MalformedReportException e) {
            malformed(mail, e.getMessage());
            return;
        }
        InboundReportStore.Outcome outcome;
        try {
            outcome = reports.store(report);
        } catch (IOException e) {
            LOGGER.error(
                    "secure-delivery: the inbound TLS report in {} from {} could not be kept ({}); the message goes"
                            + " on",
                    mail.getName(),
                    sender(mail),
                    PeerText.clean(String.valueOf(e.getMessage())));
            return;
        }
        if (outcome == InboundReportStore.Outcome.TOO_LARGE) {
            LOGGER.warn(
                    "secure-delivery: inbound TLS report not kept, larger alone than inbound-reports.max-mib: {},"
                            + " from {} in {}; the message goes on",
                    InboundReportStore.describe(report),
                    sender(mail),
                    mail.getName());
            return;
        }
        LOGGER.info(
                "secure-delivery: inbound TLS report {}: {}, from {} in {}",
                outcome == InboundReportStore.Outcome.STORED ? "kept" : "already kept, not counted again",
                InboundReportStore.describe(report),
                sender(mail),
                mail.getName());
        if (!keep) {
            mail.setState(Mail.GHOST);
        }
    }

    private void malformed(Mail mail, String problem) {
        LOGGER.warn(
                "secure-delivery: malformed inbound TLS report in {} from {}: {}; {}",
                mail.getName(),
                sender(mail),
                problem,
                malformedProcessor
                        .map(processor -> "sent to processor " + processor)
                        .orElse("the message goes on"));
        malformedProcessor.ifPresent(mail::setState);
    }

    private static String sender(Mail mail) {
        return PeerText.clean(
                mail.getMaybeSender().asOptional().map(MailAddress::asString).orElse("<>"), 256);
    }

    /** The one report {@code mail} carries. */
    static ReceivedReport read(Mail mail) throws MalformedReportException {
        try {
            List<Part> found = new ArrayList<>();
            int[] seen = {0};
            collect(mail.getMessage(), 0, found, seen);
            if (found.isEmpty()) {
                throw new MalformedReportException("no " + GZIP + " or " + JSON + " part (RFC 8460 5.3)");
            }
            if (found.size() > 1) {
                throw new MalformedReportException(found.size() + " report parts; RFC 8460 5.3 sends one a message");
            }
            Part part = found.get(0);
            try (InputStream in = part.getInputStream()) {
                if (part.isMimeType(GZIP)) {
                    return ReceivedReportParser.parseGzip(ReceivedReportParser.readAtMost(
                            in, ReceivedReportParser.MAX_COMPRESSED_BYTES, "the " + GZIP + " part"));
                }
                return ReceivedReportParser.parseJson(ReceivedReportParser.readAtMost(
                        in, ReceivedReportParser.MAX_JSON_BYTES, "the " + JSON + " part"));
            }
        } catch (MessagingException | IOException e) {
            // The MIME structure or a transfer encoding is broken: the peer's, so reported, not thrown.
            throw new MalformedReportException("the message cannot be read as MIME: " + e.getMessage());
        } catch (RuntimeException e) {
            // javax.mail's parsers throw unchecked exceptions on some broken MIME (a bad boundary, a
            // header it cannot split): still the peer's message, not a fault of this server.
            throw new MalformedReportException("the message cannot be read as MIME: "
                    + e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage()));
        }
    }

    private static void collect(Part part, int depth, List<Part> found, int[] seen)
            throws MessagingException, IOException, MalformedReportException {
        if (++seen[0] > MAX_PARTS) {
            throw new MalformedReportException("more than " + MAX_PARTS + " MIME parts");
        }
        if (part.isMimeType(GZIP) || part.isMimeType(JSON)) {
            found.add(part);
            return;
        }
        if (!part.isMimeType("multipart/*") || depth >= MAX_DEPTH) {
            return;
        }
        Object content = part.getContent();
        if (!(content instanceof Multipart)) {
            return;
        }
        Multipart multipart = (Multipart) content;
        for (int i = 0; i < multipart.getCount(); i++) {
            BodyPart child = multipart.getBodyPart(i);
            collect(child, depth + 1, found, seen);
        }
    }
}
