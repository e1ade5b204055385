package dev.securedelivery.smtpserver;

import static org.assertj.core.api.Assertions.assertThat;

import dev.securedelivery.mailet.MessageSecurityAttributes;
import java.lang.reflect.Proxy;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;
import org.apache.james.core.MaybeSender;
import org.apache.james.metrics.api.MetricFactory;
import org.apache.james.metrics.api.TimeMetric;
import org.apache.james.protocols.api.ProtocolSession;
import org.apache.james.protocols.api.ProtocolTransport;
import org.apache.james.protocols.api.Response;
import org.apache.james.protocols.api.handler.CommandDispatcher;
import org.apache.james.protocols.api.handler.CommandHandler;
import org.apache.james.protocols.api.handler.ProtocolHandlerResultHandler;
import org.apache.james.protocols.smtp.SMTPConfigurationImpl;
import org.apache.james.protocols.smtp.SMTPSession;
import org.apache.james.protocols.smtp.SMTPSessionImpl;
import org.apache.james.protocols.smtp.core.MailCmdHandler;
import org.apache.james.protocols.smtp.hook.HookResultHook;
import org.apache.james.protocols.smtp.hook.MailHook;
import org.apache.james.protocols.smtp.hook.MailParametersHook;
import org.apache.mailet.base.test.FakeMail;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The REQUIRETLS handler behind James 3.8.1's own MAIL command handler and command dispatcher, wired
 * as smtpserver.xml's handler chain wires them, on a session without a network: what a client
 * sees, and whether the mail received is tagged.
 */
class RequireTlsHandlerTest {
    private static final InetSocketAddress CLIENT = new InetSocketAddress(InetAddress.getLoopbackAddress(), 40025);

    @ParameterizedTest
    @ValueSource(strings = {"REQUIRETLS", "requiretls", "RequireTLS", "rEqUiReTlS"})
    void theParameterInAnyCaseOverTlsTagsTheMail(String keyword) throws Exception {
        Connection connection = new Connection(true);

        // RFC 5321 2.4: ESMTP keywords are case-insensitive.
        Response response = connection.line("MAIL FROM:<sender@sender.test> " + keyword);

        assertThat(response.getRetCode()).isEqualTo("250");
        assertThat(connection.receive("sender@sender.test").getAttribute(MessageSecurityAttributes.REQUIRETLS))
                .isPresent();
    }

    @ParameterizedTest
    @ValueSource(strings = {"REQUIRETLS", "requiretls", "RequireTLS"})
    void theParameterInAnyCaseOutsideTlsIsRefusedWith5710(String keyword) throws Exception {
        Connection connection = new Connection(false);

        // RFC 8689 2: the option may only be used in a session that employs TLS.
        Response response = connection.line("MAIL FROM:<sender@sender.test> " + keyword);

        assertThat(response.getRetCode()).isEqualTo("530");
        assertThat(String.valueOf(response.getLines())).contains("5.7.10");
    }

    @ParameterizedTest
    @ValueSource(strings = {"REQUIRETLS=YES", "requiretls=yes", "RequireTLS=no"})
    void theParameterInAnyCaseWithAValueIsRefusedWith501(String parameter) throws Exception {
        Connection connection = new Connection(true);

        // RFC 8689 2: the parameter has no value.
        Response response = connection.line("MAIL FROM:<sender@sender.test> " + parameter);

        assertThat(response.getRetCode()).isEqualTo("501");
        assertThat(String.valueOf(response.getLines())).contains("5.5.4");
    }

    @Test
    void theNullReversePathIsTaggedToo() throws Exception {
        Connection connection = new Connection(true);

        Response response = connection.line("MAIL FROM:<> requiretls");

        assertThat(response.getRetCode()).isEqualTo("250");
        assertThat(connection.receive(null).getAttribute(MessageSecurityAttributes.REQUIRETLS))
                .isPresent();
    }

    @Test
    void mailWithoutTheParameterIsNotTagged() throws Exception {
        Connection connection = new Connection(true);

        Response response = connection.line("MAIL FROM:<sender@sender.test> SIZE=1000");

        assertThat(response.getRetCode()).isEqualTo("250");
        assertThat(connection.receive("sender@sender.test").getAttribute(MessageSecurityAttributes.REQUIRETLS))
                .isEmpty();
    }

    @Test
    void aMailCommandJamesRefusesAfterTheParameterLeavesNoTagForTheNextTransaction() throws Exception {
        Connection connection = new Connection(true);

        // The parameter is seen, then James refuses the address (no angle brackets): no transaction.
        Response refused = connection.line("MAIL FROM:x<sender@sender.test> REQUIRETLS");
        Response accepted = connection.line("MAIL FROM:<sender@sender.test>");

        assertThat(refused.getRetCode()).startsWith("5");
        assertThat(accepted.getRetCode()).isEqualTo("250");
        assertThat(connection.receive("sender@sender.test").getAttribute(MessageSecurityAttributes.REQUIRETLS))
                .isEmpty();
    }

    @Test
    void ehloOffersTheKeywordOnlyOverTls() throws Exception {
        RequireTlsHandler handler = new RequireTlsHandler();

        assertThat(handler.implementedEsmtpFeatures(new Connection(true).session))
                .containsExactly("REQUIRETLS");
        assertThat(handler.implementedEsmtpFeatures(new Connection(false).session))
                .isEmpty();
    }

    @Test
    void everyAsciiSpellingIsRegisteredAndNoLookAlike() {
        String[] names = new RequireTlsHandler().getMailParamNames();
        Set<String> distinct = new HashSet<>(Arrays.asList(names));

        // Ten letters, two cases each.
        assertThat(distinct).hasSize(1024).contains("REQUIRETLS", "requiretls", "RequireTLS", "rEqUiReTlS");
        assertThat(distinct).allMatch(RequireTlsHandler::isRequireTls);
        // RFC 5321 4.1.2: a keyword is ASCII; a dotless i (U+0131) or a long s (U+017F) is not a letter of it,
        // though String.equalsIgnoreCase would fold both.
        assertThat(RequireTlsHandler.isRequireTls("requ\u0131retls")).isFalse();
        assertThat(RequireTlsHandler.isRequireTls("REQUIRETL\u017F")).isFalse();
        assertThat(RequireTlsHandler.isRequireTls("REQUIRETLSX")).isFalse();
        assertThat(RequireTlsHandler.isRequireTls(null)).isFalse();
    }

    /** One SMTP connection after EHLO, with James's MAIL handler and dispatcher, and the handler under test. */
    private static final class Connection {
        private final RequireTlsHandler handler = new RequireTlsHandler();
        private final CommandDispatcher<SMTPSession> dispatcher = new CommandDispatcher<>();
        private final boolean tls;
        private final SMTPSession session;

        Connection(boolean tls) throws Exception {
            this.tls = tls;
            // What ProtocolHandlerChainImpl does with smtpserver.xml's chain: each extensible handler
            // is given the handlers that implement its marker interfaces.
            MailCmdHandler mail = new MailCmdHandler(noMetrics());
            mail.wireExtensions(MailParametersHook.class, List.of(handler));
            mail.wireExtensions(MailHook.class, List.of());
            mail.wireExtensions(HookResultHook.class, List.of());
            dispatcher.wireExtensions(CommandHandler.class, List.of(mail));
            dispatcher.wireExtensions(ProtocolHandlerResultHandler.class, List.of(handler));
            session = new SMTPSessionImpl(
                    fake(
                            ProtocolTransport.class,
                            Map.<String, Supplier<Object>>of(
                                    "isTLSStarted", () -> this.tls,
                                    "getRemoteAddress", () -> CLIENT,
                                    "getLocalAddress", () -> CLIENT)),
                    new SMTPConfigurationImpl());
            session.setAttachment(SMTPSession.CURRENT_HELO_MODE, "EHLO", ProtocolSession.State.Connection);
        }

        Response line(String line) {
            return dispatcher.onLine(session, line.getBytes(StandardCharsets.US_ASCII));
        }

        /** The mail of the current transaction, as James hands it to the message hooks after DATA. */
        FakeMail receive(String sender) throws Exception {
            FakeMail mail = FakeMail.builder()
                    .name("mail")
                    .sender(sender == null ? MaybeSender.nullSender() : MaybeSender.getMailSender(sender))
                    .recipient("user@example.test")
                    .build();
            handler.onMessage(session, mail);
            return mail;
        }
    }

    private static MetricFactory noMetrics() {
        TimeMetric timer = fake(TimeMetric.class, Map.<String, Supplier<Object>>of("name", () -> "timer"));
        return fake(MetricFactory.class, Map.<String, Supplier<Object>>of("timer", () -> timer));
    }

    // An implementation of an interface of James's that answers only what the test needs.
    private static <T> T fake(Class<T> type, Map<String, Supplier<Object>> answers) {
        return type.cast(Proxy.newProxyInstance(
                type.getClassLoader(), new Class<?>[] {type}, (proxy, method, arguments) -> {
                    Supplier<Object> answer = answers.get(method.getName());
                    if (answer != null) {
                        return answer.get();
                    }
                    if ("equals".equals(method.getName())) {
                        return proxy == arguments[0];
                    }
                    if ("hashCode".equals(method.getName())) {
                        return System.identityHashCode(proxy);
                    }
                    if ("toString".equals(method.getName())) {
                        return "fake " + type.getSimpleName();
                    }
                    Class<?> returned = method.getReturnType();
                    if (returned == boolean.class) {
                        return false;
                    }
                    if (returned == int.class) {
                        return 0;
                    }
                    if (returned == long.class) {
                        return 0L;
                    }
                    if (returned == Optional.class) {
                        return Optional.empty();
                    }
                    return null;
                }));
    }
}
