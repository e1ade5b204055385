package dev.securedelivery.testing;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * Debian's PostgreSQL for the tests: a private cluster of its own (initdb into a temporary directory),
 * on 127.0.0.1 and a port below the ephemeral range, password authentication (scram-sha-256), run as
 * the {@code postgres} user where the tests run as root (PostgreSQL refuses root). Each test makes a
 * database of its own ({@link #createDatabase()}); a test may stop and start the server, as an outage.
 *
 * <p>{@link #unavailableReason()} says why it cannot run here (no PostgreSQL installed), so that tests
 * can be skipped with that reason; {@code .ci/run} installs it and sets {@code
 * SECURE_DELIVERY_POSTGRES=required}, which makes a missing one fail the tests instead.
 */
public final class PostgresServer implements AutoCloseable {
    public static final String REQUIRED_PROPERTY = "secure-delivery.postgres";
    public static final String SUPERUSER = "postgres";
    public static final String PASSWORD = "test-secret-0";

    private static final Path VERSIONS = Path.of("/usr/lib/postgresql");
    private static final AtomicInteger DATABASES = new AtomicInteger();

    private final Path bin;
    private final Path directory;
    private final Path data;
    private final int port;
    private final boolean asPostgresUser;
    private final String settings;

    private PostgresServer(Path bin, Path directory, int port, boolean asPostgresUser, String settings) {
        this.bin = bin;
        this.directory = directory;
        this.data = directory.resolve("data");
        this.port = port;
        this.asPostgresUser = asPostgresUser;
        this.settings = settings;
    }

    /** Why PostgreSQL cannot run here, or empty if it can. */
    public static Optional<String> unavailableReason() {
        return binaries().isPresent()
                ? Optional.empty()
                : Optional.of("no PostgreSQL server under " + VERSIONS + " (Debian package postgresql; .ci/run"
                        + " installs it)");
    }

    /** Whether a missing PostgreSQL must fail the tests rather than skip them. */
    public static boolean required() {
        return "required".equals(System.getProperty(REQUIRED_PROPERTY, System.getenv("SECURE_DELIVERY_POSTGRES")));
    }

    // The newest installed version's bin directory.
    private static Optional<Path> binaries() {
        if (!Files.isDirectory(VERSIONS)) {
            return Optional.empty();
        }
        try (Stream<Path> versions = Files.list(VERSIONS)) {
            return versions.map(version -> version.resolve("bin"))
                    .filter(bin ->
                            Files.isExecutable(bin.resolve("initdb")) && Files.isExecutable(bin.resolve("postgres")))
                    .max(Comparator.comparing(bin -> versionOf(bin.getParent())));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    private static int versionOf(Path directory) {
        try {
            return Integer.parseInt(directory.getFileName().toString());
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    /** Creates a cluster under a new temporary directory and starts it. */
    public static PostgresServer start() throws IOException {
        return start("");
    }

    /**
     * {@link #start()} with {@code settings} added to the server's command line ({@code -c
     * shared_preload_libraries=pg_stat_statements}, for a benchmark that counts statements).
     */
    public static PostgresServer start(String settings) throws IOException {
        Path bin =
                binaries().orElseThrow(() -> new IOException(unavailableReason().orElse("no PostgreSQL")));
        boolean root = "root".equals(System.getProperty("user.name"));
        Path directory = Files.createTempDirectory("secure-delivery-postgres");
        int port = LoopbackPorts.freeTcpPort(InetAddress.getLoopbackAddress());
        PostgresServer server = new PostgresServer(bin, directory, port, root, settings);
        Path password = directory.resolve("password");
        Files.writeString(password, PASSWORD + "\n", StandardCharsets.UTF_8);
        if (root) {
            server.run(List.of("chown", "-R", SUPERUSER + ":" + SUPERUSER, directory.toString()), false);
        }
        server.run(
                List.of(
                        bin.resolve("initdb").toString(),
                        "-D",
                        server.data.toString(),
                        "-A",
                        "scram-sha-256",
                        "--pwfile=" + password,
                        "-U",
                        SUPERUSER,
                        "--no-sync",
                        "-E",
                        "UTF8"),
                true);
        server.startServer();
        return server;
    }

    /** Starts the server again after {@link #stop()}: the data is still there. */
    public void startServer() throws IOException {
        run(
                List.of(
                        bin.resolve("pg_ctl").toString(),
                        "-D",
                        data.toString(),
                        "-l",
                        directory.resolve("postgres.log").toString(),
                        "-w",
                        "-t",
                        "60",
                        "-o",
                        "-p " + port + " -c listen_addresses=127.0.0.1 -c unix_socket_directories=" + directory
                                + " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
                                + " -c max_connections=300 " + settings,
                        "start"),
                true);
    }

    /** Stops the server at once (clients see their connections cut), as an outage. */
    public void stop() throws IOException {
        run(List.of(bin.resolve("pg_ctl").toString(), "-D", data.toString(), "-m", "fast", "-w", "stop"), true);
    }

    /** A new, empty database, owned by the superuser: its name. */
    public String createDatabase() throws SQLException {
        String name = "test_" + ProcessHandle.current().pid() + "_" + DATABASES.incrementAndGet();
        try (Connection connection = DriverManager.getConnection(url("postgres"), SUPERUSER, PASSWORD);
                Statement statement = connection.createStatement()) {
            statement.execute("CREATE DATABASE " + name);
        }
        return name;
    }

    public String host() {
        return "127.0.0.1";
    }

    public int port() {
        return port;
    }

    /** The JDBC URL of {@code database}. */
    public String url(String database) {
        return "jdbc:postgresql://127.0.0.1:" + port + "/" + database;
    }

    /** What the server logged, for a test's failure message. */
    public String log() {
        try {
            return Files.readString(directory.resolve("postgres.log"), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    private void run(List<String> command, boolean asPostgres) throws IOException {
        List<String> full = new ArrayList<>();
        if (asPostgres && asPostgresUser) {
            full.addAll(List.of("runuser", "-u", SUPERUSER, "--"));
        }
        full.addAll(command);
        Process process = new ProcessBuilder(full)
                .redirectErrorStream(true)
                .redirectOutput(directory.resolve("commands.log").toFile())
                .start();
        try {
            if (!process.waitFor(120, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new IOException(String.join(" ", command) + " did not end within 120 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
            throw new IOException("interrupted", e);
        }
        if (process.exitValue() != 0) {
            throw new IOException(String.join(" ", command) + " exited with " + process.exitValue() + ": "
                    + Files.readString(directory.resolve("commands.log"), StandardCharsets.UTF_8));
        }
    }

    @Override
    public void close() throws IOException {
        try {
            run(
                    List.of(bin.resolve("pg_ctl").toString(), "-D", data.toString(), "-m", "immediate", "-w", "stop"),
                    true);
        } catch (IOException e) {
            // Stopped already.
        }
        try (Stream<Path> files = Files.walk(directory)) {
            files.sorted(Comparator.reverseOrder())
                    .forEach(file -> file.toFile().delete());
        }
    }
}
