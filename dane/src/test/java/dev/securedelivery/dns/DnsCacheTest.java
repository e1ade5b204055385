package dev.securedelivery.dns;

import static dev.securedelivery.testing.InMemoryDns.name;
import static org.assertj.core.api.Assertions.assertThat;

import dev.securedelivery.testing.InMemoryDns;
import dev.securedelivery.testing.TestClock;
import java.time.Duration;
import java.util.Collections;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.Type;

class DnsCacheTest {
    private final InMemoryDns upstream = new InMemoryDns();
    private final TestClock clock = TestClock.atSystemTime();
    private final DnsCache cache = new DnsCache(3, clock);
    private final DnsResolver resolver = new DnsResolver(upstream, false, Duration.ofSeconds(1)).withCache(cache);

    @Test
    void anAnswerIsReusedForItsTtl() {
        upstream.add("mx.example.test.", Type.A, 300, "192.0.2.1");

        resolver.lookupNow(name("mx.example.test."), Type.A);
        clock.advance(Duration.ofSeconds(299));
        DnsAnswer again = resolver.lookupNow(name("mx.example.test."), Type.A);

        assertThat(again.records()).hasSize(1);
        assertThat(upstream.queryCount("mx.example.test.", Type.A)).isEqualTo(1);

        clock.advance(Duration.ofSeconds(2));
        resolver.lookupNow(name("mx.example.test."), Type.A);
        assertThat(upstream.queryCount("mx.example.test.", Type.A)).isEqualTo(2);
    }

    @Test
    void aNegativeAnswerIsReusedForItsNegativeTtl() {
        upstream.add("example.test.", Type.A, 300, "192.0.2.1").negativeTtl(120);

        resolver.lookupNow(name("_25._tcp.mx.example.test."), Type.TLSA);
        clock.advance(Duration.ofSeconds(119));
        assertThat(resolver.lookupNow(name("_25._tcp.mx.example.test."), Type.TLSA)
                        .nameExists())
                .isFalse();
        assertThat(upstream.queryCount("_25._tcp.mx.example.test.", Type.TLSA)).isEqualTo(1);

        clock.advance(Duration.ofSeconds(2));
        resolver.lookupNow(name("_25._tcp.mx.example.test."), Type.TLSA);
        assertThat(upstream.queryCount("_25._tcp.mx.example.test.", Type.TLSA)).isEqualTo(2);
    }

    @Test
    void aFailureIsNeverKept() {
        upstream.servfail("mx.example.test.");

        resolver.lookupNow(name("mx.example.test."), Type.A);
        resolver.lookupNow(name("mx.example.test."), Type.A);

        assertThat(upstream.queryCount("mx.example.test.", Type.A)).isEqualTo(2);
        assertThat(cache.size()).isZero();
    }

    @Test
    void longTtlsAreCappedAtADayAndNegativeOnesAtAnHour() {
        upstream.add("mx.example.test.", Type.A, 604_800, "192.0.2.1").negativeTtl(86_400);

        resolver.lookupNow(name("mx.example.test."), Type.A);
        resolver.lookupNow(name("mx.example.test."), Type.AAAA);
        clock.advance(Duration.ofMinutes(61));
        resolver.lookupNow(name("mx.example.test."), Type.A);
        resolver.lookupNow(name("mx.example.test."), Type.AAAA);
        assertThat(upstream.queryCount("mx.example.test.", Type.A)).isEqualTo(1);
        assertThat(upstream.queryCount("mx.example.test.", Type.AAAA)).isEqualTo(2);

        clock.advance(Duration.ofDays(1));
        resolver.lookupNow(name("mx.example.test."), Type.A);
        assertThat(upstream.queryCount("mx.example.test.", Type.A)).isEqualTo(2);
    }

    @Test
    void theLeastRecentlyUsedAnswerGoesBeyondTheLimit() {
        for (String host : new String[] {"a", "b", "c", "d"}) {
            upstream.add(host + ".example.test.", Type.A, 300, "192.0.2.1");
        }
        resolver.lookupNow(name("a.example.test."), Type.A);
        resolver.lookupNow(name("b.example.test."), Type.A);
        resolver.lookupNow(name("c.example.test."), Type.A);
        resolver.lookupNow(name("a.example.test."), Type.A);
        resolver.lookupNow(name("d.example.test."), Type.A);

        resolver.lookupNow(name("a.example.test."), Type.A);
        resolver.lookupNow(name("b.example.test."), Type.A);

        assertThat(cache.size()).isEqualTo(3);
        assertThat(upstream.queryCount("a.example.test.", Type.A)).isEqualTo(1);
        assertThat(upstream.queryCount("b.example.test.", Type.A)).isEqualTo(2);
    }

    @Test
    void theAnswersKeptStayWithinTheByteBudgetAndAnOversizedOneIsNotKept() {
        DnsCache small = new DnsCache(1_000, 16 * 1024, clock);
        DnsResolver bounded = new DnsResolver(upstream, false, Duration.ofSeconds(1)).withCache(small);
        String kilobyte = "x".repeat(250);
        for (int i = 0; i < 100; i++) {
            // Four strings of 250 bytes: about 1 KiB an answer.
            upstream.addTxt("t" + i + ".example.test.", 300, kilobyte, kilobyte, kilobyte, kilobyte);
            bounded.lookupNow(name("t" + i + ".example.test."), Type.TXT);
        }

        assertThat(small.bytes()).isLessThanOrEqualTo(16 * 1024);
        assertThat(small.size()).isBetween(10, 16);
        // The most recent answers are the ones kept.
        bounded.lookupNow(name("t99.example.test."), Type.TXT);
        assertThat(upstream.queryCount("t99.example.test.", Type.TXT)).isEqualTo(1);

        // Over a tenth of the budget: asked for again every time rather than crowding out the rest.
        upstream.addTxt(
                "big.example.test.", 300, Collections.nCopies(8, kilobyte).toArray(new String[0]));
        bounded.lookupNow(name("big.example.test."), Type.TXT);
        bounded.lookupNow(name("big.example.test."), Type.TXT);
        assertThat(upstream.queryCount("big.example.test.", Type.TXT)).isEqualTo(2);
    }
}
