package dev.securedelivery.benchmarks;

import dev.securedelivery.configuration.StoreConfiguration;
import dev.securedelivery.posture.PostureHistory;
import dev.securedelivery.posture.Protection;
import dev.securedelivery.posture.Publication;
import dev.securedelivery.store.PostgresStore;
import dev.securedelivery.testing.PostgresServer;
import dev.securedelivery.tlsrpt.FailureDetail;
import dev.securedelivery.tlsrpt.PolicyResults;
import dev.securedelivery.tlsrpt.ReportPeriod;
import dev.securedelivery.tlsrpt.ReportedPolicy;
import dev.securedelivery.tlsrpt.ResultType;
import dev.securedelivery.tlsrpt.SessionCountStore;
import dev.securedelivery.tlsrpt.TlsRptReport;
import java.io.ByteArrayOutputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPOutputStream;

/**
 * What the shared store costs, on a private PostgreSQL of Debian's (started here, {@code
 * pg_stat_statements} loaded to count statements):
 *
 * <ol>
 *   <li>per delivered message: a node counting {@code --messages} deliveries (a TLS-RPT session and a
 *       posture count each) to {@code --busy-domains} domains, flushed at the store's interval: the
 *       statements (database round trips) and the time the flushes took, per message;
 *   <li>the report build: two nodes' counts for {@code --domains} policy domains (each a success and
 *       a failure from each node), then what the node that closes the period does: list the
 *       domains, read each one's counts (both nodes' summed), build and gzip its report; the time
 *       and the peak heap of the build.
 * </ol>
 *
 * {@code java -cp benchmarks/target/benchmarks.jar dev.securedelivery.benchmarks.ClusterStoreBenchmark}
 */
public final class ClusterStoreBenchmark {
    private static final Duration DAY = Duration.ofDays(1);

    private ClusterStoreBenchmark() {}

    public static void main(String[] arguments) throws Exception {
        int domains = intArgument(arguments, "--domains", 10_000);
        int messages = intArgument(arguments, "--messages", 20_000);
        int busyDomains = intArgument(arguments, "--busy-domains", 100);
        try (PostgresServer server = PostgresServer.start("-c shared_preload_libraries=pg_stat_statements")) {
            String database = server.createDatabase();
            StoreConfiguration.Postgres settings = StoreConfiguration.Postgres.of(
                    server.host(), server.port(), database, PostgresServer.SUPERUSER, PostgresServer.PASSWORD);
            try (Connection admin = DriverManager.getConnection(
                            server.url(database), PostgresServer.SUPERUSER, PostgresServer.PASSWORD);
                    Statement statement = admin.createStatement()) {
                statement.execute("CREATE EXTENSION pg_stat_statements");
                perMessage(settings, statement, messages, busyDomains);
                reportBuild(settings, domains);
            }
        }
    }

    private static void perMessage(StoreConfiguration.Postgres settings, Statement admin, int messages, int domains)
            throws Exception {
        Clock clock = Clock.systemUTC();
        try (PostgresStore store = PostgresStore.open(settings, "one", clock, Duration.ofSeconds(1), 1_000_000)) {
            SessionCountStore sessions = store.sessionCounts(DAY);
            PostureHistory posture = store.posture(90, 100_000);
            // One flush first: the schema's and the first rows' cost is not the steady state's.
            sessions.success(ReportedPolicy.noPolicyFound("warm.test"), clock.instant());
            sessions.close();
            admin.execute("SELECT pg_stat_statements_reset()");
            long commitsBefore = commits(admin);
            long began = System.nanoTime();
            long counting = 0;
            for (int i = 0; i < messages; i++) {
                String domain = "d" + (i % domains) + ".test";
                long start = System.nanoTime();
                sessions.success(ReportedPolicy.noPolicyFound(domain), clock.instant());
                posture.delivered(domain, Protection.TLS, Publication.UNKNOWN);
                counting += System.nanoTime() - start;
                if (i % (messages / 20) == 0) {
                    // The delivery rate: twenty bursts over the run, several flush intervals long.
                    Thread.sleep(250);
                }
            }
            sessions.close();
            posture.close();
            long wall = System.nanoTime() - began;
            long calls = 0;
            double milliseconds = 0;
            try (ResultSet rows = admin.executeQuery("SELECT sum(calls), sum(total_exec_time) FROM"
                    + " pg_stat_statements WHERE query NOT ILIKE '%pg_stat%'")) {
                rows.next();
                calls = rows.getLong(1);
                milliseconds = rows.getDouble(2);
            }
            // Transactions of the store's (the admin connection's own reads excepted: autocommit, one each).
            long flushes = commits(admin) - commitsBefore - 2;
            System.out.printf(
                    "per message: %,d messages to %,d domains in %.1f s: %,d statements (%.3f a message), %.1f ms"
                            + " in the database (%.3f ms a message), %,d transactions; counting on the delivery"
                            + " thread %.0f ns a message%n",
                    messages,
                    domains,
                    wall / 1e9,
                    calls,
                    (double) calls / messages,
                    milliseconds,
                    milliseconds / messages,
                    flushes,
                    (double) counting / messages);
        }
    }

    // Transactions committed in the database so far; the statistics are written within a second.
    private static long commits(Statement admin) throws Exception {
        Thread.sleep(1_500);
        try (ResultSet rows =
                admin.executeQuery("SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()")) {
            rows.next();
            return rows.getLong(1);
        }
    }

    private static void reportBuild(StoreConfiguration.Postgres settings, int domains) throws Exception {
        Clock clock = Clock.fixed(Instant.parse("2026-12-06T12:00:00Z"), ZoneOffset.UTC);
        ReportPeriod period = ReportPeriod.containing(clock.instant(), DAY);
        FailureDetail failure = FailureDetail.builder(
                        ResultType.STARTTLS_NOT_SUPPORTED, "192.0.2.1", "mx.example.test", "198.51.100.1")
                .build();
        for (String node : List.of("one", "two")) {
            try (PostgresStore store = PostgresStore.open(settings, node, clock, Duration.ofHours(1), 1_000_000)) {
                SessionCountStore sessions = store.sessionCounts(DAY);
                for (int i = 0; i < domains; i++) {
                    ReportedPolicy policy = ReportedPolicy.noPolicyFound("r" + i + ".test");
                    sessions.success(policy, clock.instant());
                    sessions.failure(policy, failure, clock.instant());
                }
                long began = System.nanoTime();
                sessions.close();
                System.out.printf(
                        "node %s: %,d policy domains written in %.1f s%n",
                        node, domains, (System.nanoTime() - began) / 1e9);
            }
        }
        System.gc();
        resetPeaks();
        long heapBefore = usedHeap();
        try (PostgresStore closer = PostgresStore.open(settings, "closer", clock, Duration.ofHours(1), 1_000_000)) {
            SessionCountStore sessions = closer.sessionCounts(DAY);
            long began = System.nanoTime();
            long bytes = 0;
            long sessionsReported = 0;
            List<String> names = sessions.domains(period);
            for (String domain : names) {
                Map<ReportedPolicy, PolicyResults> counts = sessions.of(period, domain);
                for (PolicyResults results : counts.values()) {
                    sessionsReported += results.successfulSessions() + results.failedSessions();
                }
                String json = new TlsRptReport(
                                "Example Mail", "postmaster@example.test", "id." + domain, period, counts)
                        .toJson();
                bytes += gzip(json).length;
            }
            long elapsed = System.nanoTime() - began;
            System.out.printf(
                    "report build: %,d reports (%,d sessions, both nodes') in %.1f s (%.2f ms a report), %,d bytes"
                            + " gzipped; peak heap %.1f MiB (%.1f MiB before)%n",
                    names.size(),
                    sessionsReported,
                    elapsed / 1e9,
                    elapsed / 1e6 / names.size(),
                    bytes,
                    peakHeap() / 1048576.0,
                    heapBefore / 1048576.0);
            if (sessionsReported != 4L * domains) {
                throw new IllegalStateException("expected " + 4L * domains + " sessions, got " + sessionsReported);
            }
        }
    }

    private static byte[] gzip(String json) throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (GZIPOutputStream out = new GZIPOutputStream(bytes)) {
            out.write(json.getBytes(StandardCharsets.UTF_8));
        }
        return bytes.toByteArray();
    }

    private static void resetPeaks() {
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP) {
                pool.resetPeakUsage();
            }
        }
    }

    private static long peakHeap() {
        long peak = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP) {
                peak += pool.getPeakUsage().getUsed();
            }
        }
        return peak;
    }

    private static long usedHeap() {
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    private static int intArgument(String[] arguments, String name, int defaultValue) {
        for (int i = 0; i + 1 < arguments.length; i++) {
            if (arguments[i].equals(name)) {
                return Integer.parseInt(arguments[i + 1]);
            }
        }
        return defaultValue;
    }
}
