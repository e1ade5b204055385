package dev.securedelivery.mailet;

import dev.securedelivery.delivery.Envelope;
import dev.securedelivery.policy.DomainName;
import dev.securedelivery.reports.TlsReports;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import javax.mail.MessagingException;
import javax.mail.internet.MimeMessage;
import org.apache.james.core.MailAddress;
import org.apache.mailet.Mail;

/**
 * A queued James {@link Mail} as the delivery core takes it: the envelope, the message as bytes
 * (written from the MimeMessage when a session sends it, never copied whole), what the message
 * demands ({@link MessageSecurityAttributes}), and whether its sessions count in TLS reports (a
 * report's own delivery, marked by {@code TLS-Report-Domain}, does not: RFC 8460 5.3).
 */
final class MailEnvelopes {
    private MailEnvelopes() {}

    /** The destination of a queued copy: every recipient of one copy is in one domain. */
    static DomainName destinationOf(Mail mail) {
        return DomainName.of(mail.getRecipients().iterator().next().getDomain().asString());
    }

    static Envelope of(Mail mail) throws MessagingException {
        MimeMessage message = mail.getMessage();
        List<String> recipients = new ArrayList<>();
        mail.getRecipients().forEach(recipient -> recipients.add(recipient.asString()));
        String sender =
                mail.getMaybeSender().asOptional().map(MailAddress::asString).orElse(null);
        Envelope envelope = Envelope.of(mail.getName(), destinationOf(mail), sender, recipients, out -> {
                    try {
                        message.writeTo(out);
                    } catch (MessagingException e) {
                        throw new IOException("the message cannot be written: " + e.getMessage(), e);
                    }
                })
                .withSecurity(MessageSecurityAttributes.of(mail));
        return message.getHeader(TlsReports.REPORT_DOMAIN_HEADER) == null ? envelope : envelope.unreported();
    }
}
