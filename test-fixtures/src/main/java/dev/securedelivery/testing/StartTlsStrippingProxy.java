package dev.securedelivery.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The attacker of RFC 8461 and RFC 7672: a man in the middle between a client and an SMTP server
 * that removes STARTTLS, either by hiding it from the EHLO reply or by answering the STARTTLS
 * command with 454 itself. It relays everything else line by line and keeps what the client said,
 * so a test can check that no message content passed it.
 */
public final class StartTlsStrippingProxy implements AutoCloseable {
    /** How STARTTLS is taken away. */
    public enum Variant {
        /** The EHLO reply no longer lists STARTTLS. */
        HIDE,
        /** STARTTLS stays listed, but the command is answered "454 4.7.0 TLS not available". */
        REFUSE_454
    }

    private final ServerSocket listener;
    private final InetSocketAddress target;
    private final Variant variant;
    private final StringBuffer fromClient = new StringBuffer();

    private StartTlsStrippingProxy(ServerSocket listener, InetSocketAddress target, Variant variant) {
        this.listener = listener;
        this.target = target;
        this.variant = variant;
        Thread acceptor = new Thread(this::accept, "starttls-stripping-proxy");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    /** A proxy on {@code address} (an ephemeral port) in front of {@code target}. */
    public static StartTlsStrippingProxy start(InetAddress address, InetSocketAddress target, Variant variant) {
        return start(address, 0, target, variant);
    }

    public static StartTlsStrippingProxy start(
            InetAddress address, int port, InetSocketAddress target, Variant variant) {
        try {
            return new StartTlsStrippingProxy(new ServerSocket(port, 50, address), target, variant);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public InetSocketAddress address() {
        return (InetSocketAddress) listener.getLocalSocketAddress();
    }

    /** Everything clients sent through the proxy. */
    public String seenFromClients() {
        return fromClient.toString();
    }

    private void accept() {
        while (!listener.isClosed()) {
            try {
                Socket client = listener.accept();
                Thread session = new Thread(() -> relay(client), "starttls-stripping-session");
                session.setDaemon(true);
                session.start();
            } catch (IOException e) {
                return;
            }
        }
    }

    private void relay(Socket client) {
        try (client;
                Socket server = new Socket()) {
            server.connect(target, 5000);
            client.setSoTimeout(30_000);
            server.setSoTimeout(30_000);
            BufferedReader fromServer =
                    new BufferedReader(new InputStreamReader(server.getInputStream(), StandardCharsets.ISO_8859_1));
            BufferedReader clientLines =
                    new BufferedReader(new InputStreamReader(client.getInputStream(), StandardCharsets.ISO_8859_1));
            OutputStream toClient = client.getOutputStream();
            OutputStream toServer = server.getOutputStream();
            relayReply(fromServer, toClient);
            String line;
            while ((line = clientLines.readLine()) != null) {
                fromClient.append(line).append('\n');
                if (variant == Variant.REFUSE_454 && line.trim().equalsIgnoreCase("STARTTLS")) {
                    write(toClient, "454 4.7.0 TLS not available due to local problem");
                    continue;
                }
                write(toServer, line);
                if (line.toUpperCase(Locale.ROOT).startsWith("DATA")) {
                    relayReply(fromServer, toClient);
                    relayData(clientLines, toServer);
                }
                if (!relayReply(fromServer, toClient)) {
                    return;
                }
            }
        } catch (IOException e) {
            // one side went away: the session is over
        }
    }

    // Copies a whole (possibly multi-line) reply, without STARTTLS in the HIDE variant.
    private boolean relayReply(BufferedReader fromServer, OutputStream toClient) throws IOException {
        List<String> lines = new ArrayList<>();
        String line;
        do {
            line = fromServer.readLine();
            if (line == null) {
                return false;
            }
            lines.add(line);
        } while (line.length() > 3 && line.charAt(3) == '-');
        if (variant == Variant.HIDE) {
            lines.removeIf(
                    reply -> reply.length() > 4 && reply.substring(4).trim().equalsIgnoreCase("STARTTLS"));
            for (int i = 0; i < lines.size(); i++) {
                String reply = lines.get(i);
                char separator = i == lines.size() - 1 ? ' ' : '-';
                lines.set(i, reply.substring(0, 3) + separator + (reply.length() > 4 ? reply.substring(4) : ""));
            }
        }
        for (String reply : lines) {
            write(toClient, reply);
        }
        return true;
    }

    private void relayData(BufferedReader clientLines, OutputStream toServer) throws IOException {
        String line;
        while ((line = clientLines.readLine()) != null) {
            fromClient.append(line).append('\n');
            write(toServer, line);
            if (line.equals(".")) {
                return;
            }
        }
    }

    private static void write(OutputStream out, String line) throws IOException {
        out.write((line + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
    }

    @Override
    public void close() {
        try {
            listener.close();
        } catch (IOException e) {
            // closing anyway
        }
    }
}
