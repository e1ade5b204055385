package dev.securedelivery.testing;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Properties;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import javax.activation.DataHandler;
import javax.mail.BodyPart;
import javax.mail.MessagingException;
import javax.mail.Multipart;
import javax.mail.Session;
import javax.mail.internet.InternetAddress;
import javax.mail.internet.MimeBodyPart;
import javax.mail.internet.MimeMessage;
import javax.mail.internet.MimeMultipart;
import javax.mail.util.ByteArrayDataSource;

/**
 * TLS report mail as another MTA sends it to a domain's {@code rua} address (RFC 8460 5.3): a
 * {@code multipart/report; report-type="tlsrpt"} with a human-readable part and the report as
 * {@code application/tlsrpt+gzip} or {@code application/tlsrpt+json}, the {@code TLS-Report-Domain}
 * and {@code TLS-Report-Submitter} headers; and the report JSON itself.
 */
public final class TlsReportMail {
    public static final String GZIP = "application/tlsrpt+gzip";
    public static final String JSON = "application/tlsrpt+json";

    private TlsReportMail() {}

    /**
     * A one-policy report (RFC 8460 4.4) from {@code organization} for {@code domain}'s MTA-STS
     * policy on 2026-11-29, with {@code successes} successful sessions and, if {@code failures} is
     * positive, that many {@code certificate-expired} failures at {@code mx1.<domain>} and twice as many
     * {@code starttls-not-supported} at {@code mx2.<domain>}.
     */
    public static String report(String organization, String reportId, String domain, long successes, long failures) {
        String details = failures <= 0
                ? ""
                : ", \"failure-details\": ["
                        + "{\"result-type\": \"certificate-expired\", \"sending-mta-ip\": \"192.0.2.10\","
                        + " \"receiving-mx-hostname\": \"mx1." + domain + "\", \"receiving-ip\": \"198.51.100.1\","
                        + " \"failed-session-count\": " + failures + "},"
                        + "{\"result-type\": \"starttls-not-supported\", \"sending-mta-ip\": \"192.0.2.10\","
                        + " \"receiving-mx-hostname\": \"mx2." + domain + "\", \"receiving-ip\": \"198.51.100.2\","
                        + " \"failed-session-count\": " + (2 * failures) + "}]";
        return "{\"organization-name\": \"" + organization + "\","
                + " \"date-range\": {\"start-datetime\": \"2026-11-29T00:00:00Z\","
                + " \"end-datetime\": \"2026-11-29T23:59:59Z\"},"
                + " \"contact-info\": \"tlsrpt@reporter.example\","
                + " \"report-id\": \"" + reportId + "\","
                + " \"policies\": [{\"policy\": {\"policy-type\": \"sts\","
                + " \"policy-string\": [\"version: STSv1\", \"mode: enforce\", \"mx: *." + domain + "\","
                + " \"max_age: 86400\"], \"policy-domain\": \"" + domain + "\", \"mx-host\": [\"*." + domain + "\"]},"
                + " \"summary\": {\"total-successful-session-count\": " + successes + ","
                + " \"total-failure-session-count\": " + (failures <= 0 ? 0 : 3 * failures) + "}"
                + details + "}]}";
    }

    /** {@code bytes} gzipped. */
    public static byte[] gzip(byte[] bytes) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gzip = new GZIPOutputStream(out)) {
            gzip.write(bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /** RFC 8460 5.3 report mail carrying {@code body} as a part of {@code contentType}. */
    public static MimeMessage message(
            Session session, String from, String to, String domain, String contentType, byte[] body)
            throws MessagingException {
        MimeMessage message = new MimeMessage(session);
        message.setFrom(new InternetAddress(from));
        message.setRecipient(MimeMessage.RecipientType.TO, new InternetAddress(to));
        message.setSubject("Report Domain: " + domain + " Submitter: " + from.substring(from.indexOf('@') + 1));
        message.setHeader("TLS-Report-Domain", domain);
        message.setHeader("TLS-Report-Submitter", from.substring(from.indexOf('@') + 1));
        MimeMultipart report = new MimeMultipart("report; report-type=\"tlsrpt\"");
        MimeBodyPart text = new MimeBodyPart();
        text.setText("This is an aggregate TLS report from " + from, StandardCharsets.UTF_8.name());
        report.addBodyPart(text);
        MimeBodyPart attachment = new MimeBodyPart();
        attachment.setDataHandler(new DataHandler(new ByteArrayDataSource(body, contentType)));
        attachment.setHeader("Content-Type", contentType);
        attachment.setFileName(
                "reporter.example!" + domain + "!1764374400!1764460799.json" + (contentType.equals(GZIP) ? ".gz" : ""));
        attachment.setHeader("Content-Transfer-Encoding", "base64");
        report.addBodyPart(attachment);
        message.setContent(report);
        message.saveChanges();
        return message;
    }

    /** As {@link #message(Session, String, String, String, String, byte[])}, in a session of its own. */
    public static MimeMessage message(String from, String to, String domain, String contentType, byte[] body)
            throws MessagingException {
        return message(Session.getInstance(new Properties()), from, to, domain, contentType, body);
    }

    /**
     * The JSON of the report a report mail (RFC 8460 5.3, as received: headers and body) carries in its
     * {@code application/tlsrpt+gzip} or {@code +json} part; null when it carries none.
     */
    public static String reportJsonIn(String mail) throws IOException {
        try {
            MimeMessage message = new MimeMessage(
                    Session.getInstance(new Properties()),
                    new ByteArrayInputStream(mail.getBytes(StandardCharsets.UTF_8)));
            Object content = message.getContent();
            if (!(content instanceof Multipart)) {
                return null;
            }
            Multipart parts = (Multipart) content;
            for (int i = 0; i < parts.getCount(); i++) {
                BodyPart part = parts.getBodyPart(i);
                String type = part.getContentType().toLowerCase(Locale.ROOT);
                if (type.startsWith(GZIP) || type.startsWith(JSON)) {
                    byte[] bytes = part.getInputStream().readAllBytes();
                    if (type.startsWith(GZIP)) {
                        try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(bytes))) {
                            bytes = in.readAllBytes();
                        }
                    }
                    return new String(bytes, StandardCharsets.UTF_8);
                }
            }
            return null;
        } catch (MessagingException e) {
            throw new IOException(e);
        }
    }
}
