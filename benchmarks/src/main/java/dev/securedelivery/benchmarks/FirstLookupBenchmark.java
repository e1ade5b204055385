package dev.securedelivery.benchmarks;

import dev.securedelivery.mtasts.MtaStsLookup;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
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
 * A thousand deliveries to one domain the engine has never seen, all at once: the time until every
 * caller has its answer, and the number of HTTPS fetches that took (the target is exactly one per
 * round; the benchmark fails otherwise). DNS answers after 20 ms, as a nearby resolver would. The
 * same with one caller is the critical path the thousand are measured against.
 */
@Fork(1)
@Warmup(iterations = 3)
@Measurement(iterations = 10)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@State(Scope.Benchmark)
public class FirstLookupBenchmark {
    private static final int MOST_CALLERS = 1000;
    private static final String DOMAIN = "first.example.net";

    /** How many deliveries ask at once. */
    @Param({"1", "1000"})
    public int callers;

    private LoopbackPolicyHost host;
    private ExecutorService pool;
    private int fetchesBefore;
    private int rounds;

    @Setup(Level.Trial)
    public void start() throws IOException {
        host = new LoopbackPolicyHost(List.of(DOMAIN), Duration.ofMillis(20));
        pool = Executors.newFixedThreadPool(MOST_CALLERS);
    }

    @Setup(Level.Invocation)
    public void forget() {
        host.engine.purge(DOMAIN);
        fetchesBefore = host.fetches();
    }

    @Benchmark
    public int thousandCallersOneDomain() throws Exception {
        CountDownLatch go = new CountDownLatch(1);
        List<Future<MtaStsLookup>> answers = new ArrayList<>(callers);
        for (int i = 0; i < callers; i++) {
            answers.add(pool.submit(() -> {
                go.await();
                return host.engine.lookup(DOMAIN);
            }));
        }
        go.countDown();
        int policies = 0;
        for (Future<MtaStsLookup> answer : answers) {
            if (answer.get().outcome() == MtaStsLookup.Outcome.POLICY) {
                policies++;
            }
        }
        return policies;
    }

    @TearDown(Level.Invocation)
    public void countFetches() {
        int fetches = host.fetches() - fetchesBefore;
        rounds++;
        if (fetches != 1) {
            throw new IllegalStateException(callers + " callers caused " + fetches + " fetches, not 1");
        }
    }

    @TearDown(Level.Trial)
    public void stop() throws IOException {
        System.out.println("\n" + rounds + " rounds of " + callers + " concurrent callers: exactly 1 HTTPS fetch each");
        pool.shutdownNow();
        host.close();
    }
}
