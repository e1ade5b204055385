package dev.securedelivery.smtp;

import dev.securedelivery.peertext.PeerText;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;

/**
 * One SMTP connection, bounded in bytes and in time: a reply line is at most
 * {@link SmtpLimits#maxReplyLineBytes} long, a reply at most {@link SmtpLimits#maxReplyLines} lines and
 * {@link SmtpLimits#maxReplyBytes} bytes; every whole reply has the read timeout (a server trickling a
 * byte at a time gains nothing), every write the write timeout, and the whole connection the session
 * deadline. A peer that breaks a bound gets its connection closed and an
 * {@link IOException}.
 *
 * <p>We never pipeline (RFC 2920): each command waits for its reply. So nothing may be waiting unread
 * when we write; a server that sent more than was asked for is out of step (its next reply would be
 * taken for the answer to the next command), and the next write fails instead.
 *
 * <p>The watchdog closes the TCP socket under the TLS layer, never the {@link SSLSocket}: on JDK 17,
 * closing an {@code SSLSocket} waits for the lock of a write in progress, and a peer that stopped
 * reading holds that write for ever.
 */
final class SmtpConnection implements AutoCloseable {
    /** How long a polite TLS close (close_notify, RFC 8446 6.1) may take before the TCP socket is closed under it. */
    private static final Duration TLS_CLOSE_WAIT = Duration.ofSeconds(5);

    private final SmtpLimits limits;
    /** The TCP connection, under TLS once STARTTLS succeeded: what the watchdog closes. */
    private final Socket tcp;

    private Socket socket;
    private InputStream in;
    private OutputStream out;
    private final SessionWatchdog.Watch watch;
    private final long openedNanos;
    private boolean sawFailureReply;
    private boolean quitSent;

    private SmtpConnection(Socket socket, SmtpLimits limits, long openedNanos, long deadlineNanos) throws IOException {
        this.limits = limits;
        this.openedNanos = openedNanos;
        this.tcp = socket;
        this.watch =
                SessionWatchdog.watch(tcp, deadlineNanos, limits.writeTimeout().toNanos());
        use(socket);
    }

    /**
     * Connects to {@code target}, from {@code bind} if given, within the connect timeout; the session
     * ends at its limit or after {@code timeLeft}, whichever comes first.
     */
    static SmtpConnection open(InetSocketAddress target, InetAddress bind, SmtpLimits limits, Duration timeLeft)
            throws IOException {
        Duration allowed = timeLeft.compareTo(limits.sessionLimit()) < 0 ? timeLeft : limits.sessionLimit();
        long opened = System.nanoTime();
        long deadline = opened + allowed.toNanos();
        long connectMillis = Math.min(limits.connectTimeout().toMillis(), allowed.toMillis());
        if (connectMillis <= 0) {
            throw new IOException("no time left for another connection");
        }
        Socket socket = new Socket();
        try {
            if (bind != null) {
                socket.bind(new InetSocketAddress(bind, 0));
            }
            socket.connect(target, (int) Math.min(Integer.MAX_VALUE, connectMillis));
            return new SmtpConnection(socket, limits, opened, deadline);
        } catch (IOException | RuntimeException e) {
            socket.close();
            throw e;
        }
    }

    private void use(Socket next) throws IOException {
        next.setSoTimeout((int) Math.min(Integer.MAX_VALUE, limits.readTimeout().toMillis()));
        this.socket = next;
        this.in = new BufferedInputStream(next.getInputStream(), 8192);
        this.out = new BufferedOutputStream(next.getOutputStream(), 16384);
    }

    /** The socket: an {@link SSLSocket} once {@link #startTls} succeeded. */
    Socket socket() {
        return socket;
    }

    /**
     * Sends one command line (without CRLF). A command is ours, never a peer's text: one with a CR, LF
     * or NUL in it is a bug of the caller, refused before a byte is written.
     */
    void send(String command) throws IOException {
        for (int i = 0; i < command.length(); i++) {
            char c = command.charAt(i);
            if (c == '\r' || c == '\n' || c == 0) {
                throw new IllegalArgumentException("a command line with a CR, LF or NUL in it");
            }
        }
        write(out -> {
            out.write(command.getBytes(StandardCharsets.UTF_8));
            out.write('\r');
            out.write('\n');
        });
    }

    /** Sends {@code command} and reads the reply. */
    SmtpReply exchange(String command) throws IOException {
        send(command);
        return readReply();
    }

    /** Sends {@code command} and reads the reply within {@code timeout} or the read timeout, the shorter. */
    SmtpReply exchange(String command, Duration timeout) throws IOException {
        send(command);
        return readReply(timeout.compareTo(limits.readTimeout()) < 0 ? timeout : limits.readTimeout());
    }

    /** Whether any reply so far was a 4xx or 5xx: such a session is never kept for another message. */
    boolean sawFailureReply() {
        return sawFailureReply;
    }

    /**
     * Whether the server sent bytes nobody asked for while the session was idle (a 421 before
     * closing, or anything else): such a session is out of step and is not used again. Under TLS the
     * TCP socket is asked too: the TLS layer counts only bytes it has already decrypted, and a record
     * that arrived while idle is not yet (a TLS control record counts too, and costs a new connection
     * at worst).
     */
    boolean hasUnreadInput() {
        try {
            return in.available() > 0 || (socket != tcp && tcp.getInputStream().available() > 0);
        } catch (IOException e) {
            return true;
        }
    }

    // Nothing was asked that is not answered: bytes waiting now are a reply to nothing (module doc).
    private void ensureInStep() throws IOException {
        if (in.available() > 0) {
            throw new SmtpProtocolException("the server sent a reply nobody asked for (out of step)");
        }
    }

    /** Whether the connection is still open and within its deadline, as far as this end knows. */
    boolean isOpen() {
        return watch.expired() == null && !socket.isClosed();
    }

    /**
     * The session is handed to the next message: it ends at its own limit (counted from the connect)
     * or after {@code timeLeft}, whichever comes first.
     */
    void deadlineIn(Duration timeLeft) {
        long now = System.nanoTime();
        long own = openedNanos + limits.sessionLimit().toNanos();
        long message = now + Math.min(timeLeft.toNanos(), Long.MAX_VALUE / 4);
        watch.deadline(own - message < 0 ? own : message);
    }

    /** The session waits idle: only its own limit (counted from the connect) holds. */
    void idle() {
        watch.deadline(openedNanos + limits.sessionLimit().toNanos());
    }

    /** How long QUIT's answer is waited for. */
    private static final Duration QUIT_WAIT = Duration.ofSeconds(5);

    /** {@link #quit(Duration)} within 5 s. */
    void quit() {
        quit(QUIT_WAIT);
    }

    // RFC 5321 4.1.1.10: say goodbye, once; the answer does not matter, so it is not waited for long.
    void quit(Duration wait) {
        if (quitSent) {
            return;
        }
        quitSent = true;
        try {
            exchange("QUIT", wait);
        } catch (IOException e) {
            // The session is over either way.
        }
    }

    /** QUIT without waiting for the answer, then close: for an idle session closed by the reaper. */
    void quitAndClose() {
        if (!quitSent) {
            quitSent = true;
            try {
                send("QUIT");
            } catch (IOException e) {
                // Closed below either way.
            }
        }
        close();
    }

    /** What writes the bytes of a DATA section; {@link #write} bounds it in time. */
    interface Writing {
        void writeTo(OutputStream out) throws IOException;
    }

    /** Writes through the buffered stream and flushes, under the write timeout. */
    void write(Writing writing) throws IOException {
        ensureInStep();
        watch.writing();
        try {
            writing.writeTo(out);
            out.flush();
        } catch (IOException e) {
            throw explained(e);
        } finally {
            watch.written();
        }
    }

    /** Reads one (possibly multi-line) reply, within the bounds. */
    SmtpReply readReply() throws IOException {
        return readReply(limits.readTimeout());
    }

    private SmtpReply readReply(Duration timeout) throws IOException {
        List<String> lines = new ArrayList<>();
        int code = -1;
        long deadline = System.nanoTime() + timeout.toNanos();
        int bytes = 0;
        try {
            while (true) {
                byte[] raw = readLine(deadline);
                // The bytes as received, CR and LF included: the bound is of bytes, not of characters.
                bytes += raw.length + 1;
                if (bytes > limits.maxReplyBytes()) {
                    throw new SmtpProtocolException("a reply longer than " + limits.maxReplyBytes() + " bytes");
                }
                int length = raw.length > 0 && raw[raw.length - 1] == '\r' ? raw.length - 1 : raw.length;
                String line = new String(raw, 0, length, StandardCharsets.UTF_8);
                if (line.length() < 3
                        || !isCode(line)
                        || (line.length() > 3 && line.charAt(3) != ' ' && line.charAt(3) != '-')) {
                    throw new SmtpProtocolException("not an SMTP reply: " + PeerText.clean(line, 80));
                }
                int lineCode = Integer.parseInt(line.substring(0, 3));
                if (code != -1 && lineCode != code) {
                    throw new SmtpProtocolException(
                            "a multi-line reply changed its code from " + code + " to " + lineCode);
                }
                code = lineCode;
                lines.add(line.length() > 4 ? line.substring(4) : "");
                if (line.length() == 3 || line.charAt(3) == ' ') {
                    if (code >= 400) {
                        sawFailureReply = true;
                    }
                    return SmtpReply.of(code, lines);
                }
                if (lines.size() >= limits.maxReplyLines()) {
                    throw new SmtpProtocolException("a reply longer than " + limits.maxReplyLines() + " lines");
                }
            }
        } catch (IOException e) {
            throw explained(e);
        }
    }

    private static boolean isCode(String line) {
        char first = line.charAt(0);
        return first >= '2'
                && first <= '5'
                && EnhancedStatus.isDigit(line.charAt(1))
                && EnhancedStatus.isDigit(line.charAt(2));
    }

    // A line ends with LF, which is not returned (a CR before it is); longer than the bound, the reply
    // is refused. The reply's deadline holds across reads, so that a byte a second does not keep the
    // read timeout away.
    private byte[] readLine(long deadline) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream(128);
        while (true) {
            if (in.available() == 0) {
                long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                if (left <= 0) {
                    throw new SocketTimeoutException("the reply did not end in time");
                }
                socket.setSoTimeout((int) Math.min(Integer.MAX_VALUE, left));
            }
            int next = in.read();
            if (next == -1) {
                throw new IOException("the server closed the connection");
            }
            if (next == '\n') {
                return line.toByteArray();
            }
            if (line.size() >= limits.maxReplyLineBytes()) {
                throw new SmtpProtocolException("a reply line longer than " + limits.maxReplyLineBytes() + " bytes");
            }
            line.write(next);
        }
    }

    /**
     * Turns the connection into TLS (after a 220 to STARTTLS, RFC 3207): SNI is {@code serverName},
     * {@code context}'s trust manager judges the chain, and with {@code checkName} the JSSE also
     * checks that the certificate names {@code serverName} (RFC 6125 rules, as RFC 8461 4.2 asks).
     */
    SSLSocket startTls(SSLContext context, String serverName, boolean checkName) throws IOException {
        // Plaintext after the 220 would be read as if it came over TLS (the STARTTLS injection of
        // CVE-2011-0411, from the server's side): refused.
        ensureInStep();
        SSLSocket tls = (SSLSocket) context.getSocketFactory().createSocket(socket, serverName, socket.getPort(), true);
        SSLParameters parameters = tls.getSSLParameters();
        parameters.setServerNames(List.of(new SNIHostName(serverName)));
        parameters.setProtocols(new String[] {"TLSv1.3", "TLSv1.2"});
        // "HTTPS" is the JSSE's RFC 2818 name check; DANE does its own, and unauthenticated TLS none.
        parameters.setEndpointIdentificationAlgorithm(checkName ? "HTTPS" : null);
        tls.setSSLParameters(parameters);
        tls.setUseClientMode(true);
        // The handshake writes too: a peer that stops reading is cut off like one that stops during DATA.
        watch.writing();
        try {
            tls.startHandshake();
        } catch (IOException e) {
            throw explained(e);
        } finally {
            watch.written();
        }
        use(tls);
        return tls;
    }

    // A socket the watchdog closed fails with "Socket closed": say why instead.
    private IOException explained(IOException e) {
        String expired = watch.expired();
        if (expired != null) {
            return new IOException(expired, e);
        }
        if (e instanceof SocketTimeoutException) {
            return new IOException(
                    "no complete answer within " + limits.readTimeout().toSeconds() + " s (read timeout)", e);
        }
        return e;
    }

    /**
     * Closes the connection: under TLS with a close_notify first (RFC 8446 6.1), which the watchdog
     * cuts short after {@link #TLS_CLOSE_WAIT}; then the TCP socket, whatever the TLS layer did.
     */
    @Override
    public void close() {
        if (socket != tcp && watch.expired() == null && !tcp.isClosed()) {
            long now = System.nanoTime();
            watch.deadline(Math.min(watch.deadlineNanos() - now, TLS_CLOSE_WAIT.toNanos()) + now);
            try {
                socket.close();
            } catch (IOException e) {
                // The TCP socket is closed below either way.
            }
        }
        watch.close();
        try {
            tcp.close();
        } catch (IOException e) {
            // Nothing more to do with it.
        }
    }
}
