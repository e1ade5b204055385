package dev.securedelivery.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;

/**
 * An SMTP server on a loopback address that attacks the client as an MX chosen by a hostile domain
 * would: it counts the connections it was given and the bytes it managed to write, so that a test can
 * show a bound holding.
 */
public final class HostileSmtpServer implements AutoCloseable {
    /** What the server does to every connection. */
    public enum Attack {
        /** Accepts and says nothing: a black-holed MX. */
        SILENT,
        /** Greets, then answers EHLO with {@code 250-} lines that never end. */
        ENDLESS_EHLO,
        /** Sends its greeting a byte at a time, {@link #TRICKLE_MILLIS} apart, forever. */
        TRICKLE,
        /** Takes the session up to DATA's 354, then never reads again. */
        STOP_READING_IN_DATA,
        /** Greets and answers EHLO, then answers MAIL FROM with a 421: a session that took nothing. */
        TEMPORARY_FAILURE_AT_MAIL,
        /**
         * Offers STARTTLS, answers it with 220, then after {@link #SLOW_TLS_MILLIS} sends bytes that are
         * no TLS; a session that does not ask for STARTTLS hears nothing after MAIL FROM.
         */
        SLOW_BROKEN_TLS
    }

    public static final long SLOW_TLS_MILLIS = 2_000;

    public static final long TRICKLE_MILLIS = 200;

    private final ServerSocket server;
    private final Attack attack;
    private final SSLContext tls;
    private final AtomicInteger connections = new AtomicInteger();
    private final AtomicLong bytesWritten = new AtomicLong();
    private final List<Socket> open = new CopyOnWriteArrayList<>();
    private final Thread acceptor;

    private HostileSmtpServer(InetAddress address, int port, Attack attack, SSLContext tls) throws IOException {
        this.server = new ServerSocket();
        server.setReuseAddress(true);
        server.bind(new InetSocketAddress(address, port), 1000);
        this.attack = attack;
        this.tls = tls;
        this.acceptor = new Thread(this::accept, "hostile-smtp-" + attack);
        acceptor.setDaemon(true);
        acceptor.start();
    }

    /** Starts the attack on {@code address}, on a free port if {@code port} is 0. */
    public static HostileSmtpServer start(String address, int port, Attack attack) throws IOException {
        return new HostileSmtpServer(InetAddress.getByName(address), port, attack, null);
    }

    /**
     * The attack over TLS where it talks SMTP ({@link Attack#STOP_READING_IN_DATA}, {@link
     * Attack#TEMPORARY_FAILURE_AT_MAIL}): STARTTLS is offered and taken with {@code tls}'s
     * certificate, and the attack goes on inside TLS.
     */
    public static HostileSmtpServer startWithTls(String address, int port, Attack attack, SSLContext tls)
            throws IOException {
        return new HostileSmtpServer(InetAddress.getByName(address), port, attack, tls);
    }

    public int port() {
        return server.getLocalPort();
    }

    public InetAddress address() {
        return server.getInetAddress();
    }

    /** How many connections it was given. */
    public int connections() {
        return connections.get();
    }

    /** How many bytes it wrote before the client stopped reading or left (kernel buffers included). */
    public long bytesWritten() {
        return bytesWritten.get();
    }

    private void accept() {
        while (!server.isClosed()) {
            try {
                Socket socket = server.accept();
                connections.incrementAndGet();
                open.add(socket);
                Thread session = new Thread(() -> serve(socket), "hostile-smtp-session");
                session.setDaemon(true);
                session.start();
            } catch (IOException e) {
                return;
            }
        }
    }

    private void serve(Socket socket) {
        try (socket) {
            OutputStream out = socket.getOutputStream();
            BufferedReader in =
                    new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII));
            switch (attack) {
                case SILENT:
                    // Hold the connection open until the client gives up.
                    while (in.read() != -1) {
                        continue;
                    }
                    return;
                case TRICKLE:
                    byte[] greeting = "220 mx.test slowly, very slowly, one byte at a time\r\n"
                            .getBytes(StandardCharsets.US_ASCII);
                    for (int i = 0; ; i = (i + 1) % (greeting.length - 2)) {
                        write(out, new byte[] {greeting[i]});
                        Thread.sleep(TRICKLE_MILLIS);
                    }
                case ENDLESS_EHLO:
                    write(out, "220 mx.test\r\n");
                    in.readLine();
                    byte[] line = "250-an extension nobody asked for, again and again\r\n"
                            .getBytes(StandardCharsets.US_ASCII);
                    while (true) {
                        write(out, line);
                    }
                case STOP_READING_IN_DATA:
                case TEMPORARY_FAILURE_AT_MAIL:
                case SLOW_BROKEN_TLS:
                    write(out, "220 mx.test\r\n");
                    converse(socket, in, out);
                    return;
                default:
                    throw new IllegalStateException(attack.toString());
            }
        } catch (IOException | InterruptedException e) {
            // The client left, as it should.
        }
    }

    private void converse(Socket socket, BufferedReader reader, OutputStream writer)
            throws IOException, InterruptedException {
        BufferedReader in = reader;
        OutputStream out = writer;
        boolean secured = false;
        String command;
        while ((command = in.readLine()) != null) {
            String verb = command.length() >= 4 ? command.substring(0, 4).toUpperCase(Locale.ROOT) : command;
            switch (verb) {
                case "EHLO":
                    boolean offer = (tls != null && !secured) || attack == Attack.SLOW_BROKEN_TLS;
                    write(out, offer ? "250-mx.test\r\n250 STARTTLS\r\n" : "250 mx.test\r\n");
                    break;
                case "STAR":
                    if (attack == Attack.SLOW_BROKEN_TLS) {
                        write(out, "220 2.0.0 go ahead\r\n");
                        Thread.sleep(SLOW_TLS_MILLIS);
                        write(out, "this is no TLS record at all\r\n");
                        in.read();
                        return;
                    }
                    write(out, "220 2.0.0 go ahead\r\n");
                    SSLSocket ssl =
                            (SSLSocket) tls.getSocketFactory().createSocket(socket, null, socket.getPort(), true);
                    ssl.setUseClientMode(false);
                    ssl.startHandshake();
                    open.add(ssl);
                    in = new BufferedReader(new InputStreamReader(ssl.getInputStream(), StandardCharsets.US_ASCII));
                    out = ssl.getOutputStream();
                    secured = true;
                    break;
                case "MAIL":
                    if (attack == Attack.TEMPORARY_FAILURE_AT_MAIL) {
                        write(out, "421 4.3.2 not today\r\n");
                        return;
                    }
                    if (attack == Attack.SLOW_BROKEN_TLS) {
                        // Silent until the client gives up.
                        while (in.read() != -1) {
                            continue;
                        }
                        return;
                    }
                    write(out, "250 2.1.0 ok\r\n");
                    break;
                case "RCPT":
                    write(out, "250 2.1.5 ok\r\n");
                    break;
                case "DATA":
                    write(out, "354 go ahead\r\n");
                    // Never read again: the client's writes fill the socket buffers and then block.
                    Thread.sleep(Long.MAX_VALUE);
                    return;
                default:
                    write(out, "221 2.0.0 bye\r\n");
                    return;
            }
        }
    }

    private void write(OutputStream out, String text) throws IOException {
        write(out, text.getBytes(StandardCharsets.US_ASCII));
    }

    private void write(OutputStream out, byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
        bytesWritten.addAndGet(bytes.length);
    }

    @Override
    public void close() throws IOException {
        server.close();
        for (Socket socket : open) {
            try {
                socket.close();
            } catch (IOException e) {
                // Already gone.
            }
        }
    }
}
