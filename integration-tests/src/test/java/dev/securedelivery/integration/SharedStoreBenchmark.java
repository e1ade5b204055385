package dev.securedelivery.integration;

import dev.securedelivery.testing.PostgresServer;
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
 * {@value #MESSAGES} messages to one DANE-EE domain from one real James 3.8.1 to one local STARTTLS
 * sink (issue 25), with TLS reports and the posture history on, the node's state in its files
 * ({@code files}) or in a local PostgreSQL of Debian's ({@code postgres}, the shared store, written
 * every 5 seconds as by default). Same James set-up otherwise: 4 delivery threads, session reuse; one
 * operation hands the messages over 4 SMTP connections at once and waits until the sink has them all.
 * Target: postgres at least 0.95 of files.
 */
@Fork(1)
@Warmup(iterations = 1)
@Measurement(iterations = 3)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@State(Scope.Benchmark)
public class SharedStoreBenchmark {
    static final int MESSAGES = 1_000;
    private static final int SUBMITTERS = 4;

    @Param({"files", "postgres"})
    public String store;

    private PostgresServer postgres;
    private DaneSink sink;
    private JamesUnderTest james;
    private ExecutorService submitters;
    private int expected;

    @Setup(Level.Trial)
    public void start() throws Exception {
        Path directory = Files.createTempDirectory("store-benchmark");
        sink = DaneSink.start("127.0.0.42", "Store Benchmark Root");
        Properties configuration = RelayThroughputBenchmark.configuration(directory, sink.tld, sink.dns);
        configuration.setProperty("tls-reports.enabled", "true");
        configuration.setProperty("tls-reports.organization-name", "Store Benchmark");
        configuration.setProperty("tls-reports.contact-info", "postmaster@client.test");
        configuration.setProperty("tls-reports.sender", "tlsrpt@client.test");
        configuration.setProperty("tls-reports.node-name", "bench");
        if (store.equals("postgres")) {
            postgres = PostgresServer.start();
            configuration.setProperty("store.kind", "postgres");
            configuration.setProperty("store.postgres.host", postgres.host());
            configuration.setProperty("store.postgres.port", String.valueOf(postgres.port()));
            configuration.setProperty("store.postgres.database", postgres.createDatabase());
            configuration.setProperty("store.postgres.username", PostgresServer.SUPERUSER);
            configuration.setProperty("store.postgres.password", PostgresServer.PASSWORD);
            configuration.setProperty("store.postgres.ssl-mode", "disable");
        }
        Map<String, String> mailet = RelayThroughputBenchmark.mailet(sink.port);
        mailet.put("traceHeader", "true");
        james = JamesUnderTest.start(
                directory.resolve("james"), mailet, configuration, "stock.test", sink.address() + ":" + sink.port);
        submitters = Executors.newFixedThreadPool(SUBMITTERS);
    }

    @Benchmark
    public int deliver() throws Exception {
        expected += MESSAGES;
        List<Future<?>> submitted = new ArrayList<>();
        for (int i = 0; i < SUBMITTERS; i++) {
            submitted.add(submitters.submit(() -> {
                james.sendMany("sender@client.test", "user@dane.test", MESSAGES / SUBMITTERS);
                return null;
            }));
        }
        for (Future<?> submission : submitted) {
            submission.get();
        }
        Instant deadline = Instant.now().plus(Duration.ofMinutes(5));
        while (sink.sink.received().size() < expected) {
            if (Instant.now().isAfter(deadline)) {
                throw new IllegalStateException(
                        "the sink got " + sink.sink.received().size() + " of " + expected);
            }
            Thread.sleep(2);
        }
        return expected;
    }

    @TearDown(Level.Trial)
    public void stop() throws Exception {
        long daneVerified = sink.sink.received().stream()
                .filter(mail -> mail.data.contains("authentication=DANE-EE 3 1 1"))
                .count();
        System.out.println(
                "\n" + store + ": " + sink.sink.received().size() + " messages, " + daneVerified + " DANE-EE verified");
        submitters.shutdownNow();
        james.close();
        sink.close();
        if (postgres != null) {
            postgres.close();
        }
        if (daneVerified != sink.sink.received().size()) {
            throw new IllegalStateException("some messages went out without DANE-verified TLS");
        }
    }
}
