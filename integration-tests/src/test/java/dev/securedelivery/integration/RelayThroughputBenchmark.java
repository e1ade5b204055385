package dev.securedelivery.integration;

import dev.securedelivery.testing.InMemorySignedDns;
import dev.securedelivery.testing.LoopbackPorts;
import dev.securedelivery.testing.RawDnsServer;
import dev.securedelivery.testing.SignedZone;
import dev.securedelivery.testing.TestCertificateAuthority;
import dev.securedelivery.testing.TestSmtpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.xbill.DNS.Type;

/**
 * Messages per second from one real James 3.8.1 to one local STARTTLS sink, through
 * SecureRemoteDelivery and through James's stock RemoteDelivery: same James, same sink, both with
 * STARTTLS (ours opportunistic, as for a domain without policy; stock with startTLS). One operation
 * hands {@value #MESSAGES} messages to James over one SMTP connection and waits until the sink
 * has them all. Ours opens a connection per message here ({@code sessionReuse=false}), as stock
 * does. Target: ours at least 0.95 of stock.
 */
@Fork(1)
@Warmup(iterations = 2)
@Measurement(iterations = 5)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@State(Scope.Benchmark)
public class RelayThroughputBenchmark {
    static final int MESSAGES = 200;

    @Param({"secure", "stock"})
    public String relay;

    private JamesUnderTest james;
    private TestSmtpServer sink;
    private RawDnsServer dns;
    private Path directory;
    private int expected;

    @Setup(Level.Trial)
    public void start() throws Exception {
        directory = Files.createTempDirectory("relay-benchmark");
        InetAddress sinkAddress = InetAddress.getByName("127.0.0.40");
        int port = LoopbackPorts.freeTcpPort(sinkAddress);
        sink = TestSmtpServer.withStartTls(
                sinkAddress,
                port,
                TestCertificateAuthority.root("Benchmark Root").issue("mx.secure.test"));
        SignedZone tld = SignedZone.signed("test.");
        SignedZone secure = SignedZone.unsigned("secure.test.")
                .add("secure.test.", Type.MX, "10 mx.secure.test.")
                .add("mx.secure.test.", Type.A, sinkAddress.getHostAddress());
        tld.delegate(secure);
        dns = RawDnsServer.serving(new InMemorySignedDns(tld, secure));
        Properties configuration = configuration(directory, tld, dns);
        Map<String, String> mailet = mailet(port);
        // A connection per message, as stock opens: SessionReuseBenchmark measures what reuse gains.
        mailet.put("sessionReuse", "false");
        james = JamesUnderTest.start(
                directory.resolve("james"),
                mailet,
                configuration,
                "stock.test",
                sinkAddress.getHostAddress() + ":" + port);
    }

    /** Our properties: the test DNS server, whose root of trust is {@code tld}. */
    static Properties configuration(Path directory, SignedZone tld, RawDnsServer dns) throws IOException {
        Path anchor = directory.resolve("anchor.ds");
        Files.writeString(anchor, tld.ds() + "\n");
        Properties configuration = new Properties();
        configuration.setProperty("dns.servers", "127.0.0.1:" + dns.address().getPort());
        configuration.setProperty("dns.trust-anchor", anchor.toString());
        return configuration;
    }

    /** The delivery mailet's parameters the throughput benchmarks share: 4 threads, the sink's port. */
    static Map<String, String> mailet(int sinkPort) {
        Map<String, String> mailet = new LinkedHashMap<>();
        mailet.put("outgoing", "outgoing");
        mailet.put("deliveryThreads", "4");
        mailet.put("delayTime", "1000");
        mailet.put("maxRetries", "3");
        mailet.put("bounceProcessor", "bounces");
        mailet.put("smtpPort", String.valueOf(sinkPort));
        return mailet;
    }

    @Benchmark
    public int deliver() throws Exception {
        expected += MESSAGES;
        james.sendMany("sender@client.test", "user@" + relay + ".test", MESSAGES);
        Instant deadline = Instant.now().plus(Duration.ofMinutes(2));
        while (sink.received().size() < expected) {
            if (Instant.now().isAfter(deadline)) {
                throw new IllegalStateException(
                        "the sink got " + sink.received().size() + " of " + expected);
            }
            Thread.sleep(2);
        }
        return expected;
    }

    @TearDown(Level.Trial)
    public void stop() {
        long overTls = sink.received().stream().filter(mail -> mail.overTls).count();
        System.out.println("\n" + relay + ": " + sink.received().size() + " messages, " + overTls + " over TLS");
        if (overTls != sink.received().size()) {
            throw new IllegalStateException("some messages went out without TLS");
        }
        james.close();
        sink.close();
        dns.close();
    }
}
