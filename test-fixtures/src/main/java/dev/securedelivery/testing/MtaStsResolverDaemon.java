package dev.securedelivery.testing;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * Debian's {@code postfix-mta-sts-resolver} ({@code mta-sts-daemon}): the MTA-STS policy socketmap
 * Postfix asks, on 127.0.0.1. It reads its resolver from {@code /etc/resolv.conf} and its CAs from
 * the system: it runs in a mount namespace of its own where that file is {@code resolvConf}, with
 * {@code SSL_CERT_FILE} naming the test CA, so the machine's files are never touched.
 */
public final class MtaStsResolverDaemon implements AutoCloseable {
    private static final Path DAEMON = Path.of("/usr/bin/mta-sts-daemon");

    private final Process process;
    private final int port;

    private MtaStsResolverDaemon(Process process, int port) {
        this.process = process;
        this.port = port;
    }

    /** Why it cannot run here, or empty if it can. */
    public static Optional<String> unavailableReason() {
        return Files.isExecutable(DAEMON)
                ? Optional.empty()
                : Optional.of("no " + DAEMON + " (Debian package postfix-mta-sts-resolver; .ci/run installs it)");
    }

    /** Starts it under {@code directory} on 127.0.0.1:{@code port}. */
    public static MtaStsResolverDaemon start(Path directory, int port, Path resolvConf, Path caFile)
            throws IOException, InterruptedException {
        Files.createDirectories(directory);
        Path config = directory.resolve("mta-sts-daemon.yml");
        Files.writeString(
                config,
                "host: 127.0.0.1\nport: " + port + "\nreuse_port: true\nshutdown_timeout: 5\n"
                        + "cache:\n  type: internal\n  options:\n    cache_size: 10000\n"
                        + "default_zone:\n  strict_testing: false\n  timeout: 4\n",
                StandardCharsets.US_ASCII);
        String launch = "mount --bind " + resolvConf + " /etc/resolv.conf && exec env SSL_CERT_FILE=" + caFile + " "
                + DAEMON + " -c " + config + " -v warn";
        Process process = new ProcessBuilder("unshare", "-m", "--propagation", "private", "sh", "-c", launch)
                .directory(directory.toFile())
                .redirectErrorStream(true)
                .redirectOutput(directory.resolve("mta-sts-daemon.out").toFile())
                .start();
        Instant deadline = Instant.now().plusSeconds(30);
        while (Instant.now().isBefore(deadline)) {
            if (!process.isAlive()) {
                throw new IOException("mta-sts-daemon stopped at start: "
                        + Files.readString(directory.resolve("mta-sts-daemon.out")));
            }
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress("127.0.0.1", port), 500);
                return new MtaStsResolverDaemon(process, port);
            } catch (IOException e) {
                Thread.sleep(100);
            }
        }
        process.destroyForcibly();
        throw new IOException("mta-sts-daemon does not listen on " + port);
    }

    /** The daemon's processes: for a benchmark that counts them with Postfix's. */
    public List<ProcessHandle> processes() {
        List<ProcessHandle> all = new ArrayList<>();
        all.add(process.toHandle());
        all.addAll(process.descendants().collect(Collectors.toList()));
        return all;
    }

    public int port() {
        return port;
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly();
        }
    }
}
