package dev.securedelivery.store;

import dev.securedelivery.configuration.StoreConfiguration;
import dev.securedelivery.testing.PostgresServer;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Assumptions;

/**
 * One real PostgreSQL for this module's tests (Debian's, started once per JVM by {@link
 * PostgresServer}), a database of its own per test, and the stores of the nodes a test opens on it.
 * Without PostgreSQL the tests are skipped, saying why, unless {@code SECURE_DELIVERY_POSTGRES=required}.
 */
final class TestDatabase implements AutoCloseable {
    private static PostgresServer server;

    private final String database;
    private final List<PostgresStore> stores = new ArrayList<>();

    private TestDatabase(String database) {
        this.database = database;
    }

    /** A new database; skips the test where PostgreSQL cannot run here. */
    static TestDatabase create() throws Exception {
        return new TestDatabase(server().createDatabase());
    }

    static synchronized PostgresServer server() throws Exception {
        Optional<String> missing = PostgresServer.unavailableReason();
        if (missing.isPresent() && PostgresServer.required()) {
            throw new IllegalStateException("PostgreSQL is required here: " + missing.get());
        }
        Assumptions.assumeTrue(missing.isEmpty(), () -> "skipped: " + missing.orElse(""));
        if (server == null) {
            server = PostgresServer.start();
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                try {
                    server.close();
                } catch (Exception e) {
                    // The JVM ends either way.
                }
            }));
        }
        return server;
    }

    StoreConfiguration.Postgres settings() {
        return StoreConfiguration.Postgres.of(
                        server.host(), server.port(), database, PostgresServer.SUPERUSER, PostgresServer.PASSWORD)
                .withTimeouts(Duration.ofSeconds(2), Duration.ofSeconds(5));
    }

    /** The store of {@code node}, writing every second; closed with this. */
    PostgresStore open(String node, Clock clock) throws StoreException {
        return open(node, clock, Duration.ofSeconds(1), 100_000);
    }

    PostgresStore open(String node, Clock clock, Duration flushInterval, int bufferLimit) throws StoreException {
        PostgresStore store = PostgresStore.open(settings(), node, clock, flushInterval, bufferLimit);
        stores.add(store);
        return store;
    }

    String name() {
        return database;
    }

    @Override
    public void close() {
        for (PostgresStore store : stores) {
            store.close();
        }
    }
}
