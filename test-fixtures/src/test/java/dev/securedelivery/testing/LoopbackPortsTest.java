package dev.securedelivery.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import org.junit.jupiter.api.Test;

class LoopbackPortsTest {
    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

    @Test
    void aPortIsPickedBelowTheEphemeralRangeAndCanBeBound() throws Exception {
        int ephemeralLow = LoopbackPorts.ephemeralLow();
        assumeTrue(
                ephemeralLow > 20_000,
                "the ephemeral range (/proc/sys/net/ipv4/ip_local_port_range) leaves no room below it here;"
                        + " the system picks then");

        for (int i = 0; i < 20; i++) {
            int port = LoopbackPorts.freeTcpPort(LOOPBACK);
            // No bind(0) or outgoing connection of any process can take it before it is bound.
            assertThat(port).isBetween(10_000, ephemeralLow - 1);
            try (ServerSocket server = new ServerSocket(port, 1, LOOPBACK)) {
                assertThat(server.getLocalPort()).isEqualTo(port);
            }
        }
    }

    @Test
    void aDnsPortIsFreeForUdpAndTcp() throws Exception {
        int port = LoopbackPorts.freeUdpAndTcpPort();

        try (DatagramSocket udp = new DatagramSocket(new InetSocketAddress(LOOPBACK, port));
                ServerSocket tcp = new ServerSocket(port, 1, LOOPBACK)) {
            assertThat(udp.getLocalPort()).isEqualTo(tcp.getLocalPort());
        }
    }

    @Test
    void aPortInUseOrHandedOutBeforeIsNeverPicked() throws Exception {
        // Two ports to choose from, one held: every pick is the other, once.
        try (ServerSocket held = new ServerSocket()) {
            held.bind(new InetSocketAddress(LOOPBACK, 0));
            int port = held.getLocalPort();
            int other = port + 1;
            assumeTrue(free(other), "the port after " + port + " is taken here");

            assertThat(LoopbackPorts.freeTcpPort(LOOPBACK, port, port + 2)).hasValue(other);
            // Handed out now, though nothing is bound to it: not handed out again.
            assertThat(LoopbackPorts.freeTcpPort(LOOPBACK, port, port + 2)).isEmpty();
        }
    }

    private static boolean free(int port) {
        try (ServerSocket socket = new ServerSocket(port, 1, LOOPBACK)) {
            return true;
        } catch (java.io.IOException e) {
            return false;
        }
    }
}
