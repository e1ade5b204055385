package dev.securedelivery.integration;

import dev.securedelivery.testing.TestSmtpServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
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

/**
 * {@value #MESSAGES} messages to one domain from one real James 3.8.1 to one local STARTTLS sink
 * (issue 16): James's stock RemoteDelivery ({@code stock}: gateway, {@code startTLS}), ours with a
 * connection per message ({@code secure-fresh}: {@code sessionReuse=false}) and ours keeping sessions
 * ({@code secure-reuse}: the defaults). Ours goes to a DANE-EE domain (signed zone, TLSA record of the
 * sink's key), so every message of ours must arrive with {@code authentication=DANE-EE} in its trace
 * header, or the trial fails. Same James set-up, same sink, 4 delivery threads each; one operation
 * hands the messages to James over 4 SMTP connections at once and waits until the sink has them all.
 * Target: secure-reuse at least twice stock.
 */
@Fork(1)
@Warmup(iterations = 1)
@Measurement(iterations = 3)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@State(Scope.Benchmark)
public class SessionReuseBenchmark {
    static final int MESSAGES = 1_000;
    private static final int SUBMITTERS = 4;

    @Param({"stock", "secure-fresh", "secure-reuse"})
    public String relay;

    private JamesUnderTest james;
    private DaneSink daneSink;
    private TestSmtpServer sink;
    private ExecutorService submitters;
    private String recipient;
    private int expected;

    @Setup(Level.Trial)
    public void start() throws Exception {
        Path directory = Files.createTempDirectory("reuse-benchmark");
        daneSink = DaneSink.start("127.0.0.41", "Reuse Benchmark Root");
        sink = daneSink.sink;
        Properties configuration = RelayThroughputBenchmark.configuration(directory, daneSink.tld, daneSink.dns);
        Map<String, String> mailet = RelayThroughputBenchmark.mailet(daneSink.port);
        mailet.put("traceHeader", "true");
        mailet.put("sessionReuse", String.valueOf(relay.equals("secure-reuse")));
        james = JamesUnderTest.start(
                directory.resolve("james"),
                mailet,
                configuration,
                "stock.test",
                daneSink.address() + ":" + daneSink.port);
        recipient = relay.equals("stock") ? "user@stock.test" : "user@dane.test";
        submitters = Executors.newFixedThreadPool(SUBMITTERS);
    }

    @Benchmark
    public int deliver() throws Exception {
        expected += MESSAGES;
        List<Future<?>> submitted = new ArrayList<>();
        for (int i = 0; i < SUBMITTERS; i++) {
            submitted.add(submitters.submit(() -> {
                james.sendMany("sender@client.test", recipient, MESSAGES / SUBMITTERS);
                return null;
            }));
        }
        for (Future<?> submission : submitted) {
            submission.get();
        }
        Instant deadline = Instant.now().plus(Duration.ofMinutes(5));
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
        List<TestSmtpServer.Received> received = sink.received();
        long overTls = received.stream().filter(mail -> mail.overTls).count();
        long daneVerified = received.stream()
                .filter(mail -> mail.data.contains("authentication=DANE-EE 3 1 1"))
                .count();
        System.out.println("\n" + relay + ": " + received.size() + " messages over " + sink.sessions()
                + " connections (" + sink.resets() + " RSET), " + overTls + " over TLS, " + daneVerified
                + " DANE-EE verified");
        submitters.shutdownNow();
        james.close();
        daneSink.close();
        if (overTls != received.size()) {
            throw new IllegalStateException("some messages went out without TLS");
        }
        if (!relay.equals("stock") && daneVerified != received.size()) {
            throw new IllegalStateException("some messages went out without DANE-verified TLS");
        }
    }
}
