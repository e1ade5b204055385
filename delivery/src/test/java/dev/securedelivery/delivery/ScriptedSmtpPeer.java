package dev.securedelivery.delivery;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;

/**
 * An SMTP server on a loopback address that answers each stage of a session as its script says:
 * the normal reply, a 4xx, a 5xx, a dropped connection, a positive reply that is not the one due
 * (a 3xx, or a 250 to DATA), a 1xx, or the normal reply with an unsolicited line after it. It offers
 * STARTTLS when given a TLS context, may take at most so many recipients a transaction (452 4.5.3
 * after that), and may send a stale line while a session sits idle after a message. It keeps every
 * RCPT TO it saw per session and every message it accepted (after 354, the content and its 250,
 * with the recipients it was accepted for), so that tests count copies.
 */
final class ScriptedSmtpPeer implements AutoCloseable {
    /** The stages a script answers. */
    enum Stage {
        GREETING,
        EHLO,
        STARTTLS,
        TLS_EHLO,
        MAIL,
        RCPT,
        DATA,
        END_OF_DATA,
        QUIT
    }

    /** How a stage is answered. */
    enum Answer {
        OK,
        TRANSIENT,
        PERMANENT,
        DROP,
        /** A positive reply other than the one due: 250 to DATA, a 3xx to every other command. */
        WRONG_SUCCESS,
        /** A 1xx, which no SMTP command has (RFC 5321 4.2.1). */
        PRELIMINARY,
        /** The normal reply, and an unsolicited 250 line after it in the same write. */
        UNSOLICITED;

        /** Whether the server goes on as after its normal reply. */
        boolean proceeds() {
            return this == OK || this == UNSOLICITED;
        }
    }

    /** A script: one answer per stage, and one per RCPT in order (missing ones are OK). */
    static final class Script {
        final Map<Stage, Answer> stages = new EnumMap<>(Stage.class);
        final List<Answer> recipients = new ArrayList<>();
        int recipientCap = Integer.MAX_VALUE;
        boolean staleLineWhileIdle;

        /** At most {@code most} recipients a transaction: 452 4.5.3 to each RCPT past that. */
        Script cap(int most) {
            recipientCap = most;
            return this;
        }

        /** After each message it took, a 250 line in its own write (its own TLS record), 100 ms later. */
        Script staleLineWhileIdle() {
            staleLineWhileIdle = true;
            return this;
        }

        Script at(Stage stage, Answer answer) {
            stages.put(stage, answer);
            return this;
        }

        Script rcpt(Answer... answers) {
            recipients.addAll(List.of(answers));
            return this;
        }

        Answer answer(Stage stage) {
            return stages.getOrDefault(stage, Answer.OK);
        }

        Answer rcpt(int index) {
            return index < recipients.size() ? recipients.get(index) : Answer.OK;
        }

        @Override
        public String toString() {
            return stages + " rcpt " + recipients + (recipientCap == Integer.MAX_VALUE ? "" : " cap " + recipientCap);
        }
    }

    /** One accepted message. */
    static final class Accepted {
        final List<String> recipients;
        final String data;

        Accepted(List<String> recipients, String data) {
            this.recipients = List.copyOf(recipients);
            this.data = data;
        }
    }

    private final ServerSocket server;
    private final SSLContext tls;
    private final Script script;
    private final List<Accepted> accepted = new CopyOnWriteArrayList<>();
    private final List<List<String>> rcptsPerSession = new CopyOnWriteArrayList<>();
    private final List<String> commands = new CopyOnWriteArrayList<>();
    private final Semaphore staleLinesSent = new Semaphore(0);
    private final Thread thread;

    private ScriptedSmtpPeer(InetAddress address, int port, SSLContext tls, Script script) throws IOException {
        this.server = new ServerSocket();
        try {
            server.setReuseAddress(true);
            server.bind(new InetSocketAddress(address, port));
        } catch (IOException e) {
            server.close();
            throw e;
        }
        this.tls = tls;
        this.script = script;
        this.thread = new Thread(this::serve, "scripted-smtp-peer");
        thread.setDaemon(true);
        thread.start();
    }

    /** A peer on a port the system picks now, so that no other process can take it in between. */
    static ScriptedSmtpPeer start(InetAddress address, SSLContext tls, Script script) throws IOException {
        return new ScriptedSmtpPeer(address, 0, tls, script);
    }

    /**
     * Two peers on one port (the delivery uses one SMTP port for every MX host): the second is bound
     * to the port the system gave the first, and both are started again if another process holds
     * that port on the second address.
     */
    static PeersOnOnePort startOnOnePort(
            InetAddress firstAddress, Script first, InetAddress secondAddress, Script second) throws IOException {
        return startOnOnePort(firstAddress, null, first, secondAddress, null, second);
    }

    /** {@link #startOnOnePort(InetAddress, Script, InetAddress, Script)}, each offering STARTTLS with its context if given. */
    static PeersOnOnePort startOnOnePort(
            InetAddress firstAddress,
            SSLContext firstTls,
            Script first,
            InetAddress secondAddress,
            SSLContext secondTls,
            Script second)
            throws IOException {
        BindException last = null;
        for (int attempt = 0; attempt < 20; attempt++) {
            ScriptedSmtpPeer one = start(firstAddress, firstTls, first);
            try {
                return new PeersOnOnePort(one, new ScriptedSmtpPeer(secondAddress, one.port(), secondTls, second));
            } catch (IOException | RuntimeException e) {
                try {
                    one.close();
                } catch (IOException closing) {
                    e.addSuppressed(closing);
                }
                if (!(e instanceof BindException)) {
                    throw e;
                }
                last = (BindException) e;
            }
        }
        throw last;
    }

    /** Two peers that share a port number, closed together. */
    static final class PeersOnOnePort implements AutoCloseable {
        final ScriptedSmtpPeer first;
        final ScriptedSmtpPeer second;

        private PeersOnOnePort(ScriptedSmtpPeer first, ScriptedSmtpPeer second) {
            this.first = first;
            this.second = second;
        }

        int port() {
            return first.port();
        }

        @Override
        public void close() throws IOException {
            try (first) {
                second.close();
            }
        }
    }

    int port() {
        return server.getLocalPort();
    }

    List<Accepted> accepted() {
        return List.copyOf(accepted);
    }

    /** Every session's RCPT TO addresses, in order. */
    List<List<String>> rcptsPerSession() {
        return List.copyOf(rcptsPerSession);
    }

    /** Every command line received, in order, sessions one after another. */
    List<String> commands() {
        return List.copyOf(commands);
    }

    /** Waits until a stale line was written (and flushed) while a session sat idle. */
    void awaitStaleLine() throws InterruptedException {
        if (!staleLinesSent.tryAcquire(10, TimeUnit.SECONDS)) {
            throw new IllegalStateException("no stale line was sent within 10 s");
        }
    }

    private void serve() {
        while (!server.isClosed()) {
            try (Socket socket = server.accept()) {
                socket.setSoTimeout(10_000);
                session(socket);
            } catch (IOException e) {
                // The session ended; the next one is served.
            }
        }
    }

    private void session(Socket plain) throws IOException {
        List<String> rcpts = new CopyOnWriteArrayList<>();
        rcptsPerSession.add(rcpts);
        Socket socket = plain;
        if (!reply(
                socket,
                script.answer(Stage.GREETING),
                "220 peer.test ESMTP",
                "421 4.3.2 not now",
                "554 5.7.1 no service",
                "354 not a greeting")) {
            return;
        }
        BufferedReader in = reader(socket);
        boolean secured = false;
        List<String> recipients = new ArrayList<>();
        int rcptIndex = 0;
        while (true) {
            String line = in.readLine();
            if (line == null) {
                return;
            }
            commands.add(line);
            String command = line.length() >= 4 ? line.substring(0, 4).toUpperCase(Locale.ROOT) : line;
            switch (command) {
                case "EHLO": {
                    Stage stage = secured ? Stage.TLS_EHLO : Stage.EHLO;
                    String ok = "250-peer.test\r\n250-8BITMIME\r\n"
                            + (tls != null && !secured ? "250-STARTTLS\r\n" : "") + "250 SIZE 10000000";
                    if (!reply(
                            socket,
                            script.answer(stage),
                            ok,
                            "421 4.3.2 busy",
                            "550 5.5.1 no EHLO for you",
                            "354 not an answer to EHLO")) {
                        return;
                    }
                    break;
                }
                case "HELO":
                    write(socket, "250 peer.test");
                    break;
                case "STAR": {
                    if (!reply(
                            socket,
                            script.answer(Stage.STARTTLS),
                            "220 2.0.0 go ahead",
                            "454 4.7.0 TLS not available",
                            "554 5.7.0 no TLS",
                            "354 not an answer to STARTTLS")) {
                        return;
                    }
                    if (script.answer(Stage.STARTTLS).proceeds()) {
                        SSLSocket ssl =
                                (SSLSocket) tls.getSocketFactory().createSocket(socket, null, socket.getPort(), true);
                        ssl.setUseClientMode(false);
                        ssl.startHandshake();
                        socket = ssl;
                        in = reader(socket);
                        secured = true;
                    }
                    break;
                }
                case "MAIL":
                    recipients.clear();
                    rcptIndex = 0;
                    if (!reply(
                            socket,
                            script.answer(Stage.MAIL),
                            "250 2.1.0 ok",
                            "451 4.3.0 try later",
                            "550 5.7.1 sender refused",
                            "354 not an answer to MAIL")) {
                        return;
                    }
                    break;
                case "RCPT": {
                    int open = line.indexOf('<');
                    int close = line.lastIndexOf('>');
                    if (open < 0 || close < open) {
                        write(socket, "501 5.5.4 syntax: RCPT TO:<address>");
                        break;
                    }
                    String address = line.substring(open + 1, close);
                    rcpts.add(address);
                    if (recipients.size() >= script.recipientCap) {
                        write(socket, "452 4.5.3 too many recipients");
                        break;
                    }
                    Answer answer = script.rcpt(rcptIndex++);
                    if (!reply(
                            socket,
                            answer,
                            "250 2.1.5 ok",
                            "450 4.2.1 mailbox busy",
                            "550 5.1.1 no such user",
                            "354 not an answer to RCPT")) {
                        return;
                    }
                    if (answer.proceeds()) {
                        recipients.add(address);
                    }
                    break;
                }
                case "DATA": {
                    if (!reply(
                            socket,
                            script.answer(Stage.DATA),
                            "354 go on",
                            "451 4.3.0 not now",
                            "554 5.6.0 no data for you",
                            "250 2.0.0 Ok")) {
                        return;
                    }
                    if (!script.answer(Stage.DATA).proceeds()) {
                        break;
                    }
                    StringBuilder data = new StringBuilder();
                    for (String next = in.readLine(); !".".equals(next); next = in.readLine()) {
                        if (next == null) {
                            // Gone before the end of the content: nothing taken.
                            return;
                        }
                        data.append(next.startsWith(".") ? next.substring(1) : next)
                                .append('\n');
                    }
                    if (script.answer(Stage.END_OF_DATA).proceeds()) {
                        // Counted before the reply leaves: a client that has it may look at once.
                        accepted.add(new Accepted(recipients, data.toString()));
                    }
                    if (!reply(
                            socket,
                            script.answer(Stage.END_OF_DATA),
                            "250 2.0.0 queued",
                            "451 4.3.0 disk full",
                            "554 5.6.0 content refused",
                            "354 not an answer to the end of DATA")) {
                        return;
                    }
                    recipients.clear();
                    rcptIndex = 0;
                    if (script.staleLineWhileIdle) {
                        sleep(100);
                        write(socket, "250 2.0.0 stale, for nothing asked");
                        staleLinesSent.release();
                    }
                    break;
                }
                case "RSET":
                    recipients.clear();
                    rcptIndex = 0;
                    write(socket, "250 2.0.0 reset");
                    break;
                case "QUIT":
                    reply(
                            socket,
                            script.answer(Stage.QUIT),
                            "221 2.0.0 bye",
                            "421 4.0.0 bye",
                            "554 5.0.0 bye",
                            "354 not an answer to QUIT");
                    return;
                default:
                    write(socket, "502 5.5.2 unknown command");
            }
        }
    }

    private static BufferedReader reader(Socket socket) throws IOException {
        return new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
    }

    // False when the connection is dropped.
    private static boolean reply(
            Socket socket, Answer answer, String ok, String transientReply, String permanent, String wrongSuccess)
            throws IOException {
        switch (answer) {
            case OK:
                write(socket, ok);
                return true;
            case TRANSIENT:
                write(socket, transientReply);
                return true;
            case PERMANENT:
                write(socket, permanent);
                return true;
            case WRONG_SUCCESS:
                write(socket, wrongSuccess);
                return true;
            case PRELIMINARY:
                write(socket, "150 wait for it");
                return true;
            case UNSOLICITED:
                // One write: the extra line arrives with the reply, in one TCP segment or TLS record.
                write(socket, ok + "\r\n250 2.0.0 unsolicited");
                return true;
            default:
                socket.close();
                return false;
        }
    }

    private static void sleep(long millis) throws IOException {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    private static void write(Socket socket, String reply) throws IOException {
        OutputStream out = socket.getOutputStream();
        out.write((reply + "\r\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    @Override
    public void close() throws IOException {
        server.close();
        thread.interrupt();
    }
}
