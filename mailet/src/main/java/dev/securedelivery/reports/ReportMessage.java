package dev.securedelivery.reports;

import dev.securedelivery.requiretls.MessageSecurity;
import dev.securedelivery.tlsrpt.PendingReport;
import java.time.Instant;
import java.util.Date;
import java.util.Properties;
import javax.activation.DataHandler;
import javax.mail.MessagingException;
import javax.mail.Session;
import javax.mail.internet.InternetAddress;
import javax.mail.internet.MimeBodyPart;
import javax.mail.internet.MimeMessage;
import javax.mail.internet.MimeMultipart;
import javax.mail.util.ByteArrayDataSource;

/**
 * A report as mail, RFC 8460 5.3: {@code multipart/report; report-type="tlsrpt"} with a short text
 * part and the report as an {@code application/tlsrpt+gzip} attachment named as 5.1 says, the
 * {@code TLS-Report-Domain} and {@code TLS-Report-Submitter} headers, and the Subject of 5.3's
 * grammar. Signing it is DKIMSign's work in James's pipeline (RFC 8460 3: reports by mail MUST
 * carry a DKIM signature of the reporting domain).
 */
final class ReportMessage {
    static final String REPORT_SUBMITTER = "TLS-Report-Submitter";
    static final String MEDIA_TYPE = "application/tlsrpt+gzip";

    private ReportMessage() {}

    static MimeMessage build(PendingReport report, String sender, String submitter, String recipient, Instant now)
            throws MessagingException {
        String messageId = "<" + report.reportId() + ">";
        MimeMessage message = new MimeMessage(Session.getInstance(new Properties())) {
            // The report's ID, not a generated one: it lets the receiver spot duplicates.
            @Override
            protected void updateMessageID() throws MessagingException {
                setHeader("Message-ID", messageId);
            }
        };
        message.setFrom(new InternetAddress(sender));
        message.setRecipient(MimeMessage.RecipientType.TO, new InternetAddress(recipient));
        message.setSentDate(Date.from(now));
        // RFC 8460 5.3: Report Domain: <policy domain> Submitter: <sender domain> Report-ID: <id>.
        message.setSubject(
                "Report Domain: " + report.policyDomain() + " Submitter: " + submitter + " Report-ID: <"
                        + report.reportId() + ">",
                "us-ascii");
        message.setHeader(TlsReports.REPORT_DOMAIN_HEADER, report.policyDomain());
        message.setHeader(REPORT_SUBMITTER, submitter);
        // RFC 3834 5: an automatic message; vacation responders must not answer it.
        message.setHeader("Auto-Submitted", "auto-generated");
        // RFC 8689 4.1: a report about a broken TLS set-up must still be able to reach the domain.
        message.setHeader(MessageSecurity.TLS_REQUIRED_HEADER, "No");

        MimeBodyPart text = new MimeBodyPart();
        text.setText(
                "This is an aggregate TLS report (RFC 8460) from " + submitter + " about mail sent to "
                        + report.policyDomain() + ".\r\n",
                "us-ascii");
        MimeBodyPart attachment = new MimeBodyPart();
        attachment.setDataHandler(new DataHandler(new ByteArrayDataSource(report.gzip(), MEDIA_TYPE)));
        attachment.setFileName(report.fileName());
        attachment.setDisposition(MimeBodyPart.ATTACHMENT);
        attachment.setHeader("Content-Transfer-Encoding", "base64");
        MimeMultipart multipart = new MimeMultipart("report; report-type=\"tlsrpt\"");
        multipart.addBodyPart(text);
        multipart.addBodyPart(attachment);
        message.setContent(multipart);
        message.saveChanges();
        return message;
    }
}
