package dev.securedelivery.benchmarks;

import dev.securedelivery.dane.DaneLookup;
import dev.securedelivery.dane.DaneRequirement;
import dev.securedelivery.dns.DnsAnswer;
import dev.securedelivery.dns.DnsCache;
import dev.securedelivery.dns.DnsResolver;
import dev.securedelivery.dns.DnsStatus;
import dev.securedelivery.dns.DnssecValidation;
import dev.securedelivery.testing.InMemorySignedDns;
import dev.securedelivery.testing.SignedZone;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;
import org.xbill.DNS.Name;
import org.xbill.DNS.Type;

/**
 * What DANE costs a delivery once the answers are cached: the MX lookup of the domain, then the
 * A, AAAA and TLSA lookups of its host and the decision (RFC 7672 2.2). Target: at most 5 µs.
 */
@Fork(1)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@State(Scope.Benchmark)
public class CachedDaneLookupBenchmark {
    private DnsResolver dns;
    private DaneLookup dane;
    private Name domain;

    @Setup(Level.Trial)
    public void warm() throws IOException {
        SignedZone tld = SignedZone.signed("test.");
        SignedZone example = SignedZone.signed("example.test.")
                .add("example.test.", Type.MX, "10 mx.example.test.")
                .add("mx.example.test.", Type.A, "192.0.2.25")
                .add("mx.example.test.", Type.AAAA, "2001:db8::25")
                .add(
                        "_25._tcp.mx.example.test.",
                        Type.TLSA,
                        "3 1 1 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
        tld.delegate(example);
        dns = DnssecValidation.validating(
                        new InMemorySignedDns(tld, example),
                        tld.ds().toString().getBytes(StandardCharsets.US_ASCII),
                        Clock.systemUTC(),
                        Duration.ofSeconds(5))
                .withCache(new DnsCache(10_000, Clock.systemUTC()));
        dane = new DaneLookup(dns);
        domain = Name.fromString("example.test.");
        if (lookup() != DaneRequirement.Kind.DANE) {
            throw new IllegalStateException("the warm-up did not find DANE");
        }
    }

    private DaneRequirement.Kind lookup() {
        DnsAnswer mx = dns.lookup(domain, Type.MX).join();
        if (mx.status() != DnsStatus.SECURE) {
            throw new IllegalStateException(mx.toString());
        }
        return dane.requirement("mx.example.test", true, "example.test").join().kind();
    }

    @Benchmark
    @BenchmarkMode({Mode.AverageTime, Mode.SampleTime})
    @Threads(1)
    public void mxAddressesAndTlsa(Blackhole hole) {
        hole.consume(lookup());
    }
}
