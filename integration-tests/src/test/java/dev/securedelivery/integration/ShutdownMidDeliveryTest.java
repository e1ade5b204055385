package dev.securedelivery.integration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.securedelivery.testing.SignedZone;
import dev.securedelivery.testing.TestSmtpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xbill.DNS.Type;

/**
 * James stopped while a delivery is in flight, on James's persistent (ActiveMQ) queue: the MX
 * accepted the connection and says nothing. The shutdown waits {@code shutdownWaitSeconds}, then
 * goes on; the message, never acknowledged, is still queued when James starts again, and is
 * delivered exactly once.
 */
class ShutdownMidDeliveryTest {
    @TempDir
    Path directory;

    private final Destinations world = new Destinations();
    private final List<Socket> held = new CopyOnWriteArrayList<>();
    private ServerSocket silent;
    private JamesUnderTest james;

    @AfterEach
    void stopEverything() throws Exception {
        if (james != null) {
            james.close();
        }
        closeSilentServer();
        world.close();
    }

    @Test
    void aDeliveryCutOffByShutdownStaysQueuedAndIsDeliveredOnceAfterTheRestart() throws Exception {
        InetAddress address = world.address();
        SignedZone zone = world.zone("stall.test", false);
        zone.add("stall.test.", Type.MX, "10 mx.stall.test.");
        zone.add("mx.stall.test.", Type.A, address.getHostAddress());
        silent = new ServerSocket();
        silent.setReuseAddress(true);
        silent.bind(new InetSocketAddress(address, world.smtpPort()));
        Thread accepting = new Thread(this::holdConnections, "silent-mx");
        accepting.setDaemon(true);
        accepting.start();
        world.start();
        Properties configuration = world.configuration(directory);
        Map<String, String> mailet = world.quicklyBouncingMailet();
        mailet.put("delayTime", "5 seconds");
        mailet.put("shutdownWaitSeconds", "1");
        james = JamesUnderTest.startWithPersistentQueue(directory.resolve("james"), mailet, configuration);

        james.send(Destinations.SENDER, "user@stall.test", "stalled", "Sent once, whatever the shutdown.");
        await().atMost(Duration.ofSeconds(30)).until(() -> !held.isEmpty());
        james.close();
        james = null;

        // The MX comes back to life where the silent one was.
        closeSilentServer();
        TestSmtpServer mx = TestSmtpServer.withStartTls(
                address, world.smtpPort(), world.ca().issue("mx.stall.test"));
        try (mx) {
            james = JamesUnderTest.startWithPersistentQueue(directory.resolve("james"), mailet, configuration);

            await().atMost(Duration.ofSeconds(60)).until(() -> !mx.received().isEmpty());
            Thread.sleep(2_000);
            assertThat(mx.received()).singleElement().satisfies(mail -> {
                assertThat(mail.recipients).containsExactly("user@stall.test");
                assertThat(mail.data).contains("Sent once, whatever the shutdown.");
            });
            assertThat(world.server("mx.sink.test").received()).isEmpty();
        }
    }

    // Accepts connections and never answers: a delivery in flight for as long as the read timeout.
    private void holdConnections() {
        while (!silent.isClosed()) {
            try {
                held.add(silent.accept());
            } catch (IOException e) {
                return;
            }
        }
    }

    private void closeSilentServer() throws IOException {
        if (silent != null) {
            silent.close();
        }
        for (Socket socket : held) {
            socket.close();
        }
    }
}
