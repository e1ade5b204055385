package dev.securedelivery.smtp;

import static org.assertj.core.api.Assertions.assertThat;

import dev.securedelivery.testing.HostileBytes;
import dev.securedelivery.testing.HostileText;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import net.jqwik.api.statistics.Statistics;

/**
 * The reply reader of {@link SmtpConnection} under hostile bytes, over a real TCP connection on
 * 127.0.0.1: replies, multi-line replies and several replies in a row, with random edits (CR, LF
 * and NUL inserted, codes changed, lines repeated past the bounds, the stream cut short), and
 * random bytes. Each stream, sent and closed by the peer, ends in a reply or an {@link
 * IOException} ({@link SmtpProtocolException} for a broken protocol or bound), exactly as a model
 * of RFC 5321 4.2 and of the bounds says, never in anything else.
 */
class SmtpReplyReaderPropertyTest {
    /** Small bounds, so that edits cross them: 512 bytes a line (RFC 5321 4.5.3.1.5), 8 lines (never 64 KiB). */
    static final SmtpLimits LIMITS =
            SmtpLimits.DEFAULT.withReplyBounds(512, 8, 65_536).withReadTimeout(Duration.ofSeconds(30));

    private static ReplyServer server;

    @BeforeContainer
    static void startServer() throws IOException {
        server = new ReplyServer();
    }

    @AfterContainer
    static void stopServer() throws IOException {
        server.close();
    }

    @Property
    void everyStreamEndsInAReplyOrAnIoException(@ForAll("streams") byte[] stream) {
        Statistics.label("outcome").collect(expected(stream).outcome);
        check(server, stream);
    }

    /**
     * Sends {@code stream} and closes, reads one reply: the outcome must be the model's ({@link
     * #expected}): the same code and number of lines, a protocol error, or a closed connection.
     * Lines are cleaned, messages fit for a log.
     */
    static void check(ReplyServer server, byte[] stream) {
        Expected expected = expected(stream);
        SmtpReply reply;
        try {
            server.next(stream);
            try (SmtpConnection connection =
                    SmtpConnection.open(server.address(), null, LIMITS, LIMITS.sessionLimit())) {
                reply = connection.readReply();
            }
        } catch (SmtpProtocolException e) {
            assertThat(expected.outcome)
                    .as("a protocol error for %s", HostileText.escaped(latin1(stream)))
                    .isEqualTo(Outcome.PROTOCOL_ERROR);
            HostileText.assertLogSafe("the message", e.getMessage(), true);
            return;
        } catch (IOException e) {
            assertThat(expected.outcome)
                    .as("%s for %s", e, HostileText.escaped(latin1(stream)))
                    .isEqualTo(Outcome.CLOSED);
            HostileText.assertLogSafe("the message", e.getMessage(), true);
            return;
        }
        assertThat(expected.outcome)
                .as("a reply for %s", HostileText.escaped(latin1(stream)))
                .isEqualTo(Outcome.REPLY);
        assertThat(reply.code()).isEqualTo(expected.code);
        assertThat(reply.lines()).hasSize(expected.lines);
        assertThat(reply.lines().size()).isLessThanOrEqualTo(LIMITS.maxReplyLines());
        for (String line : reply.lines()) {
            HostileText.assertLogSafe("a line", line, true);
        }
    }

    enum Outcome {
        REPLY,
        PROTOCOL_ERROR,
        CLOSED
    }

    /** What reading the first reply of {@code stream} must give. */
    static final class Expected {
        final Outcome outcome;
        final int code;
        final int lines;

        Expected(Outcome outcome, int code, int lines) {
            this.outcome = outcome;
            this.code = code;
            this.lines = lines;
        }
    }

    /**
     * The model: lines end in LF (a CR before it dropped) and hold at most 512 bytes before it; each
     * is a code 200 to 599, then "-" (more lines follow), " " or nothing (the last line); one code
     * throughout; at most 8 lines; a stream that ends before the last line is a closed connection.
     */
    static Expected expected(byte[] stream) {
        int position = 0;
        int code = -1;
        int lines = 0;
        while (true) {
            int end = position;
            while (end < stream.length && stream[end] != '\n') {
                if (end - position >= LIMITS.maxReplyLineBytes()) {
                    return new Expected(Outcome.PROTOCOL_ERROR, 0, 0);
                }
                end++;
            }
            if (end == stream.length) {
                return new Expected(Outcome.CLOSED, 0, 0);
            }
            int lineEnd = end > position && stream[end - 1] == '\r' ? end - 1 : end;
            int length = lineEnd - position;
            if (length < 3
                    || !isCode(stream, position)
                    || (length > 3 && stream[position + 3] != ' ' && stream[position + 3] != '-')) {
                return new Expected(Outcome.PROTOCOL_ERROR, 0, 0);
            }
            int lineCode =
                    (stream[position] - '0') * 100 + (stream[position + 1] - '0') * 10 + stream[position + 2] - '0';
            if (code != -1 && lineCode != code) {
                return new Expected(Outcome.PROTOCOL_ERROR, 0, 0);
            }
            code = lineCode;
            lines++;
            if (length == 3 || stream[position + 3] == ' ') {
                return new Expected(Outcome.REPLY, code, lines);
            }
            if (lines >= LIMITS.maxReplyLines()) {
                return new Expected(Outcome.PROTOCOL_ERROR, 0, 0);
            }
            position = end + 1;
        }
    }

    private static boolean isCode(byte[] stream, int at) {
        return stream[at] >= '2'
                && stream[at] <= '5'
                && stream[at + 1] >= '0'
                && stream[at + 1] <= '9'
                && stream[at + 2] >= '0'
                && stream[at + 2] <= '9';
    }

    private static String latin1(byte[] bytes) {
        return new String(bytes, 0, Math.min(bytes.length, 300), StandardCharsets.ISO_8859_1);
    }

    @Provide
    Arbitrary<byte[]> streams() {
        Arbitrary<byte[]> valid = validStreams().map(text -> text.getBytes(StandardCharsets.UTF_8));
        Arbitrary<byte[]> textEdits = HostileText.mutationsOf(
                        validStreams(), "\r\n", "\n", "\r", "250-", "250 ", "550 ", "-", " ")
                .map(text -> text.getBytes(StandardCharsets.UTF_8));
        return Arbitraries.frequencyOf(Tuple.of(5, HostileBytes.hostile(valid)), Tuple.of(4, textEdits));
    }

    /** Replies as servers send them: a greeting, an EHLO reply, refusals with enhanced codes; CRLF or LF. */
    static Arbitrary<String> validStreams() {
        Arbitrary<Integer> code = Arbitraries.of(220, 221, 250, 354, 421, 450, 451, 550, 554);
        Arbitrary<String> text = Arbitraries.of(
                "mx.example.test ESMTP",
                "2.1.0 OK",
                "5.1.1 no such user",
                "STARTTLS",
                "SIZE 35882577",
                "8BITMIME",
                "",
                "4.7.0 try again");
        Arbitrary<String> reply = Combinators.combine(
                        code, text.list().ofMinSize(1).ofMaxSize(5), Arbitraries.of("\r\n", "\n"))
                .as((c, lines, end) -> {
                    StringBuilder out = new StringBuilder();
                    for (int i = 0; i < lines.size(); i++) {
                        boolean last = i == lines.size() - 1;
                        out.append(c)
                                .append(last ? lines.get(i).isEmpty() ? "" : " " : "-")
                                .append(lines.get(i))
                                .append(end);
                    }
                    return out.toString();
                });
        return reply.list().ofMinSize(1).ofMaxSize(2).map(replies -> String.join("", replies));
    }

    /** A peer on 127.0.0.1 that, for each connection, sends the next stream and closes. */
    static final class ReplyServer implements AutoCloseable {
        private final ServerSocket socket;
        private final BlockingQueue<byte[]> streams = new LinkedBlockingQueue<>();
        private final Thread thread;

        ReplyServer() throws IOException {
            socket = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
            thread = new Thread(this::serve, "reply-server");
            thread.setDaemon(true);
            thread.start();
        }

        InetSocketAddress address() {
            return new InetSocketAddress(socket.getInetAddress(), socket.getLocalPort());
        }

        int port() {
            return socket.getLocalPort();
        }

        /** The stream the next connection gets. */
        void next(byte[] stream) {
            streams.add(stream);
        }

        private void serve() {
            while (!socket.isClosed()) {
                try (Socket peer = socket.accept()) {
                    byte[] stream = streams.take();
                    try {
                        OutputStream out = peer.getOutputStream();
                        out.write(stream);
                        out.flush();
                        peer.shutdownOutput();
                        // Until the client hangs up, so that what it has not read yet is not reset away.
                        InputStream in = peer.getInputStream();
                        while (in.read() != -1) {
                            // The client sends nothing.
                        }
                    } catch (IOException e) {
                        // The client hung up before reading all of it: that is its right.
                    }
                } catch (IOException e) {
                    if (!socket.isClosed()) {
                        throw new UncheckedIOException(e);
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }
}
