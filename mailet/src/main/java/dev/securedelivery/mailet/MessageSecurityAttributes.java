package dev.securedelivery.mailet;

import dev.securedelivery.requiretls.MessageSecurity;
import dev.securedelivery.requiretls.SecurityLevel;
import java.util.Optional;
import javax.mail.MessagingException;
import org.apache.mailet.Attribute;
import org.apache.mailet.AttributeName;
import org.apache.mailet.AttributeValue;
import org.apache.mailet.Mail;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where a message's own security demands travel through James: two mail attributes, copied with
 * the mail to every recipient domain (RFC 8689 4.1: every instance is tagged alike), and the
 * {@code TLS-Required} header field.
 *
 * <ul>
 *   <li>{@value #REQUIRETLS_NAME}: {@code true} for a message received with the REQUIRETLS
 *       parameter ({@link dev.securedelivery.smtpserver.RequireTlsHandler}), or tagged by an
 *       administrator's rule (James's {@code SetMailAttribute} sets the string {@code "true"}).
 *   <li>{@value #MINIMUM_LEVEL_NAME}: {@code tls}, {@code authenticated} or {@code dane}, set by
 *       {@link RequireTransportSecurity}.
 * </ul>
 */
public final class MessageSecurityAttributes {
    static final String REQUIRETLS_NAME = "dev.securedelivery.requiretls";
    static final String MINIMUM_LEVEL_NAME = "dev.securedelivery.minimum-security";
    /** The message is tagged REQUIRETLS (RFC 8689 4.1). */
    public static final AttributeName REQUIRETLS = AttributeName.of(REQUIRETLS_NAME);
    /** The minimum {@link SecurityLevel} an administrator's rule set, by keyword. */
    public static final AttributeName MINIMUM_LEVEL = AttributeName.of(MINIMUM_LEVEL_NAME);

    private static final Logger LOGGER = LoggerFactory.getLogger(MessageSecurityAttributes.class);

    private MessageSecurityAttributes() {}

    /**
     * What {@code mail} demands of the connections that carry it. A message tagged REQUIRETLS is held
     * to it whatever its return path, the null reverse-path ({@code <>}) included: it was received
     * with the parameter (RFC 8689 4.1) or tagged by the administrator, and is relayed as tagged. The
     * bounce this extension writes about a REQUIRETLS message is not tagged: {@code remove} takes the
     * tags off it (RFC 8689 5).
     */
    static MessageSecurity of(Mail mail) {
        boolean requireTls = isTaggedRequireTls(mail);
        boolean tlsOptional;
        try {
            tlsOptional = MessageSecurity.saysTlsNotRequired(
                    mail.getMessage().getHeader(MessageSecurity.TLS_REQUIRED_HEADER));
        } catch (MessagingException e) {
            // A header that cannot be read relaxes nothing.
            tlsOptional = false;
        }
        return MessageSecurity.of(level(mail), requireTls, tlsOptional);
    }

    /** Whether {@code mail} is tagged REQUIRETLS (whatever its return path, the null one included). */
    static boolean isTaggedRequireTls(Mail mail) {
        return mail.getAttribute(REQUIRETLS)
                .map(Attribute::getValue)
                .map(AttributeValue::value)
                .map(value -> Boolean.TRUE.equals(value)
                        || "true".equalsIgnoreCase(String.valueOf(value).trim()))
                .orElse(false);
    }

    /** Tags {@code mail} REQUIRETLS. */
    public static void tagRequireTls(Mail mail) {
        mail.setAttribute(new Attribute(REQUIRETLS, AttributeValue.of(true)));
    }

    /** Raises the minimum level of {@code mail} to {@code level}; a stricter one already set stays. */
    static SecurityLevel raiseLevel(Mail mail, SecurityLevel level) {
        SecurityLevel raised = level.atLeast(level(mail).orElse(null));
        mail.setAttribute(new Attribute(MINIMUM_LEVEL, AttributeValue.of(raised.keyword())));
        return raised;
    }

    /** Takes both tags off {@code mail}: its bounce must not carry them (RFC 8689 5). */
    static void remove(Mail mail) {
        mail.removeAttribute(REQUIRETLS);
        mail.removeAttribute(MINIMUM_LEVEL);
    }

    // A value no level is named by cannot mean "no minimum": it is read as the strictest, and said so.
    private static Optional<SecurityLevel> level(Mail mail) {
        Optional<Object> value =
                mail.getAttribute(MINIMUM_LEVEL).map(Attribute::getValue).map(AttributeValue::value);
        if (value.isEmpty()) {
            return Optional.empty();
        }
        Optional<SecurityLevel> level = SecurityLevel.fromKeyword(String.valueOf(value.get()));
        if (level.isEmpty()) {
            LOGGER.warn(
                    "secure-delivery: {} has {}=\"{}\", which names no level (tls, authenticated, dane);"
                            + " holding it to {}",
                    mail.getName(),
                    MINIMUM_LEVEL_NAME,
                    value.get(),
                    SecurityLevel.DANE);
            return Optional.of(SecurityLevel.DANE);
        }
        return level;
    }
}
