package dev.securedelivery.mailet;

import dev.securedelivery.requiretls.SecurityLevel;
import javax.mail.MessagingException;
import org.apache.mailet.Mail;
import org.apache.mailet.base.GenericMailet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sets a minimum transport security on every message its matcher selects, for
 * {@link SecureRemoteDelivery} to enforce on top of the destination's own policy:
 *
 * <pre>{@code
 * <mailet match="SenderIsRegex=.*@finance\.example\.com" class="dev.securedelivery.mailet.RequireTransportSecurity">
 *   <level>authenticated</level>
 * </mailet>
 * }</pre>
 *
 * {@code level} is {@code tls} (STARTTLS, any certificate), {@code authenticated} (DANE, or a
 * PKIX-valid certificate for the MX host name) or {@code dane}. Where several rules match, the
 * strictest level holds. A message that no MX host of its destination can carry at its level waits
 * like any deferred message and is then bounced, the DSN naming the level and what the destination
 * offered. The mail goes on through the processor unchanged otherwise.
 */
public final class RequireTransportSecurity extends GenericMailet {
    private static final Logger LOGGER = LoggerFactory.getLogger(RequireTransportSecurity.class);

    private SecurityLevel level;

    @Override
    public void init() throws MessagingException {
        String value = getInitParameter("level");
        if (value == null || value.isBlank()) {
            throw new MessagingException(
                    "RequireTransportSecurity: the level parameter is required: tls," + " authenticated or dane");
        }
        level = SecurityLevel.fromKeyword(value)
                .orElseThrow(() -> new MessagingException(
                        "RequireTransportSecurity: level must be tls, authenticated or dane, got \"" + value + "\""));
        LOGGER.info("RequireTransportSecurity: the mail matched here must leave with at least level {}", level);
    }

    @Override
    public void service(Mail mail) {
        SecurityLevel raised = MessageSecurityAttributes.raiseLevel(mail, level);
        LOGGER.debug("RequireTransportSecurity: {} must leave with at least level {}", mail.getName(), raised);
    }

    @Override
    public String getMailetInfo() {
        return "RequireTransportSecurity: a minimum transport security level for the mail matched";
    }
}
