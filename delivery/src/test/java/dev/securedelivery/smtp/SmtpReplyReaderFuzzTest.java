package dev.securedelivery.smtp;

import static org.assertj.core.api.Assertions.assertThatCode;

import com.code_intelligence.jazzer.api.BugDetectors;
import com.code_intelligence.jazzer.api.SilentCloseable;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * Coverage-guided fuzzing of the reply reader over TCP on 127.0.0.1 with the checks of {@link
 * SmtpReplyReaderPropertyTest#check}: each input is what the peer sends before it closes. Without
 * {@code -Pfuzz} only the seeds in {@code SmtpReplyReaderFuzzTestInputs} run.
 */
class SmtpReplyReaderFuzzTest {
    private static SmtpReplyReaderPropertyTest.ReplyServer server;

    @BeforeAll
    static void startServer() throws IOException {
        server = new SmtpReplyReaderPropertyTest.ReplyServer();
    }

    @AfterAll
    static void stopServer() throws IOException {
        server.close();
    }

    @FuzzTest
    void read(byte[] stream) {
        // Jazzer's SSRF detector would report the connection to the test's own peer.
        try (SilentCloseable loopback = BugDetectors.allowNetworkConnections((host, port) -> port == server.port())) {
            // The property test's check fails with an AssertionError where the reader departs from the model.
            assertThatCode(() -> SmtpReplyReaderPropertyTest.check(server, stream))
                    .doesNotThrowAnyException();
        }
    }
}
