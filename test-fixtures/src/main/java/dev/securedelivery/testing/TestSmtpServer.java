package dev.securedelivery.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import org.subethamail.smtp.DropConnectionException;
import org.subethamail.smtp.MessageContext;
import org.subethamail.smtp.MessageHandler;
import org.subethamail.smtp.RejectException;
import org.subethamail.smtp.command.MailCommand;
import org.subethamail.smtp.server.BaseCommand;
import org.subethamail.smtp.server.SMTPServer;
import org.subethamail.smtp.server.Session;

/**
 * A receiving MX for tests: subethasmtp's SMTP server on a loopback address, offering STARTTLS
 * with a test-CA certificate (or not at all), keeping every message it accepts together with
 * whether it came over TLS and the parameters of its MAIL FROM command. Recipients it is told to
 * refuse get a 550, those it is told to defer a 450. Told to, it offers REQUIRETLS after STARTTLS, as RFC 8689 2 asks.
 */
public final class TestSmtpServer implements AutoCloseable {
    /** One accepted message. */
    public static final class Received {
        public final String from;
        public final List<String> recipients;
        public final String data;
        public final boolean overTls;
        /** What followed the reverse-path on the MAIL FROM line, e.g. {@code "REQUIRETLS"}; empty for nothing. */
        public final String mailParameters;
        /** The SMTP session (connection) it came in, {@code session-1} for the first: which messages shared one. */
        public final String session;
        /** When its end of data came. */
        public final java.time.Instant receivedAt = java.time.Instant.now();

        Received(
                String from,
                List<String> recipients,
                String data,
                boolean overTls,
                String mailParameters,
                String session) {
            this.session = session;
            this.from = from;
            this.recipients = List.copyOf(recipients);
            this.data = data;
            this.overTls = overTls;
            this.mailParameters = mailParameters;
        }
    }

    private final SMTPServer server;
    private final List<Received> received = new CopyOnWriteArrayList<>();
    private final List<String> refused = new CopyOnWriteArrayList<>();
    private final List<String> deferred = new CopyOnWriteArrayList<>();
    private final List<RecipientAttempt> attempts = new CopyOnWriteArrayList<>();
    private final AtomicInteger sessions = new AtomicInteger();
    private final Map<MessageContext, String> mailParameters = new ConcurrentHashMap<>();
    private final AtomicInteger resets = new AtomicInteger();
    private volatile String resetReply;
    private volatile String repeatedMailReply;
    private final Map<Session, Integer> transactions = new ConcurrentHashMap<>();
    private volatile boolean offersRequireTls;
    private volatile String hostName = "mx.test";

    private TestSmtpServer(InetAddress address, int port, SSLContext tls) {
        this.server = new SMTPServer(this::handler) {
            @Override
            public SSLSocket createSSLSocket(Socket socket) throws IOException {
                InetSocketAddress remote = (InetSocketAddress) socket.getRemoteSocketAddress();
                SSLSocket ssl = (SSLSocket)
                        tls.getSocketFactory().createSocket(socket, remote.getHostString(), socket.getPort(), true);
                ssl.setUseClientMode(false);
                return ssl;
            }
        };
        server.setSessionIdFactory(() -> "session-" + sessions.incrementAndGet());
        server.setBindAddress(address);
        server.setPort(port);
        server.setHostName("mx.test");
        server.setEnableTLS(tls != null);
        server.setHideTLS(tls == null);
        server.getCommandHandler().addCommand(new Ehlo());
        server.getCommandHandler().addCommand(new MailFrom());
        server.getCommandHandler().addCommand(new Rset());
        server.start();
    }

    /** A server offering STARTTLS with {@code certificate}'s chain. */
    public static TestSmtpServer withStartTls(InetAddress address, IssuedCertificate certificate) {
        return new TestSmtpServer(address, LoopbackPorts.freeTcpPort(address), certificate.serverContext());
    }

    /** A server that does not offer STARTTLS. */
    public static TestSmtpServer plaintext(InetAddress address) {
        return new TestSmtpServer(address, LoopbackPorts.freeTcpPort(address), null);
    }

    /** A server on a given port, e.g. the one every MX of a test listens on. */
    public static TestSmtpServer withStartTls(InetAddress address, int port, IssuedCertificate certificate) {
        return new TestSmtpServer(address, port, certificate.serverContext());
    }

    public InetSocketAddress address() {
        return new InetSocketAddress(server.getBindAddress(), server.getPort());
    }

    public int port() {
        return server.getPort();
    }

    /** Recipients answered with 550. */
    public TestSmtpServer refuse(String recipient) {
        refused.add(recipient.toLowerCase(java.util.Locale.ROOT));
        return this;
    }

    /** Recipients answered with 450: not now. */
    public TestSmtpServer defer(String recipient) {
        deferred.add(recipient.toLowerCase(java.util.Locale.ROOT));
        return this;
    }

    /** Recipients no longer deferred: the destination has recovered. */
    public TestSmtpServer accept(String recipient) {
        deferred.remove(recipient.toLowerCase(java.util.Locale.ROOT));
        return this;
    }

    /** Every RCPT TO seen, refused, deferred or taken, with when it came: the attempts a client made. */
    public List<RecipientAttempt> recipientAttempts() {
        return List.copyOf(attempts);
    }

    /** One RCPT TO, as it came. */
    public static final class RecipientAttempt {
        public final String recipient;
        public final java.time.Instant at;

        RecipientAttempt(String recipient, java.time.Instant at) {
            this.recipient = recipient;
            this.at = at;
        }

        @Override
        public String toString() {
            return recipient + " at " + at;
        }
    }

    /** Names itself {@code name} in its EHLO reply (the greeting keeps {@code mx.test}). */
    public TestSmtpServer hostName(String name) {
        this.hostName = name;
        return this;
    }

    /** Offers REQUIRETLS in the EHLO reply once STARTTLS is done (RFC 8689 2). */
    public TestSmtpServer offerRequireTls() {
        offersRequireTls = true;
        return this;
    }

    /** Answers RSET with {@code reply} (e.g. {@code "451 4.3.0 not now"}) instead of 250 from now on. */
    public TestSmtpServer answerRset(String reply) {
        this.resetReply = reply;
        return this;
    }

    /**
     * Answers MAIL FROM with {@code reply} (e.g. {@code "421 4.3.2 shutting down"}) in a session that
     * already took a message; the first transaction of each session goes as usual.
     */
    public TestSmtpServer answerRepeatedMail(String reply) {
        this.repeatedMailReply = reply;
        return this;
    }

    /** RSET commands received so far. */
    public int resets() {
        return resets.get();
    }

    /** SMTP sessions opened so far: whether a client ever connected. */
    public int sessions() {
        return sessions.get();
    }

    public List<Received> received() {
        return List.copyOf(received);
    }

    private MessageHandler handler(MessageContext context) {
        return new MessageHandler() {
            private String from;
            private final List<String> recipients = new ArrayList<>();

            @Override
            public void from(String sender) {
                this.from = sender;
            }

            @Override
            public void recipient(String recipient) throws RejectException {
                attempts.add(new RecipientAttempt(recipient, java.time.Instant.now()));
                if (refused.contains(recipient.toLowerCase(java.util.Locale.ROOT))) {
                    throw new RejectException(550, "5.1.1 no such user: " + recipient);
                }
                if (deferred.contains(recipient.toLowerCase(java.util.Locale.ROOT))) {
                    throw new RejectException(450, "4.2.1 mailbox busy: " + recipient);
                }
                recipients.add(recipient);
            }

            @Override
            public void data(InputStream data) throws IOException {
                ByteArrayOutputStream content = new ByteArrayOutputStream();
                data.transferTo(content);
                received.add(new Received(
                        from,
                        recipients,
                        content.toString(StandardCharsets.UTF_8),
                        ((Session) context).isTLSStarted(),
                        mailParameters.getOrDefault(context, ""),
                        ((Session) context).getSessionId()));
                transactions.merge((Session) context, 1, Integer::sum);
            }

            @Override
            public void done() {
                mailParameters.remove(context);
            }
        };
    }

    // subethasmtp's own EHLO, with REQUIRETLS after STARTTLS when asked for.
    private final class Ehlo extends BaseCommand {
        Ehlo() {
            super("EHLO", "Introduce yourself.", "<hostname>");
        }

        @Override
        public void execute(String command, Session session) throws IOException {
            String[] arguments = getArgs(command);
            if (arguments.length < 2) {
                session.sendResponse("501 Syntax: EHLO hostname");
                return;
            }
            session.resetMessageState();
            session.setHelo(arguments[1]);
            StringBuilder reply = new StringBuilder("250-").append(hostName).append("\r\n250-8BITMIME");
            if (session.getServer().getEnableTLS() && !session.getServer().getHideTLS() && !session.isTLSStarted()) {
                reply.append("\r\n250-STARTTLS");
            }
            if (offersRequireTls && session.isTLSStarted()) {
                reply.append("\r\n250-REQUIRETLS");
            }
            session.sendResponse(reply.append("\r\n250 Ok").toString());
        }
    }

    // subethasmtp's own MAIL, keeping the parameters it does not look at.
    private final class MailFrom extends BaseCommand {
        private final MailCommand mail = new MailCommand();

        MailFrom() {
            super("MAIL", "Specifies the sender.", "FROM: <sender> [ <parameters> ]");
        }

        @Override
        public void execute(String command, Session session) throws IOException, DropConnectionException {
            String refusal = repeatedMailReply;
            if (refusal != null && transactions.containsKey(session)) {
                session.sendResponse(refusal);
                return;
            }
            int end = command.indexOf('>');
            mailParameters.put(
                    session, end < 0 ? "" : command.substring(end + 1).trim());
            mail.execute(command, session);
        }
    }

    // RFC 5321 4.1.1.5: RSET, counted, and answered as told.
    private final class Rset extends BaseCommand {
        Rset() {
            super("RSET", "Resets the system.");
        }

        @Override
        public void execute(String command, Session session) throws IOException {
            resets.incrementAndGet();
            String reply = resetReply;
            if (reply != null) {
                session.sendResponse(reply);
                return;
            }
            session.resetMessageState();
            session.sendResponse("250 Ok");
        }
    }

    @Override
    public void close() {
        server.stop();
    }
}
