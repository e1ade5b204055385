package dev.securedelivery.configuration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The store.* keys: files by default; PostgreSQL from our keys, or from James's postgres.properties. */
class StoreConfigurationTest {
    @TempDir
    Path directory;

    private static StoreConfiguration read(String... keys) throws ConfigurationException {
        Properties properties = new Properties();
        for (int i = 0; i < keys.length; i += 2) {
            properties.setProperty(keys[i], keys[i + 1]);
        }
        return PolicyEngineConfiguration.from(properties).store();
    }

    @Test
    void filesByDefaultWithTheDefaults() throws Exception {
        StoreConfiguration store = read();

        assertThat(store.kind()).isEqualTo(StoreConfiguration.Kind.FILES);
        assertThat(store.postgres()).isEmpty();
        assertThat(store.clusterName()).isEqualTo("cluster");
        assertThat(store.flushInterval()).isEqualTo(Duration.ofSeconds(5));
        assertThat(store.lease()).isEqualTo(Duration.ofMinutes(10));
        assertThat(store.nodeName()).isEmpty();
    }

    @Test
    void theNodeNameIsTheStoresOrElseTheTlsReportsOne() throws Exception {
        assertThat(read("tls-reports.node-name", "mx1").nodeName()).contains("mx1");
        assertThat(read("tls-reports.node-name", "mx1", "store.node-name", "node2")
                        .nodeName())
                .contains("node2");
    }

    @Test
    void postgresFromOurKeys() throws Exception {
        StoreConfiguration.Postgres postgres = read(
                        "store.kind", "postgres",
                        "store.postgres.host", "db.example.net",
                        "store.postgres.database", "mail",
                        "store.postgres.username", "james",
                        "store.postgres.password", "secret",
                        "store.postgres.ssl-mode", "verify-full")
                .postgres()
                .orElseThrow();

        assertThat(postgres.host()).isEqualTo("db.example.net");
        assertThat(postgres.port()).isEqualTo(5432);
        assertThat(postgres.database()).isEqualTo("mail");
        assertThat(postgres.schema()).isEqualTo("secure_delivery");
        assertThat(postgres.sslMode()).isEqualTo("verify-full");
        assertThat(postgres.describe()).doesNotContain("secret");
    }

    @Test
    void postgresFromJamessOwnFileEachOfOurKeysOverridingIt() throws Exception {
        Path james = directory.resolve("postgres.properties");
        Files.writeString(
                james,
                "database.name=james\ndatabase.schema=public\ndatabase.host=postgres\ndatabase.port=5433\n"
                        + "database.username=james\ndatabase.password=secret1\nssl.mode=allow\n",
                StandardCharsets.UTF_8);

        StoreConfiguration.Postgres postgres = read(
                        "store.kind", "postgres",
                        "store.postgres.james-configuration", james.toString(),
                        "store.postgres.host", "127.0.0.1")
                .postgres()
                .orElseThrow();

        assertThat(postgres.host()).isEqualTo("127.0.0.1");
        assertThat(postgres.port()).isEqualTo(5433);
        assertThat(postgres.database()).isEqualTo("james");
        assertThat(postgres.username()).isEqualTo("james");
        assertThat(postgres.password()).isEqualTo("secret1");
        assertThat(postgres.sslMode()).isEqualTo("allow");
        // Our tables go beside James's, not among them.
        assertThat(postgres.schema()).isEqualTo("secure_delivery");
    }

    @ParameterizedTest(name = "{0} = {1}")
    @CsvSource(
            delimiter = '|',
            value = {
                "store.kind | mysql | expected files or postgres, got \"mysql\"",
                "store.lease | 1s | expected at least 5s",
                "store.cluster-name | my-cluster | expected 1 to 63 letters and digits",
                "store.postgres.ssl-mode | maybe | expected disable, allow, prefer, require, verify-ca or verify-full",
                "store.postgres.schema | Secure-Delivery | expected a lower-case SQL name"
            })
    void aBadValueIsNamedWithItsKey(String key, String value, String problem) {
        assertThatThrownBy(() -> read(
                        "store.kind",
                        key.equals("store.kind") ? value : "postgres",
                        "store.postgres.database",
                        "james",
                        "store.postgres.username",
                        "james",
                        key,
                        value))
                .isInstanceOf(ConfigurationException.class)
                .hasMessageContaining(key)
                .hasMessageContaining(problem);
    }

    @Test
    void postgresWithoutADatabaseSaysWhatIsMissing() {
        assertThatThrownBy(() -> read("store.kind", "postgres", "store.postgres.username", "james"))
                .isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("store.postgres.database")
                .hasMessageContaining("is needed with store.kind = postgres");
    }
}
