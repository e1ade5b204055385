package dev.securedelivery.testing;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.xbill.DNS.ExtendedFlags;
import org.xbill.DNS.Message;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Resolver;
import org.xbill.DNS.Section;

/**
 * A DNS server on 127.0.0.1 (UDP and TCP, one port) that answers every query with whatever bytes
 * the test computes from the query's bytes: malformed, oversized or otherwise hostile responses
 * that no well-behaved server would send. Like a real server, it sends a response longer than
 * {@value #UDP_LIMIT} bytes over UDP as its header alone with the TC flag set, so that the client
 * asks again over TCP.
 */
public final class RawDnsServer implements AutoCloseable {
    static final int UDP_LIMIT = 1232;

    private final DatagramSocket udp;
    private final ServerSocket tcp;
    private final UnaryOperator<byte[]> responder;

    private RawDnsServer(DatagramSocket udp, ServerSocket tcp, UnaryOperator<byte[]> responder) {
        this.udp = udp;
        this.tcp = tcp;
        this.responder = responder;
        start(this::serveUdp, "raw-dns-udp");
        start(this::serveTcp, "raw-dns-tcp");
    }

    /** Starts a server answering each query with {@code responder.apply(query)} (null: no answer). */
    public static RawDnsServer start(UnaryOperator<byte[]> responder) {
        for (int attempt = 0; attempt < 50; attempt++) {
            try {
                ServerSocket tcp = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
                try {
                    DatagramSocket udp = new DatagramSocket(
                            new InetSocketAddress(InetAddress.getLoopbackAddress(), tcp.getLocalPort()));
                    return new RawDnsServer(udp, tcp, responder);
                } catch (IOException e) {
                    tcp.close();
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        throw new UncheckedIOException(new IOException("no port free for both UDP and TCP"));
    }

    /**
     * A real DNS server (UDP and TCP on 127.0.0.1) answering from an in-JVM upstream, e.g. zones
     * signed in the test: what James's configured resolver can be pointed at.
     */
    public static RawDnsServer serving(Resolver upstream) {
        return start(query -> {
            try {
                Message request = new Message(query);
                Message response =
                        upstream.sendAsync(request).toCompletableFuture().get(5, TimeUnit.SECONDS);
                // Keep EDNS with DO, so that the answer may be large and signatures pass through.
                if (request.getOPT() != null && response.getOPT() == null) {
                    response.addRecord(new OPTRecord(1232, 0, 0, ExtendedFlags.DO), Section.ADDITIONAL);
                }
                return response.toWire(65535);
            } catch (Exception e) {
                return null;
            }
        });
    }

    public InetSocketAddress address() {
        return new InetSocketAddress(InetAddress.getLoopbackAddress(), tcp.getLocalPort());
    }

    private static void start(Runnable loop, String name) {
        Thread thread = new Thread(loop, name);
        thread.setDaemon(true);
        thread.start();
    }

    private void serveUdp() {
        byte[] buffer = new byte[65535];
        while (!udp.isClosed()) {
            try {
                DatagramPacket packet = new DatagramPacket(buffer, buffer.length);
                udp.receive(packet);
                byte[] response = responder.apply(Arrays.copyOf(packet.getData(), packet.getLength()));
                if (response != null && response.length > UDP_LIMIT) {
                    response = truncated(response);
                }
                if (response != null) {
                    udp.send(new DatagramPacket(response, response.length, packet.getSocketAddress()));
                }
            } catch (IOException e) {
                return;
            }
        }
    }

    // The header alone, TC set, every count zero but the question's, then the question itself.
    private static byte[] truncated(byte[] response) {
        int questionEnd = 12;
        while (response[questionEnd] != 0) {
            questionEnd += (response[questionEnd] & 0xff) + 1;
        }
        questionEnd += 5;
        byte[] header = Arrays.copyOf(response, questionEnd);
        header[2] |= 0x02;
        for (int i = 6; i < 12; i++) {
            header[i] = 0;
        }
        return header;
    }

    private void serveTcp() {
        while (!tcp.isClosed()) {
            try (Socket client = tcp.accept()) {
                client.setSoTimeout(5000);
                DataInputStream in = new DataInputStream(client.getInputStream());
                byte[] query = new byte[in.readUnsignedShort()];
                in.readFully(query);
                byte[] response = responder.apply(query);
                if (response != null) {
                    DataOutputStream out = new DataOutputStream(client.getOutputStream());
                    out.writeShort(response.length);
                    out.write(response);
                    out.flush();
                }
            } catch (IOException e) {
                if (tcp.isClosed()) {
                    return;
                }
            }
        }
    }

    @Override
    public void close() {
        udp.close();
        try {
            tcp.close();
        } catch (IOException e) {
            // closing anyway
        }
    }
}
