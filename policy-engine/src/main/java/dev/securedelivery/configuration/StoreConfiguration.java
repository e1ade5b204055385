package dev.securedelivery.configuration;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The {@code store.*} keys: where what the nodes of a cluster must agree on is kept ({@code
 * store.kind}). {@code files}
 * (the default): each node its own files, as the other keys' directories say; one node. {@code
 * postgres}: one PostgreSQL database every node shares, for the TLS-RPT counts and report queue, the
 * posture history, the inbound reports and the MTA-STS policy cache.
 *
 * <p>The PostgreSQL settings come from the {@code store.postgres.*} keys, or from James's own {@code
 * postgres.properties} where James is {@code postgres-app} ({@code store.postgres.james-configuration}),
 * each {@code store.postgres.*} key then overriding the file's value. Tables go into a schema of their
 * own ({@code secure_delivery} by default), beside James's.
 */
public final class StoreConfiguration {
    public static final String PREFIX = "store.";
    public static final String STORE = PREFIX + "kind";
    public static final String NODE_NAME = PREFIX + "node-name";
    public static final String CLUSTER_NAME = PREFIX + "cluster-name";
    public static final String FLUSH_INTERVAL = PREFIX + "flush-interval";
    public static final String BUFFER_LIMIT = PREFIX + "buffer-limit";
    public static final String LEASE = PREFIX + "lease";
    public static final String POSTGRES = PREFIX + "postgres.";
    public static final String JAMES_CONFIGURATION = POSTGRES + "james-configuration";
    public static final String HOST = POSTGRES + "host";
    public static final String PORT = POSTGRES + "port";
    public static final String DATABASE = POSTGRES + "database";
    public static final String SCHEMA = POSTGRES + "schema";
    public static final String USERNAME = POSTGRES + "username";
    public static final String PASSWORD = POSTGRES + "password";
    public static final String SSL_MODE = POSTGRES + "ssl-mode";
    public static final String POOL_SIZE = POSTGRES + "pool-size";
    public static final String CONNECT_TIMEOUT = POSTGRES + "connect-timeout";
    public static final String STATEMENT_TIMEOUT = POSTGRES + "statement-timeout";
    static final Set<String> KEYS = Set.of(
            STORE,
            NODE_NAME,
            CLUSTER_NAME,
            FLUSH_INTERVAL,
            BUFFER_LIMIT,
            LEASE,
            JAMES_CONFIGURATION,
            HOST,
            PORT,
            DATABASE,
            SCHEMA,
            USERNAME,
            PASSWORD,
            SSL_MODE,
            POOL_SIZE,
            CONNECT_TIMEOUT,
            STATEMENT_TIMEOUT);

    /** Where the shared state is kept. */
    public enum Kind {
        FILES,
        POSTGRES
    }

    public static final String DEFAULT_SCHEMA = "secure_delivery";
    public static final String DEFAULT_CLUSTER_NAME = "cluster";
    public static final Duration DEFAULT_FLUSH_INTERVAL = Duration.ofSeconds(5);
    public static final int DEFAULT_BUFFER_LIMIT = 100_000;
    public static final Duration DEFAULT_LEASE = Duration.ofMinutes(10);
    public static final int DEFAULT_POOL_SIZE = 8;
    public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(2);
    public static final Duration DEFAULT_STATEMENT_TIMEOUT = Duration.ofSeconds(5);
    static final Set<String> SSL_MODES = Set.of("disable", "allow", "prefer", "require", "verify-ca", "verify-full");
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9]{1,63}");
    private static final Pattern IDENTIFIER = Pattern.compile("[a-z_][a-z0-9_]{0,62}");

    private final Kind kind;
    private final String nodeName;
    private final String clusterName;
    private final Duration flushInterval;
    private final int bufferLimit;
    private final Duration lease;
    private final Postgres postgres;

    private StoreConfiguration(
            Kind kind,
            String nodeName,
            String clusterName,
            Duration flushInterval,
            int bufferLimit,
            Duration lease,
            Postgres postgres) {
        this.kind = kind;
        this.nodeName = nodeName;
        this.clusterName = clusterName;
        this.flushInterval = flushInterval;
        this.bufferLimit = bufferLimit;
        this.lease = lease;
        this.postgres = postgres;
    }

    /** How to reach the PostgreSQL database, and how long to wait for it. */
    public static final class Postgres {
        private final String host;
        private final int port;
        private final String database;
        private final String schema;
        private final String username;
        private final String password;
        private final String sslMode;
        private final int poolSize;
        private final Duration connectTimeout;
        private final Duration statementTimeout;

        Postgres(
                String host,
                int port,
                String database,
                String schema,
                String username,
                String password,
                String sslMode,
                int poolSize,
                Duration connectTimeout,
                Duration statementTimeout) {
            this.host = host;
            this.port = port;
            this.database = database;
            this.schema = schema;
            this.username = username;
            this.password = password;
            this.sslMode = sslMode;
            this.poolSize = poolSize;
            this.connectTimeout = connectTimeout;
            this.statementTimeout = statementTimeout;
        }

        /** Settings for tests and tools: these, and the defaults for the rest. */
        public static Postgres of(String host, int port, String database, String username, String password) {
            return new Postgres(
                    host,
                    port,
                    database,
                    DEFAULT_SCHEMA,
                    username,
                    password,
                    "disable",
                    DEFAULT_POOL_SIZE,
                    DEFAULT_CONNECT_TIMEOUT,
                    DEFAULT_STATEMENT_TIMEOUT);
        }

        public Postgres withSchema(String name) {
            return new Postgres(
                    host,
                    port,
                    database,
                    name,
                    username,
                    password,
                    sslMode,
                    poolSize,
                    connectTimeout,
                    statementTimeout);
        }

        public Postgres withTimeouts(Duration connect, Duration statement) {
            return new Postgres(
                    host, port, database, schema, username, password, sslMode, poolSize, connect, statement);
        }

        public String host() {
            return host;
        }

        public int port() {
            return port;
        }

        public String database() {
            return database;
        }

        /** The schema our tables are in (a lower-case SQL identifier). */
        public String schema() {
            return schema;
        }

        public String username() {
            return username;
        }

        public String password() {
            return password;
        }

        /** pgjdbc's {@code sslmode}: disable, allow, prefer, require, verify-ca or verify-full. */
        public String sslMode() {
            return sslMode;
        }

        public int poolSize() {
            return poolSize;
        }

        /** The longest wait for a connection: no delivery thread ever waits longer for the store. */
        public Duration connectTimeout() {
            return connectTimeout;
        }

        /** The longest any statement may run. */
        public Duration statementTimeout() {
            return statementTimeout;
        }

        /** {@code host:port/database}, for logs: never the password. */
        public String describe() {
            return host + ":" + port + "/" + database + " (schema " + schema + ", user " + username + ")";
        }
    }

    static StoreConfiguration from(Settings settings, Optional<String> tlsReportsNodeName)
            throws ConfigurationException {
        String expected = "files or postgres";
        String value = settings.string(STORE, expected).orElse("files");
        Kind kind;
        switch (value.toLowerCase(Locale.ROOT)) {
            case "files":
                kind = Kind.FILES;
                break;
            case "postgres":
                kind = Kind.POSTGRES;
                break;
            default:
                throw settings.error(STORE, "expected " + expected + ", got " + ConfigurationException.quote(value));
        }
        String nodeName = name(settings, NODE_NAME).or(() -> tlsReportsNodeName).orElse(null);
        String clusterName = name(settings, CLUSTER_NAME).orElse(DEFAULT_CLUSTER_NAME);
        Duration flushInterval = settings.duration(FLUSH_INTERVAL, DEFAULT_FLUSH_INTERVAL, Duration.ofMinutes(5));
        int bufferLimit = settings.integer(BUFFER_LIMIT, DEFAULT_BUFFER_LIMIT, 1_000, 10_000_000);
        Duration lease = settings.duration(LEASE, DEFAULT_LEASE, Duration.ofHours(1));
        if (lease.compareTo(Duration.ofSeconds(5)) < 0) {
            throw settings.error(LEASE, "expected at least 5s: a node must be able to close a period in it");
        }
        // The store.postgres.* keys are read with store.kind = postgres only: set beside files, they wait
        // for the switch, as the sample's examples do.
        Postgres postgres = kind == Kind.POSTGRES ? postgres(settings) : null;
        return new StoreConfiguration(kind, nodeName, clusterName, flushInterval, bufferLimit, lease, postgres);
    }

    private static Optional<String> name(Settings settings, String key) throws ConfigurationException {
        Optional<String> value = settings.string(key, "1 to 63 letters and digits");
        if (value.isPresent() && !NAME.matcher(value.get()).matches()) {
            throw settings.error(
                    key, "expected 1 to 63 letters and digits, got " + ConfigurationException.quote(value.get()));
        }
        return value;
    }

    private static Postgres postgres(Settings settings) throws ConfigurationException {
        Optional<Path> jamesFile = settings.path(JAMES_CONFIGURATION);
        Properties james = jamesFile.isPresent() ? readJames(settings, jamesFile.get()) : new Properties();
        String host = settings.string(HOST, "a host name or address")
                .orElse(james.getProperty("database.host", "localhost").trim());
        int port = settings.integer(PORT, jamesInteger(settings, james, "database.port", 5432), 1, 65535);
        String database = settings.string(DATABASE, "a database name")
                .or(() ->
                        Optional.ofNullable(james.getProperty("database.name")).map(String::trim))
                .orElseThrow(() -> settings.error(
                        DATABASE,
                        "is needed with store.kind = postgres (or " + JAMES_CONFIGURATION
                                + " naming James's postgres.properties)"));
        String schema = settings.string(SCHEMA, "a lower-case SQL name").orElse(DEFAULT_SCHEMA);
        if (!IDENTIFIER.matcher(schema).matches()) {
            throw settings.error(
                    SCHEMA,
                    "expected a lower-case SQL name (letters, digits, _), got " + ConfigurationException.quote(schema));
        }
        String username = settings.string(USERNAME, "a user name")
                .or(() -> Optional.ofNullable(james.getProperty("database.username"))
                        .map(String::trim))
                .orElseThrow(() -> settings.error(USERNAME, "is needed with store.kind = postgres"));
        String password = settings.string(PASSWORD, "a password")
                .or(() -> Optional.ofNullable(james.getProperty("database.password"))
                        .map(String::trim))
                .orElse("");
        String sslMode = settings.string(SSL_MODE, "disable, allow, prefer, require, verify-ca or verify-full")
                .orElse(james.getProperty("ssl.mode", "prefer").trim())
                .toLowerCase(Locale.ROOT);
        if (!SSL_MODES.contains(sslMode)) {
            throw settings.error(
                    SSL_MODE,
                    "expected disable, allow, prefer, require, verify-ca or verify-full, got "
                            + ConfigurationException.quote(sslMode));
        }
        return new Postgres(
                host,
                port,
                database,
                schema,
                username,
                password,
                sslMode,
                settings.integer(POOL_SIZE, DEFAULT_POOL_SIZE, 2, 100),
                settings.duration(CONNECT_TIMEOUT, DEFAULT_CONNECT_TIMEOUT, Duration.ofMinutes(1)),
                settings.duration(STATEMENT_TIMEOUT, DEFAULT_STATEMENT_TIMEOUT, Duration.ofMinutes(5)));
    }

    private static Properties readJames(Settings settings, Path file) throws ConfigurationException {
        byte[] bytes = ConfiguredFiles.read(settings.file().orElse(null), JAMES_CONFIGURATION, file);
        Properties james = new Properties();
        try {
            james.load(new InputStreamReader(new ByteArrayInputStream(bytes), StandardCharsets.UTF_8));
        } catch (IOException | IllegalArgumentException e) {
            throw settings.error(JAMES_CONFIGURATION, "cannot read " + file + ": " + e.getMessage(), e);
        }
        return james;
    }

    private static int jamesInteger(Settings settings, Properties james, String key, int defaultValue)
            throws ConfigurationException {
        String value = james.getProperty(key);
        if (value == null) {
            return defaultValue;
        }
        try {
            return Integer.parseInt(value.trim());
        } catch (NumberFormatException e) {
            throw settings.error(
                    JAMES_CONFIGURATION, "James's " + key + " is not a port: " + ConfigurationException.quote(value));
        }
    }

    public Kind kind() {
        return kind;
    }

    /** This node's name, if configured: {@code store.node-name}, else {@code tls-reports.node-name}. */
    public Optional<String> nodeName() {
        return Optional.ofNullable(nodeName);
    }

    /** The name every node of the cluster shares: in the IDs of the reports they send together. */
    public String clusterName() {
        return clusterName;
    }

    /** How often each node writes what it counted to a shared store. */
    public Duration flushInterval() {
        return flushInterval;
    }

    /**
     * The most counts a node holds while a shared store cannot be reached; beyond, new ones are
     * dropped, counted, and said once in the log.
     */
    public int bufferLimit() {
        return bufferLimit;
    }

    /**
     * How long a node holds a TLS-RPT period it closes, or a report it sends, before another node may
     * take over (the holder died): longer than closing a period or sending a report may take.
     */
    public Duration lease() {
        return lease;
    }

    /** The PostgreSQL settings, with {@code store.kind = postgres}. */
    public Optional<Postgres> postgres() {
        return Optional.ofNullable(postgres);
    }
}
