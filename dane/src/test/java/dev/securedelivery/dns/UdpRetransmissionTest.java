package dev.securedelivery.dns;

import static dev.securedelivery.testing.InMemoryDns.name;
import static org.assertj.core.api.Assertions.assertThat;

import dev.securedelivery.testing.RawDnsServer;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Section;
import org.xbill.DNS.TXTRecord;
import org.xbill.DNS.Type;

/**
 * A query whose datagram is lost (as the kernel drops queries when a local resolver's socket buffer
 * overflows in a burst) is sent again within the lookup's time, through dnsjava's real resolver over
 * UDP: one lost datagram is not a failed lookup. A server that never answers still fails within it.
 */
class UdpRetransmissionTest {
    private static final Duration TIMEOUT = Duration.ofMillis(1500);

    @Test
    void aQueryWhoseFirstDatagramIsLostIsAnsweredByTheNextTry() throws Exception {
        AtomicInteger queries = new AtomicInteger();
        UnaryOperator<byte[]> losesTheFirst = query -> queries.incrementAndGet() == 1 ? null : answer(query);

        DnsAnswer answer = lookupThrough(losesTheFirst);

        assertThat(answer.status()).isEqualTo(DnsStatus.INSECURE);
        assertThat(answer.records()).singleElement().isInstanceOf(TXTRecord.class);
        assertThat(queries).hasValue(2);
    }

    @Test
    void aServerThatAnswersNothingIsTriedAFewTimesAndFailsWithinTheTimeout() throws Exception {
        AtomicInteger queries = new AtomicInteger();
        long started = System.nanoTime();

        DnsAnswer answer = lookupThrough(query -> {
            queries.incrementAndGet();
            return null;
        });

        assertThat(answer.status()).isEqualTo(DnsStatus.FAILED);
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(TIMEOUT.multipliedBy(2));
        assertThat(queries.get()).isBetween(2, DnsResolver.ATTEMPTS);
    }

    private static DnsAnswer lookupThrough(UnaryOperator<byte[]> responder) {
        try (RawDnsServer server = RawDnsServer.start(responder)) {
            DnsResolver resolver =
                    new DnsResolver(DnsResolver.upstreamFor(List.of(server.address()), TIMEOUT), false, TIMEOUT);
            return resolver.lookupNow(name("example.test."), Type.TXT);
        }
    }

    private static byte[] answer(byte[] query) {
        try {
            Message request = new Message(query);
            Message response = new Message(request.getHeader().getID());
            response.getHeader().setFlag(Flags.QR);
            response.getHeader().setFlag(Flags.RA);
            response.addRecord(request.getQuestion(), Section.QUESTION);
            response.addRecord(new TXTRecord(request.getQuestion().getName(), DClass.IN, 300, "found"), Section.ANSWER);
            return response.toWire();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
