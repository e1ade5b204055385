package dev.securedelivery.smtp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The reply reader's bounds against a real peer on 127.0.0.1: bytes as they come, not characters. */
class SmtpConnectionTest {
    private static SmtpReplyReaderPropertyTest.ReplyServer server;

    @BeforeAll
    static void start() throws Exception {
        server = new SmtpReplyReaderPropertyTest.ReplyServer();
    }

    @AfterAll
    static void stop() throws Exception {
        server.close();
    }

    @Test
    void aReplyIsBoundedInBytesWhateverItsCharactersTakeToEncode() throws Exception {
        // 20 lines of 1,333 three-byte characters: 80 KB, though 27,000 characters only.
        String line = "250-" + String.join("", Collections.nCopies(1333, "\u20ac")) + "\r\n";
        ByteArrayOutputStream stream = new ByteArrayOutputStream();
        for (int i = 0; i < 20; i++) {
            stream.write(line.getBytes(StandardCharsets.UTF_8));
        }
        stream.write("250 end\r\n".getBytes(StandardCharsets.US_ASCII));
        assertThat(line.getBytes(StandardCharsets.UTF_8).length).isLessThan(SmtpLimits.DEFAULT.maxReplyLineBytes());
        server.next(stream.toByteArray());

        try (SmtpConnection connection =
                SmtpConnection.open(server.address(), null, SmtpLimits.DEFAULT, SmtpLimits.DEFAULT.sessionLimit())) {
            assertThatThrownBy(connection::readReply)
                    .isInstanceOf(SmtpProtocolException.class)
                    .hasMessage("a reply longer than 65536 bytes");
        }
    }

    @Test
    void aReplyJustWithinTheBoundInBytesIsRead() throws Exception {
        // 15 such lines: 60 KB, under 64 KiB.
        String line = "250-" + String.join("", Collections.nCopies(1333, "\u20ac")) + "\r\n";
        ByteArrayOutputStream stream = new ByteArrayOutputStream();
        for (int i = 0; i < 15; i++) {
            stream.write(line.getBytes(StandardCharsets.UTF_8));
        }
        stream.write("250 end\r\n".getBytes(StandardCharsets.US_ASCII));
        server.next(stream.toByteArray());

        try (SmtpConnection connection =
                SmtpConnection.open(server.address(), null, SmtpLimits.DEFAULT, SmtpLimits.DEFAULT.sessionLimit())) {
            assertThat(connection.readReply().lines()).hasSize(16);
        }
    }
}
