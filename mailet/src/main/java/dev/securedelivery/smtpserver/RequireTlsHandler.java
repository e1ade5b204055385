package dev.securedelivery.smtpserver;

import dev.securedelivery.mailet.MessageSecurityAttributes;
import dev.securedelivery.requiretls.MessageSecurity;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import org.apache.james.protocols.api.ProtocolSession;
import org.apache.james.protocols.api.Response;
import org.apache.james.protocols.api.handler.CommandHandler;
import org.apache.james.protocols.api.handler.ProtocolHandler;
import org.apache.james.protocols.api.handler.ProtocolHandlerResultHandler;
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
 *   <li>{@code MAIL FROM:<...> REQUIRETLS}, spelt in any case ({@code requiretls}, {@code RequireTLS}:
 *       RFC 5321 2.4, ESMTP keywords are case-insensitive), is refused outside TLS ({@code 530 5.7.10})
 *       and with a value ({@code 501 5.5.4}: the parameter has none, RFC 8689 2).
 *   <li>The mail received in that transaction is tagged REQUIRETLS (RFC 8689 4.1) through the
 *       attribute {@link MessageSecurityAttributes#REQUIRETLS}, which {@code SecureRemoteDelivery}
 *       enforces; its {@code TLS-Required} header field is then ignored. The null reverse-path
 *       ({@code MAIL FROM:<> REQUIRETLS}) is tagged like any other: the delivery side honours the tag
 *       for every message that carries it.
 *   <li>A MAIL command that James refuses (a bad address, another parameter or hook refused it)
 *       leaves no tag behind for the next transaction of the session.
 * </ul>
 */
public final class RequireTlsHandler
        implements HeloHook, MailParametersHook, JamesMessageHook, ProtocolHandlerResultHandler<Response, SMTPSession> {
    private static final Logger LOGGER = LoggerFactory.getLogger(RequireTlsHandler.class);
    private static final ProtocolSession.AttachmentKey<Boolean> REQUESTED =
            ProtocolSession.AttachmentKey.of("dev.securedelivery.requiretls", Boolean.class);
    private static final String MAIL_COMMAND = "MAIL";

    /*
     * RFC 5321 2.4: ESMTP keywords are case-insensitive. James 3.8.1 does not honour that for a
     * parameter without a value: MailCmdHandler (protocols-smtp) splits the MAIL parameters on
     * spaces, upper-cases (Locale.US) the name of a "name=value" parameter only, keeps a bare
     * "requiretls" as the client spelt it, and looks the name up, by exact spelling, in a HashMap
     * filled from every MailParametersHook's getMailParamNames(). A name that is not in the map is
     * dropped with a debug log, and the MAIL command gets 250. Nothing else lets an extension see the
     * parameters: MailCmdHandler keeps no raw parameter line in the session (it stores only
     * SMTPSession.SENDER), and MailHook.doMail receives the sender alone. (A second CommandHandler
     * for MAIL would see the raw line, but only if listed before CoreCmdHandlerLoader, and before
     * James has checked the command; listed after it, it would never run and REQUIRETLS would be
     * lost without a word.)
     *
     * So the handler registers the keyword under every ASCII spelling: 2^10 = 1024 names for the ten
     * letters of REQUIRETLS, which is all of them. A name James upper-cases ("requiretls=x") reaches
     * the handler as "REQUIRETLS" and is refused for its value. Only ASCII letters fold (RFC 5321
     * 4.1.2: an esmtp-keyword is made of ASCII letters, digits and hyphens): a look-alike spelt with a
     * dotless i (U+0131), which String.equalsIgnoreCase would match, is not REQUIRETLS.
     */
    private static final String[] PARAMETER_NAMES = asciiCaseVariants(MessageSecurity.REQUIRETLS);

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
        return PARAMETER_NAMES.clone();
    }

    @Override
    public HookResult doMailParameter(SMTPSession session, String name, String value) {
        if (!isRequireTls(name)) {
            // James dispatches only the names above here; any other is not this handler's.
            return HookResult.DECLINED;
        }
        if (!session.isTLSStarted()) {
            return refusal("530", "5.7.10 REQUIRETLS needs a TLS session: STARTTLS first (RFC 8689 2)");
        }
        if (value != null && !value.isEmpty()) {
            return refusal("501", "5.5.4 REQUIRETLS takes no value (RFC 8689 2)");
        }
        // MailCmdHandler runs parameter hooks after its "sender already specified" check: no
        // transaction is open yet, so the tag is this MAIL command's, whatever its reverse-path.
        session.setAttachment(REQUESTED, Boolean.TRUE, ProtocolSession.State.Transaction);
        return HookResult.DECLINED;
    }

    /*
     * The tag is set while James still checks the MAIL command: the sender's address, the other
     * parameters and the MAIL hooks come after it, and any of them may refuse the command. James then
     * forgets the sender (MailCmdHandler.onCommand removes SMTPSession.SENDER on anything but 250) but
     * not the tag, which the next transaction of the session would inherit. CommandDispatcher hands
     * every command's response to the chain's ProtocolHandlerResultHandlers, with the command handler
     * that produced it: after a MAIL command, a tag without a sender belongs to no transaction and is
     * removed. A 250 leaves the sender, the null reverse-path included, and the tag in place.
     */
    @Override
    public Response onResponse(
            ProtocolSession session, Response response, long executionTime, ProtocolHandler handler) {
        if (handlesMail(handler)
                && session.getAttachment(SMTPSession.SENDER, ProtocolSession.State.Transaction)
                        .isEmpty()) {
            session.removeAttachment(REQUESTED, ProtocolSession.State.Transaction);
        }
        return response;
    }

    @Override
    public HookResult onMessage(SMTPSession session, Mail mail) {
        // RFC 8689 4.1: the message received with REQUIRETLS is tagged, the null reverse-path's too.
        if (session.getAttachment(REQUESTED, ProtocolSession.State.Transaction).orElse(false)) {
            MessageSecurityAttributes.tagRequireTls(mail);
            LOGGER.info(
                    "secure-delivery: {} received with REQUIRETLS from {}",
                    mail.getName(),
                    session.getRemoteAddress().getAddress().getHostAddress());
        }
        return HookResult.DECLINED;
    }

    /** Whether {@code name} is the keyword REQUIRETLS in any ASCII case (RFC 5321 2.4), and only then. */
    static boolean isRequireTls(String name) {
        String keyword = MessageSecurity.REQUIRETLS;
        if (name == null || name.length() != keyword.length()) {
            return false;
        }
        for (int i = 0; i < keyword.length(); i++) {
            if (asciiUpperCase(name.charAt(i)) != asciiUpperCase(keyword.charAt(i))) {
                return false;
            }
        }
        return true;
    }

    /** Every spelling of {@code keyword} that differs from it in the case of ASCII letters only. */
    static String[] asciiCaseVariants(String keyword) {
        List<String> variants = new ArrayList<>();
        variants.add("");
        for (int i = 0; i < keyword.length(); i++) {
            char upper = asciiUpperCase(keyword.charAt(i));
            char lower = asciiLowerCase(upper);
            List<String> longer = new ArrayList<>(variants.size() * 2);
            for (String prefix : variants) {
                longer.add(prefix + upper);
                if (lower != upper) {
                    longer.add(prefix + lower);
                }
            }
            variants = longer;
        }
        return variants.toArray(new String[0]);
    }

    // James's MAIL command handler (MailCmdHandler, JamesMailCmdHandler in CoreCmdHandlerLoader).
    private static boolean handlesMail(ProtocolHandler handler) {
        if (!(handler instanceof CommandHandler)) {
            return false;
        }
        Collection<String> commands = ((CommandHandler<?>) handler).getImplCommands();
        if (commands == null) {
            return false;
        }
        for (String command : commands) {
            if (command != null && MAIL_COMMAND.equalsIgnoreCase(command.trim())) {
                return true;
            }
        }
        return false;
    }

    private static char asciiUpperCase(char c) {
        return c >= 'a' && c <= 'z' ? (char) (c - 'a' + 'A') : c;
    }

    private static char asciiLowerCase(char c) {
        return c >= 'A' && c <= 'Z' ? (char) (c - 'A' + 'a') : c;
    }

    private static HookResult refusal(String code, String description) {
        return HookResult.builder()
                .hookReturnCode(HookReturnCode.deny())
                .smtpReturnCode(code)
                .smtpDescription(description)
                .build();
    }
}
