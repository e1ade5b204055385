package dev.securedelivery.dns;

import static dev.securedelivery.testing.InMemoryDns.name;
import static org.assertj.core.api.Assertions.assertThat;

import dev.securedelivery.testing.InMemoryDns;
import dev.securedelivery.testing.TestClock;
import java.time.Duration;
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
        assertThat(resolver.lookupNow(name("_25._tcp.mx.example.test."), Type.TLSA).nameExists()).isFalse();
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
}
