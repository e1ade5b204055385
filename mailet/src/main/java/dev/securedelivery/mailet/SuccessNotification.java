package dev.securedelivery.mailet;

import dev.securedelivery.smtp.DeliveryAttempt;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Date;
import java.util.Enumeration;
import java.util.List;
import java.util.Properties;
import javax.activation.DataHandler;
import javax.mail.MessagingException;
import javax.mail.Session;
import javax.mail.internet.MimeBodyPart;
import javax.mail.internet.MimeMessage;
import javax.mail.internet.MimeMultipart;
import javax.mail.util.ByteArrayDataSource;
import org.apache.james.core.MailAddress;
import org.apache.mailet.DsnParameters;
import org.apache.mailet.Mail;

/**
 * The positive delivery status notification a sender asks for with {@code NOTIFY=SUCCESS} (RFC
 * 3461 4.1), carrying the delivery trace: which MX took the message, over which TLS version and
 * cipher, and how the server was authenticated.
 *
 * <p>A {@code multipart/report} (RFC 6522) with a text part, a {@code message/delivery-status}
 * part (RFC 3464) and the original header ({@code text/rfc822-headers}: RET, which asks for the
 * whole message, concerns failure notices only, RFC 3461 4.3). The action is {@code relayed} (RFC 3464 2.3.3): the MX host
 * has the message, and no NOTIFY went on to it, so no further notice will come. The trace is the
 * per-recipient extension field {@value #TRACE_FIELD} (RFC 3464 2.4).
 */
final class SuccessNotification {
    static final String TRACE_FIELD = "X-Secure-Delivery-Trace";

    private SuccessNotification() {}

    /** The recipients of {@code mail}, among {@code delivered}, that asked for a notice of success. */
    static List<MailAddress> requestedBy(Mail mail, Collection<MailAddress> delivered) {
        List<MailAddress> requested = new ArrayList<>();
        DsnParameters parameters = mail.dsnParameters().orElse(null);
        if (parameters == null || !mail.hasSender()) {
            return requested;
        }
        for (MailAddress recipient : delivered) {
            DsnParameters.RecipientDsnParameters ofRecipient =
                    parameters.getRcptParameters().get(recipient);
            if (ofRecipient != null
                    && ofRecipient
                            .getNotifyParameter()
                            .map(notify -> notify.contains(DsnParameters.Notify.SUCCESS))
                            .orElse(false)) {
                requested.add(recipient);
            }
        }
        return requested;
    }

    /**
     * @param reportingMta this server's name (the HELO name)
     * @param attempt the attempt that delivered {@code original}
     */
    static MimeMessage build(
            MimeMessage original,
            MailAddress sender,
            List<MailAddress> recipients,
            DeliveryAttempt attempt,
            String reportingMta,
            Instant now)
            throws MessagingException {
        MimeMessage message = new MimeMessage(Session.getInstance(new Properties()));
        message.setFrom("MAILER-DAEMON@" + reportingMta);
        message.setRecipients(MimeMessage.RecipientType.TO, sender.asString());
        message.setSentDate(Date.from(now));
        message.setSubject("Delivery Status Notification: relayed", "us-ascii");
        // RFC 3834 5: an automatic message.
        message.setHeader("Auto-Submitted", "auto-replied");

        StringBuilder text = new StringBuilder("Your message was handed to the mail server of ");
        text.append(recipients.size() == 1 ? "its recipient" : "these recipients")
                .append(":\r\n\r\n");
        recipients.forEach(
                recipient -> text.append("  ").append(recipient.asString()).append("\r\n"));
        text.append("\r\nvia ")
                .append(attempt.host())
                .append(" (")
                .append(attempt.address().getHostAddress())
                .append("), ")
                .append(attempt.tlsProtocol()
                        .map(version ->
                                version + " with " + attempt.cipherSuite().orElse("an unknown cipher"))
                        .orElse("without TLS"))
                .append(", the server authenticated by: ")
                .append(attempt.authentication())
                .append(".\r\n")
                .append("That server now has the message; this does not say it has reached the mailbox.\r\n");
        MimeBodyPart readable = new MimeBodyPart();
        readable.setText(text.toString(), "us-ascii");

        StringBuilder status =
                new StringBuilder("Reporting-MTA: dns; ").append(reportingMta).append("\r\n");
        for (MailAddress recipient : recipients) {
            status.append("\r\nFinal-Recipient: rfc822; ")
                    .append(recipient.asString())
                    .append("\r\n")
                    .append("Action: relayed\r\n")
                    .append("Status: 2.0.0\r\n")
                    .append("Remote-MTA: dns; ")
                    .append(attempt.host())
                    .append("\r\n");
            String reply = attempt.detail().replaceAll("\\s+", " ").trim();
            if (!reply.isEmpty()) {
                status.append("Diagnostic-Code: smtp; ").append(reply).append("\r\n");
            }
            status.append(TRACE_FIELD).append(": ").append(attempt.trace()).append("\r\n");
        }
        MimeBodyPart deliveryStatus = part(status.toString(), "message/delivery-status");

        StringBuilder headers = new StringBuilder();
        Enumeration<String> lines = original.getAllHeaderLines();
        while (lines.hasMoreElements()) {
            headers.append(lines.nextElement()).append("\r\n");
        }
        MimeBodyPart returned = part(headers.toString(), "text/rfc822-headers");

        MimeMultipart report = new MimeMultipart("report; report-type=delivery-status");
        report.addBodyPart(readable);
        report.addBodyPart(deliveryStatus);
        report.addBodyPart(returned);
        message.setContent(report);
        message.saveChanges();
        return message;
    }

    private static MimeBodyPart part(String content, String type) throws MessagingException {
        MimeBodyPart part = new MimeBodyPart();
        part.setDataHandler(new DataHandler(new ByteArrayDataSource(content.getBytes(StandardCharsets.UTF_8), type)));
        return part;
    }
}
