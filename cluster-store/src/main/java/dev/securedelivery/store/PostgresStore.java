package dev.securedelivery.store;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.securedelivery.configuration.StoreConfiguration;
import dev.securedelivery.delivery.DeliveryOutcomes;
import java.io.Closeable;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.postgresql.ds.PGSimpleDataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The PostgreSQL database the James nodes of a cluster share: a connection pool (HikariCP over
 * pgjdbc), the schema, created and upgraded at start ({@link Schema}), and the thread that writes
 * what each node counted at intervals. Its parts: {@link PostgresSessionCounts}, {@link
 * PostgresReportQueue}, {@link PostgresPosture}, {@link PostgresInboundReports}, {@link
 * PostgresPolicyCache}.
 *
 * <p>Bounded in time everywhere: a connection is waited for at most {@code connect-timeout}, every
 * statement runs at most {@code statement-timeout} (the server's {@code statement_timeout} and {@code
 * lock_timeout}, and the driver's socket timeout besides), transactions are one flush or one claim
 * long. Nothing a delivery waits for goes to the database: counts are written from memory at
 * intervals, and a database that cannot be reached only delays them ({@link WriteBehind}).
 */
public final class PostgresStore implements Closeable {
    private static final Logger LOGGER = LoggerFactory.getLogger(PostgresStore.class);

    private final HikariDataSource pool;
    private final StoreConfiguration.Postgres settings;
    private final String node;
    private final Clock clock;
    private final Duration flushInterval;
    private final int bufferLimit;
    private final ScheduledExecutorService writer;
    private final List<WriteBehind> buffers = new CopyOnWriteArrayList<>();
    private final StoreHealth health;

    private PostgresStore(
            HikariDataSource pool,
            StoreConfiguration.Postgres settings,
            String node,
            Clock clock,
            Duration flushInterval,
            int bufferLimit) {
        this.pool = pool;
        this.settings = settings;
        this.node = node;
        this.clock = clock;
        this.flushInterval = flushInterval;
        this.bufferLimit = bufferLimit;
        this.health = new StoreHealth(settings.describe());
        this.writer = Executors.newSingleThreadScheduledExecutor(task -> {
            Thread thread = new Thread(task, "secure-delivery-store");
            thread.setDaemon(true);
            return thread;
        });
        long millis = flushInterval.toMillis();
        writer.scheduleWithFixedDelay(this::flushAll, millis, millis, TimeUnit.MILLISECONDS);
    }

    /**
     * Connects to the database {@code settings} name, creates or upgrades the schema, and starts
     * writing every {@code flushInterval}.
     *
     * @param node this node's name: its counts are kept under it, for the views' breakdown
     * @throws StoreException with a one-line message when the database cannot be reached, refuses us,
     *     or has a schema newer than this jar's
     */
    public static PostgresStore open(
            StoreConfiguration.Postgres settings, String node, Clock clock, Duration flushInterval, int bufferLimit)
            throws StoreException {
        Objects.requireNonNull(node, "node");
        HikariDataSource pool = pool(settings, node);
        try {
            Schema.migrate(pool, settings.schema());
        } catch (StoreException e) {
            pool.close();
            throw e;
        }
        LOGGER.info(
                "secure-delivery: shared store on PostgreSQL {} (schema version {}), node {}, writing every {}",
                settings.describe(),
                Schema.VERSION,
                node,
                flushInterval);
        return new PostgresStore(pool, settings, node, clock, flushInterval, bufferLimit);
    }

    private static HikariDataSource pool(StoreConfiguration.Postgres settings, String node) throws StoreException {
        PGSimpleDataSource postgres = new PGSimpleDataSource();
        postgres.setServerNames(new String[] {settings.host()});
        postgres.setPortNumbers(new int[] {settings.port()});
        postgres.setDatabaseName(settings.database());
        postgres.setUser(settings.username());
        postgres.setPassword(settings.password());
        postgres.setSslMode(settings.sslMode());
        postgres.setApplicationName("secure-delivery " + node);
        int connectSeconds = (int) Math.max(1, settings.connectTimeout().toSeconds());
        long statementMillis = settings.statementTimeout().toMillis();
        postgres.setConnectTimeout(connectSeconds);
        postgres.setLoginTimeout(connectSeconds);
        // A statement the server does not end in time (a peer gone, a network that drops) is ended here.
        postgres.setSocketTimeout((int) (settings.statementTimeout().toSeconds() + connectSeconds + 5));
        postgres.setOptions("-c statement_timeout=" + statementMillis + " -c lock_timeout=" + statementMillis
                + " -c idle_in_transaction_session_timeout=" + Math.max(statementMillis * 2, 10_000));
        postgres.setCurrentSchema(settings.schema());
        HikariConfig config = new HikariConfig();
        config.setDataSource(postgres);
        config.setPoolName("secure-delivery-store");
        config.setMaximumPoolSize(settings.poolSize());
        config.setMinimumIdle(1);
        long connectMillis = Math.max(250, settings.connectTimeout().toMillis());
        config.setConnectionTimeout(connectMillis);
        config.setValidationTimeout(Math.max(250, Math.min(connectMillis, 5_000)));
        config.setInitializationFailTimeout(connectMillis);
        config.setAutoCommit(true);
        try {
            return new HikariDataSource(config);
        } catch (RuntimeException e) {
            throw StoreException.unreachable(settings.describe(), e);
        }
    }

    /** A connection from the pool, within {@code connect-timeout}. */
    Connection connection() throws SQLException {
        return pool.getConnection();
    }

    String node() {
        return node;
    }

    Clock clock() {
        return clock;
    }

    Duration flushInterval() {
        return flushInterval;
    }

    /** The most entries a buffer holds while the database cannot be reached. */
    int bufferLimit() {
        return bufferLimit;
    }

    StoreHealth health() {
        return health;
    }

    String describe() {
        return settings.describe();
    }

    /** The settings it was opened with: for tests that open a second node on the same database. */
    StoreConfiguration.Postgres settingsForTests() {
        return settings;
    }

    /** Writes {@code buffer} every flush interval, and at {@link #close()}. */
    void register(WriteBehind buffer) {
        buffers.add(buffer);
    }

    /** Writes every buffer now (on the caller's thread): before a period is closed, for one. */
    void flushNow() {
        flushAll();
    }

    private synchronized void flushAll() {
        for (WriteBehind buffer : buffers) {
            try {
                buffer.flush();
            } catch (Throwable e) {
                // One buffer's failure must not stop the others, nor the writer thread.
                LOGGER.warn("secure-delivery: writing {} to the shared store failed", buffer, e);
            }
        }
    }

    public PostgresSessionCounts sessionCounts(Duration periodLength) {
        return new PostgresSessionCounts(this, periodLength);
    }

    public PostgresReportQueue reportQueue(String clusterName) {
        return new PostgresReportQueue(this, clusterName);
    }

    public PostgresPosture posture(int retentionDays, int maxDomainsPerDay) {
        return new PostgresPosture(this, retentionDays, maxDomainsPerDay);
    }

    public PostgresInboundReports inboundReports(Duration retention, int maxReports, long maxBytes) {
        return new PostgresInboundReports(this, retention, maxReports, maxBytes);
    }

    /** Every node's delivery outcomes, this node's counted in {@code local}. */
    public PostgresOutcomes outcomes(DeliveryOutcomes local, int maxDomains) {
        return new PostgresOutcomes(this, local, maxDomains);
    }

    /** The deferred messages of every node and when each is due. */
    public PostgresWaitingList waitingList() {
        return new PostgresWaitingList(this);
    }

    public PostgresPolicyCache policyCache(int maxEntries) {
        return new PostgresPolicyCache(this, maxEntries);
    }

    /** Writes what every buffer holds (as far as the database takes it), then closes the pool. */
    @Override
    public void close() {
        writer.shutdown();
        try {
            writer.awaitTermination(
                    flushInterval.toMillis() + settings.statementTimeout().toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        flushAll();
        for (WriteBehind buffer : buffers) {
            buffer.reportLossAtClose();
        }
        pool.close();
    }
}
