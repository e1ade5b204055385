package dev.securedelivery.testing;

import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Debian's RabbitMQ for the tests: a private broker of its own (its node name, data, Erlang cookie
 * and port mapper under a temporary directory), on 127.0.0.1 and ports below the ephemeral range,
 * with the management plugin (James's RabbitMQ mail queue lists its queues through the management
 * API). The user is RabbitMQ's default {@code guest}, which may connect from the loopback address only.
 *
 * <p>{@link #unavailableReason()} says why it cannot run here (no RabbitMQ installed), so that tests
 * can be skipped with that reason; {@code .ci/run} installs it and sets {@code
 * SECURE_DELIVERY_RABBITMQ=required}, which makes a missing one fail the tests instead.
 */
public final class RabbitMqServer implements AutoCloseable {
    public static final String USER = "guest";
    public static final String PASSWORD = "guest";

    private static final Path BIN = Path.of("/usr/lib/rabbitmq/bin");
    private static final Duration START = Duration.ofSeconds(90);

    private final Path directory;
    private final Map<String, String> environment;
    private final String node;
    private final int amqpPort;
    private final int managementPort;
    private final Process process;

    private RabbitMqServer(
            Path directory,
            Map<String, String> environment,
            String node,
            int amqpPort,
            int managementPort,
            Process process) {
        this.directory = directory;
        this.environment = environment;
        this.node = node;
        this.amqpPort = amqpPort;
        this.managementPort = managementPort;
        this.process = process;
    }

    /** Why RabbitMQ cannot run here, or empty if it can. */
    public static Optional<String> unavailableReason() {
        return Files.isExecutable(BIN.resolve("rabbitmq-server"))
                ? Optional.empty()
                : Optional.of(
                        "no RabbitMQ server at " + BIN + " (Debian package rabbitmq-server; .ci/run installs it)");
    }

    /** Whether a missing RabbitMQ must fail the tests rather than skip them. */
    public static boolean required() {
        return "required".equals(System.getenv("SECURE_DELIVERY_RABBITMQ"));
    }

    /** Starts a broker under a new temporary directory and waits until its management API answers. */
    public static RabbitMqServer start() throws IOException {
        unavailableReason().ifPresent(reason -> {
            throw new IllegalStateException(reason);
        });
        Path directory = Files.createTempDirectory("secure-delivery-rabbitmq");
        InetAddress loopback = InetAddress.getByName("127.0.0.1");
        int amqp = LoopbackPorts.freeTcpPort(loopback);
        int management = LoopbackPorts.freeTcpPort(loopback);
        int distribution = LoopbackPorts.freeTcpPort(loopback);
        int portMapper = LoopbackPorts.freeTcpPort(loopback);
        Files.writeString(
                directory.resolve("rabbitmq.conf"),
                "listeners.tcp.default = 127.0.0.1:" + amqp + "\n"
                        + "management.tcp.ip = 127.0.0.1\n"
                        + "management.tcp.port = " + management + "\n",
                StandardCharsets.UTF_8);
        Files.writeString(directory.resolve("enabled_plugins"), "[rabbitmq_management].\n", StandardCharsets.UTF_8);
        String node = "secure-delivery-" + amqp + "@localhost";
        Map<String, String> environment = Map.of(
                "HOME", directory.toString(),
                "RABBITMQ_CONFIG_FILE", directory.resolve("rabbitmq.conf").toString(),
                "RABBITMQ_ENABLED_PLUGINS_FILE",
                        directory.resolve("enabled_plugins").toString(),
                "RABBITMQ_MNESIA_BASE", directory.resolve("mnesia").toString(),
                "RABBITMQ_LOG_BASE", directory.resolve("log").toString(),
                "RABBITMQ_PID_FILE", directory.resolve("pid").toString(),
                "RABBITMQ_NODENAME", node,
                "RABBITMQ_DIST_PORT", String.valueOf(distribution),
                "ERL_EPMD_PORT", String.valueOf(portMapper),
                "ERL_EPMD_ADDRESS", "127.0.0.1");
        ProcessBuilder builder = new ProcessBuilder(
                        BIN.resolve("rabbitmq-server").toString())
                .directory(directory.toFile())
                .redirectErrorStream(true)
                .redirectOutput(directory.resolve("server.log").toFile());
        builder.environment().putAll(environment);
        RabbitMqServer server = new RabbitMqServer(directory, environment, node, amqp, management, builder.start());
        server.awaitManagement();
        return server;
    }

    private void awaitManagement() throws IOException {
        HttpClient http =
                HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        HttpRequest overview = HttpRequest.newBuilder(URI.create(managementUri() + "/api/overview"))
                .header("Authorization", authorization())
                .timeout(Duration.ofSeconds(5))
                .build();
        Instant deadline = Instant.now().plus(START);
        while (Instant.now().isBefore(deadline)) {
            if (!process.isAlive()) {
                throw new IOException("RabbitMQ stopped at start: " + log());
            }
            try {
                if (http.send(overview, HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                    return;
                }
            } catch (IOException e) {
                // Not listening yet.
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted", e);
            }
            sleep(250);
        }
        close();
        throw new IOException("RabbitMQ did not answer within " + START + ": " + log());
    }

    /** The AMQP address, with the user and password. */
    public URI amqpUri() {
        return URI.create("amqp://" + USER + ":" + PASSWORD + "@127.0.0.1:" + amqpPort);
    }

    /** The management API's base address. */
    public URI managementUri() {
        return URI.create("http://127.0.0.1:" + managementPort);
    }

    private static String authorization() {
        return "Basic " + Base64.getEncoder().encodeToString((USER + ":" + PASSWORD).getBytes(StandardCharsets.UTF_8));
    }

    /** The broker's output so far, its last 4,000 characters. */
    public String log() {
        try {
            String log = Files.readString(directory.resolve("server.log"), StandardCharsets.UTF_8);
            return log.length() > 4_000 ? log.substring(log.length() - 4_000) : log;
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    /** Stops the broker and its port mapper, and deletes its directory. */
    @Override
    public void close() throws IOException {
        run(List.of(BIN.resolve("rabbitmqctl").toString(), "-n", node, "stop"));
        if (process.isAlive()) {
            process.destroyForcibly();
        }
        // The Erlang port mapper the broker started outlives it: it goes too.
        run(List.of("epmd", "-kill"));
        try (Stream<Path> files = Files.walk(directory)) {
            files.sorted(Comparator.reverseOrder())
                    .forEach(path -> path.toFile().delete());
        }
    }

    private void run(List<String> command) {
        ProcessBuilder builder = new ProcessBuilder(command)
                .directory(directory.toFile())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD);
        builder.environment().putAll(environment);
        try {
            Process run = builder.start();
            if (!run.waitFor(30, TimeUnit.SECONDS)) {
                run.destroyForcibly();
            }
        } catch (IOException e) {
            // Stopping: the process is ended below either way.
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
