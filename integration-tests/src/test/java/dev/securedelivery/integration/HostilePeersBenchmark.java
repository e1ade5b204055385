package dev.securedelivery.integration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.securedelivery.testing.HostileSmtpServer;
import dev.securedelivery.testing.HostileSmtpServer.Attack;
import dev.securedelivery.testing.SignedZone;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;
import org.xbill.DNS.Type;

/**
 * Not part of the build's tests (the name does not end in Test): what hostile MX hosts cost a real
 * James 3.8.1 in this JVM. Run with
 * {@code mvn -B -ntp -o -pl integration-tests -am test -Dtest=HostilePeersBenchmark -Dsurefire.failIfNoSpecifiedTests=false -DargLine=-Xmx128m}
 * and read the lines starting with "HostilePeersBenchmark:" in its output (in
 * {@code integration-tests/target/surefire-reports/dev.securedelivery.integration.HostilePeersBenchmark-output.txt}).
 *
 * <ul>
 *   <li>the time from handing James a message to a domain of 1,000 black-holed MX hosts (they
 *       accept and never speak) to its first deferral, with the reply timeout at 1 s and at 5 s;</li>
 *   <li>the live heap of James's JVM (what each garbage collection left, the largest seen) while 200
 *       messages go to a server whose EHLO reply never ends and 200 to the 1,000 black-holed hosts, 8
 *       delivery threads, against the same JVM idle; with {@code -Xmx128m} (the heap an endless EHLO
 *       reply used to exhaust in under a second) the run ends without an OutOfMemoryError.</li>
 * </ul>
 */
class HostilePeersBenchmark {
    private static final int MX_HOSTS = 1_000;
    private static final int MESSAGES = 200;

    @TempDir
    Path directory;

    @Test
    void timeToDeferADomainOfAThousandBlackHoledMxHosts() throws Exception {
        for (int timeoutMillis : new int[] {1_000, 5_000}) {
            try (World world = new World(directory.resolve("defer-" + timeoutMillis), timeoutMillis, 1)) {
                long began = System.nanoTime();
                world.james.send(Destinations.SENDER, "user@many.test", "many", "To a thousand silent hosts.");
                await().atMost(Duration.ofMinutes(5)).until(() -> world.logged("-to-many.test deferred for"));
                long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - began);
                report(
                        "time to the first deferral of a domain of %d black-holed MX hosts, reply timeout %d ms:"
                                + " %d ms, %d connections",
                        MX_HOSTS, timeoutMillis, millis, world.blackHole.connections());
                assertThat(world.blackHole.connections()).isEqualTo(5);
            }
        }
    }

    @Test
    void heapUnderEndlessEhloAndManyMxAttacks() throws Exception {
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        try (World world = new World(directory.resolve("heap"), 1_000, 8)) {
            System.gc();
            Thread.sleep(500);
            long idle = memory.getHeapMemoryUsage().getUsed();
            AtomicLong peak = new AtomicLong();
            ScheduledExecutorService sampler = Executors.newSingleThreadScheduledExecutor();
            sampler.scheduleAtFixedRate(
                    () -> peak.accumulateAndGet(liveHeap(), Math::max), 0, 50, TimeUnit.MILLISECONDS);
            long began = System.nanoTime();
            try {
                for (int i = 0; i < MESSAGES; i++) {
                    world.james.send(
                            Destinations.SENDER,
                            List.of("user" + i + "@endless.test", "user" + i + "@many.test"),
                            "attack " + i,
                            "Hello.");
                }
                // Every message to both domains tried once: one connection each to the endless server,
                // five each to the black holes.
                await().atMost(Duration.ofMinutes(10))
                        .until(() -> world.endless.connections() >= MESSAGES
                                && world.blackHole.connections() >= 5 * MESSAGES);
            } finally {
                sampler.shutdownNow();
            }
            long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - began);
            System.gc();
            Thread.sleep(500);
            long after = memory.getHeapMemoryUsage().getUsed();
            report(
                    "heap of the JVM (James and the test's peers; max %d MiB): idle %d MiB, largest live heap %d MiB"
                            + " while %d messages went to an endless EHLO reply and to %d black-holed MX hosts (%d s), %d MiB"
                            + " after; the endless server wrote %d MiB",
                    memory.getHeapMemoryUsage().getMax() >> 20,
                    idle >> 20,
                    peak.get() >> 20,
                    MESSAGES,
                    MX_HOSTS,
                    seconds,
                    after >> 20,
                    world.endless.bytesWritten() >> 20);
        }
    }

    // What the last collection of each heap pool left: the live heap, not garbage waiting for a collection.
    private static long liveHeap() {
        long live = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP && pool.getCollectionUsage() != null) {
                live += pool.getCollectionUsage().getUsed();
            }
        }
        return live;
    }

    private static void report(String format, Object... arguments) {
        System.out.println("HostilePeersBenchmark: " + String.format(format, arguments));
    }

    /** A James sending into a world of one domain of 1,000 silent MX hosts and one endless EHLO server. */
    private static final class World implements AutoCloseable {
        final Destinations destinations = new Destinations();
        final HostileSmtpServer blackHole;
        final HostileSmtpServer endless;
        final JamesUnderTest james;
        final ListAppender<ILoggingEvent> log = new ListAppender<>();

        World(Path directory, int timeoutMillis, int threads) throws Exception {
            log.start();
            ((Logger) LoggerFactory.getLogger("dev.securedelivery")).addAppender(log);
            blackHole = HostileSmtpServer.start(
                    destinations.address().getHostAddress(), destinations.smtpPort(), Attack.SILENT);
            SignedZone many = destinations.zone("many.test", false);
            for (int i = 0; i < MX_HOSTS; i++) {
                many.add("many.test.", Type.MX, "10 mx" + i + ".many.test.");
                many.add("mx" + i + ".many.test.", Type.A, blackHole.address().getHostAddress());
            }
            endless = HostileSmtpServer.start(
                    destinations.address().getHostAddress(), destinations.smtpPort(), Attack.ENDLESS_EHLO);
            SignedZone zone = destinations.zone("endless.test", false);
            zone.add("endless.test.", Type.MX, "10 mx.endless.test.");
            zone.add("mx.endless.test.", Type.A, endless.address().getHostAddress());
            destinations.start();
            Map<String, String> mailet = destinations.quicklyBouncingMailet();
            mailet.put("timeout", String.valueOf(timeoutMillis));
            // Long delays: each message is tried once while the benchmark watches.
            mailet.put("delayTime", "1 hour");
            mailet.put("deliveryThreads", String.valueOf(threads));
            james = JamesUnderTest.start(directory, mailet, destinations.configuration(directory.resolve("conf")));
        }

        boolean logged(String text) {
            synchronized (log) {
                return new ArrayList<>(log.list)
                        .stream().map(ILoggingEvent::getFormattedMessage).anyMatch(line -> line.contains(text));
            }
        }

        @Override
        public void close() throws Exception {
            james.close();
            blackHole.close();
            endless.close();
            destinations.close();
            ((Logger) LoggerFactory.getLogger("dev.securedelivery")).detachAppender(log);
        }
    }
}
