package dev.securedelivery.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.securedelivery.configuration.StoreConfiguration;
import dev.securedelivery.testing.LoopbackPorts;
import dev.securedelivery.testing.PostgresServer;
import java.net.InetAddress;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The shared store at start, in a real PostgreSQL: the schema is created once (two nodes starting
 * together included), a schema newer than this jar's is refused, and a database that cannot be
 * reached or refuses us is said in one line.
 */
class SchemaTest {
    private TestDatabase database;

    @BeforeEach
    void createDatabase() throws Exception {
        database = TestDatabase.create();
    }

    @AfterEach
    void closeStores() {
        database.close();
    }

    @Test
    void theSchemaIsCreatedAtTheFirstStartAndKeptAtTheNext() throws Exception {
        database.open("one", Clock.systemUTC());
        database.open("two", Clock.systemUTC());

        try (Connection connection = database.open("three", Clock.systemUTC()).connection();
                Statement statement = connection.createStatement();
                var rows = statement.executeQuery("SELECT version FROM secure_delivery.schema_version")) {
            assertThat(rows.next()).isTrue();
            assertThat(rows.getInt(1)).isEqualTo(Schema.VERSION);
            assertThat(rows.next()).as("one row: created once").isFalse();
        }
    }

    @Test
    void aSchemaNewerThanThisJarsIsRefusedInOneLine() throws Exception {
        try (Connection connection = database.open("one", Clock.systemUTC()).connection();
                Statement statement = connection.createStatement()) {
            statement.execute(
                    "INSERT INTO secure_delivery.schema_version (version) VALUES (" + (Schema.VERSION + 1) + ")");
        }

        assertThatThrownBy(() -> database.open("two", Clock.systemUTC()))
                .isInstanceOf(StoreException.class)
                .hasMessage("the shared store's schema secure_delivery is version " + (Schema.VERSION + 1)
                        + ", newer than this jar's " + Schema.VERSION
                        + ": every node must run the newer secure-delivery");
    }

    @Test
    void aDatabaseNobodyListensOnIsSaidInOneLine() throws Exception {
        int closed = LoopbackPorts.freeTcpPort(InetAddress.getLoopbackAddress());
        StoreConfiguration.Postgres nowhere = StoreConfiguration.Postgres.of(
                        "127.0.0.1", closed, "james", "james", "secret")
                .withTimeouts(Duration.ofSeconds(1), Duration.ofSeconds(1));

        assertThatThrownBy(() -> PostgresStore.open(nowhere, "one", Clock.systemUTC(), Duration.ofSeconds(1), 1000))
                .isInstanceOf(StoreException.class)
                .hasMessageStartingWith("the shared store 127.0.0.1:" + closed + "/james (schema secure_delivery, user"
                        + " james) cannot be reached: ")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n").doesNotContain("secret"));
    }

    @Test
    void aWrongPasswordIsSaidInOneLine() throws Exception {
        StoreConfiguration.Postgres wrong = StoreConfiguration.Postgres.of(
                        "127.0.0.1",
                        TestDatabase.server().port(),
                        database.name(),
                        PostgresServer.SUPERUSER,
                        "not-the-password")
                .withTimeouts(Duration.ofSeconds(2), Duration.ofSeconds(2));

        assertThatThrownBy(() -> PostgresStore.open(wrong, "one", Clock.systemUTC(), Duration.ofSeconds(1), 1000))
                .isInstanceOf(StoreException.class)
                .hasMessageContaining("cannot be reached")
                .hasMessageContaining("password authentication failed")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n").doesNotContain("not-the-password"));
    }
}
