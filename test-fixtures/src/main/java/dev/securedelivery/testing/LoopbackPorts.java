package dev.securedelivery.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Ports free right now on loopback addresses, for servers that must be told theirs in advance (a
 * James configuration, a DNS server's command line) and so bind it later.
 *
 * <p>They are picked below the kernel's ephemeral range ({@code net.ipv4.ip_local_port_range}), from
 * which every {@code bind(0)} and outgoing connection takes its port: in the time between the pick and
 * the bind, only another explicit bind can take the port, not any connection of any process on the
 * machine. Where that range cannot be read, or leaves no room below it, the system picks.
 */
public final class LoopbackPorts {
    private static final Path EPHEMERAL_RANGE = Path.of("/proc/sys/net/ipv4/ip_local_port_range");
    /** The lowest port picked: above the well-known and most registered services' ports. */
    private static final int LOWEST = 10_000;

    private static final int ATTEMPTS = 200;

    private static final Set<Integer> HANDED_OUT = ConcurrentHashMap.newKeySet();

    private LoopbackPorts() {}

    /** A TCP port free on {@code address}, never one this JVM handed out before. */
    public static int freeTcpPort(InetAddress address) {
        int below = ephemeralLow();
        if (below > LOWEST + 1) {
            OptionalInt port = freeTcpPort(address, LOWEST, below);
            if (port.isPresent()) {
                return port.getAsInt();
            }
        }
        try (ServerSocket socket = new ServerSocket(0, 1, address)) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A port from {@code low} (included) to {@code high} (excluded) free on {@code address} and not handed out yet. */
    static OptionalInt freeTcpPort(InetAddress address, int low, int high) {
        for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
            int port = ThreadLocalRandom.current().nextInt(low, high);
            // Two picks with nothing bound between them (James's ports) must not be the same.
            if (!HANDED_OUT.contains(port) && tcpFree(address, port) && HANDED_OUT.add(port)) {
                return OptionalInt.of(port);
            }
        }
        return OptionalInt.empty();
    }

    /** A port free for both UDP and TCP on 127.0.0.1, as a DNS server needs. */
    public static int freeUdpAndTcpPort() {
        InetAddress loopback = InetAddress.getLoopbackAddress();
        for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
            int port = freeTcpPort(loopback);
            try (DatagramSocket udp = new DatagramSocket(new InetSocketAddress(loopback, port))) {
                return port;
            } catch (IOException e) {
                // taken for UDP: try another
            }
        }
        throw new UncheckedIOException(new IOException("no port free for both UDP and TCP on 127.0.0.1"));
    }

    private static boolean tcpFree(InetAddress address, int port) {
        try (ServerSocket socket = new ServerSocket()) {
            socket.setReuseAddress(false);
            socket.bind(new InetSocketAddress(address, port), 1);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** The first port of the ephemeral range; 0 where it cannot be read. */
    static int ephemeralLow() {
        // A line at a time: Files.readString trusts the size procfs gives (none) and reads one byte.
        try (BufferedReader in = Files.newBufferedReader(EPHEMERAL_RANGE, StandardCharsets.US_ASCII)) {
            String line = in.readLine();
            return line == null ? 0 : Integer.parseInt(line.trim().split("\\s+")[0]);
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }
}
