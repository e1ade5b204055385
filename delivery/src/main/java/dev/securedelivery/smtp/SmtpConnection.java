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
 */
final class SmtpConnection implements AutoCloseable {
    private final SmtpLimits limits;
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
        this.watch = SessionWatchdog.watch(
                this::closeSocket, deadlineNanos, limits.writeTimeout().toNanos());
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

    /** Sends one command line (without CRLF). */
    void send(String command) throws IOException {
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
     * Whether the server sent bytes nobody asked for (a 421 before closing an idle session, or
     * anything else): such a session is out of step and is not used again.
     */
    boolean hasUnreadInput() {
        try {
            return in.available() > 0;
        } catch (IOException e) {
            return true;
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
                String line = readLine(deadline);
                bytes += line.length() + 2;
                if (bytes > limits.maxReplyBytes()) {
                    throw new SmtpProtocolException("a reply longer than " + limits.maxReplyBytes() + " bytes");
                }
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

    // A line ends with LF (a CR before it is dropped); longer than the bound, the reply is refused. The
    // reply's deadline holds across reads, so that a byte a second does not keep the read timeout away.
    private String readLine(long deadline) throws IOException {
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
                byte[] bytes = line.toByteArray();
                int length = bytes.length > 0 && bytes[bytes.length - 1] == '\r' ? bytes.length - 1 : bytes.length;
                return new String(bytes, 0, length, StandardCharsets.UTF_8);
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

    private void closeSocket() throws IOException {
        socket.close();
    }

    @Override
    public void close() {
        watch.close();
        try {
            socket.close();
        } catch (IOException e) {
            // Nothing more to do with it.
        }
    }
}
