package dev.securedelivery.smtpserver;

import dev.securedelivery.mailet.MessageSecurityAttributes;
import dev.securedelivery.requiretls.MessageSecurity;
import java.util.Set;
import org.apache.james.protocols.api.ProtocolSession;
import org.apache.james.protocols.smtp.SMTPSession;
import org.apache.james.protocols.smtp.hook.HeloHook;
import org.apache.james.protocols.smtp.hook.HookResult;
import org.apache.james.protocols.smtp.hook.HookReturnCode;
import org.apache.james.protocols.smtp.hook.MailParametersHook;
import org.apache.james.smtpserver.JamesMessageHook;
import org.apache.mailet.Mail;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * REQUIRETLS for James 3.8.1's SMTP server, in one handler:
 *
 * <pre>{@code
 * <handlerchain>
 *   <handler class="dev.securedelivery.smtpserver.RequireTlsHandler"/>
 *   <handler class="org.apache.james.smtpserver.CoreCmdHandlerLoader"/>
 * </handlerchain>
 * }</pre>
 *
 * <ul>
 *   <li>EHLO offers {@code REQUIRETLS} once the session uses TLS, never before (RFC 8689 2: the
 *       option may only be used in a session that employs TLS).
 *   <li>{@code MAIL FROM:<...> REQUIRETLS} is refused outside TLS ({@code 530 5.7.10}) and with a
 *       value ({@code 501 5.5.4}: the parameter has none, RFC 8689 2).
 *   <li>The mail received in that transaction is tagged REQUIRETLS (RFC 8689 4.1) through the
 *       attribute {@link MessageSecurityAttributes#REQUIRETLS}, which {@code SecureRemoteDelivery}
 *       enforces; its {@code TLS-Required} header field is then ignored.
 * </ul>
 * James matches MAIL parameters by their exact spelling; the upper-case one is recognised.
 */
public final class RequireTlsHandler implements HeloHook, MailParametersHook, JamesMessageHook {
    private static final Logger LOGGER = LoggerFactory.getLogger(RequireTlsHandler.class);
    private static final ProtocolSession.AttachmentKey<Boolean> REQUESTED =
            ProtocolSession.AttachmentKey.of("dev.securedelivery.requiretls", Boolean.class);

    @Override
    public Set<String> implementedEsmtpFeatures(SMTPSession session) {
        return session.isTLSStarted() ? Set.of(MessageSecurity.REQUIRETLS) : Set.of();
    }

    @Override
    public HookResult doHelo(SMTPSession session, String helo) {
        return HookResult.DECLINED;
    }

    @Override
    public String[] getMailParamNames() {
        return new String[] {MessageSecurity.REQUIRETLS};
    }

    @Override
    public HookResult doMailParameter(SMTPSession session, String name, String value) {
        if (!session.isTLSStarted()) {
            return refusal("530", "5.7.10 REQUIRETLS needs a TLS session: STARTTLS first (RFC 8689 2)");
        }
        if (value != null && !value.isEmpty()) {
            return refusal("501", "5.5.4 REQUIRETLS takes no value (RFC 8689 2)");
        }
        session.setAttachment(REQUESTED, Boolean.TRUE, ProtocolSession.State.Transaction);
        return HookResult.DECLINED;
    }

    @Override
    public HookResult onMessage(SMTPSession session, Mail mail) {
        if (session.getAttachment(REQUESTED, ProtocolSession.State.Transaction).orElse(false)) {
            MessageSecurityAttributes.tagRequireTls(mail);
            LOGGER.info("secure-delivery: {} received with REQUIRETLS from {}", mail.getName(),
                    session.getRemoteAddress().getAddress().getHostAddress());
        }
        return HookResult.DECLINED;
    }

    private static HookResult refusal(String code, String description) {
        return HookResult.builder().hookReturnCode(HookReturnCode.deny()).smtpReturnCode(code)
                .smtpDescription(description).build();
    }
}
