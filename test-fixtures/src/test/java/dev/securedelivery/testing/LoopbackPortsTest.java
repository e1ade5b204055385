package dev.securedelivery.testing;

import static org.assertj.core.api.Assertions.assertThat;

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
        // Linux's default range, and what this machine and CI have.
        assertThat(ephemeralLow).isGreaterThan(20_000);

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
    void aPortInUseIsNeverPicked() throws Exception {
        // Hold a run of ports in use; none of them is handed out.
        try (ServerSocket held = new ServerSocket(0, 1, LOOPBACK)) {
            for (int i = 0; i < 50; i++) {
                assertThat(LoopbackPorts.freeTcpPort(LOOPBACK)).isNotEqualTo(held.getLocalPort());
            }
        }
    }
}
