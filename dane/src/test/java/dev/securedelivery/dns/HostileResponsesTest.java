package dev.securedelivery.dns;

import static dev.securedelivery.testing.InMemoryDns.name;
import static org.assertj.core.api.Assertions.assertThat;

import dev.securedelivery.testing.RawDnsServer;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Section;
import org.xbill.DNS.TXTRecord;
import org.xbill.DNS.Type;

/**
 * Responses a broken or hostile server sends over the wire, through dnsjava's real resolver: each
 * ends in a defined answer, never an exception.
 */
class HostileResponsesTest {

    private static DnsAnswer lookupThrough(UnaryOperator<byte[]> responder, String name, int type) {
        try (RawDnsServer server = RawDnsServer.start(responder)) {
            DnsResolver resolver = new DnsResolver(
                    DnsResolver.upstreamFor(List.of(server.address()), Duration.ofMillis(700)),
                    false,
                    Duration.ofSeconds(2));
            return resolver.lookupNow(name(name), type);
        }
    }

    private static byte[] reply(byte[] query, Consumer<Message> fill) {
        try {
            Message request = new Message(query);
            Message response = new Message(request.getHeader().getID());
            response.getHeader().setFlag(Flags.QR);
            response.getHeader().setFlag(Flags.RA);
            response.addRecord(request.getQuestion(), Section.QUESTION);
            fill.accept(response);
            return response.toWire();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void garbageIsAFailure() {
        DnsAnswer answer = lookupThrough(
                query -> new byte[] {query[0], query[1], (byte) 0x81, 0, 0, 1, 0}, "example.test.", Type.TXT);

        assertThat(answer.status()).isEqualTo(DnsStatus.FAILED);
        assertThat(answer.failureReason()).isNotBlank();
    }

    @Test
    void aTlsaRecordWithTruncatedDataIsAFailure() {
        DnsAnswer answer = lookupThrough(
                query -> {
                    byte[] good = reply(query, response -> {});
                    ByteBuffer wire = ByteBuffer.allocate(good.length + 64).put(good);
                    wire.putShort(6, (short) 1); // ANCOUNT = 1
                    wire.put(new byte[] {(byte) 0xc0, 12}); // owner: the question name
                    wire.putShort((short) Type.TLSA).putShort((short) DClass.IN).putInt(300);
                    wire.putShort((short) 1).put((byte) 3); // RDLENGTH 1: only the usage octet
                    return Arrays.copyOf(wire.array(), wire.position());
                },
                "_25._tcp.mx.example.test.",
                Type.TLSA);

        assertThat(answer.status()).isEqualTo(DnsStatus.FAILED);
    }

    @Test
    void anExtendedRcodeDnsjavaCannotRepresentIsAFailure() {
        // RCODE 51 = extended 3 << 4 | 3: dnsjava throws "DNS Rcode 51 is out of range".
        DnsAnswer answer = lookupThrough(
                query -> reply(query, response -> {
                    response.getHeader().setRcode(3);
                    response.addRecord(new OPTRecord(1232, 3, 0, 0), Section.ADDITIONAL);
                }),
                "example.test.",
                Type.TXT);

        assertThat(answer.status()).isEqualTo(DnsStatus.FAILED);
    }

    @Test
    void anAnswerForAnotherQuestionIsAFailure() {
        DnsAnswer answer = lookupThrough(
                query -> {
                    try {
                        Message request = new Message(query);
                        Message response = new Message(request.getHeader().getID());
                        response.getHeader().setFlag(Flags.QR);
                        response.addRecord(
                                org.xbill.DNS.Record.newRecord(name("other.test."), Type.TXT, DClass.IN),
                                Section.QUESTION);
                        response.addRecord(
                                new TXTRecord(name("other.test."), DClass.IN, 300, "planted"), Section.ANSWER);
                        return response.toWire();
                    } catch (IOException e) {
                        throw new IllegalStateException(e);
                    }
                },
                "example.test.",
                Type.TXT);

        assertThat(answer.status()).isEqualTo(DnsStatus.FAILED);
        assertThat(answer.records()).isEmpty();
    }

    @Test
    void aHugeAnswerTruncatedOverUdpIsReadOverTcpAndKept() {
        DnsAnswer answer = lookupThrough(
                query -> reply(query, response -> {
                    for (int i = 0; i < 400; i++) {
                        response.addRecord(
                                new TXTRecord(
                                        name("example.test."), DClass.IN, 300, "record " + i + " " + "x".repeat(100)),
                                Section.ANSWER);
                    }
                }),
                "example.test.",
                Type.TXT);

        assertThat(answer.status()).isEqualTo(DnsStatus.INSECURE);
        assertThat(answer.records()).hasSize(400);
    }

    @Test
    void aServerThatNeverAnswersIsAFailureWithinTheTimeout() {
        DnsAnswer answer = lookupThrough(query -> null, "example.test.", Type.TXT);

        assertThat(answer.status()).isEqualTo(DnsStatus.FAILED);
    }

    @Test
    void refusedIsAFailure() {
        DnsAnswer answer = lookupThrough(
                query -> reply(query, response -> response.getHeader().setRcode(Rcode.REFUSED)),
                "example.test.",
                Type.TXT);

        assertThat(answer.status()).isEqualTo(DnsStatus.FAILED);
        assertThat(answer.failureReason()).contains("REFUSED");
    }
}
