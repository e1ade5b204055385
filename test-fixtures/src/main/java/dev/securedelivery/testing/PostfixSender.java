package dev.securedelivery.testing;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * Debian's Postfix as an outbound relay, the alternative a James administrator has: an instance of
 * its own (config, queue and log under a directory), taking mail by SMTP on 127.0.0.1 from {@code
 * mynetworks} and sending it with DANE ({@code smtp_tls_security_level = dane}, {@code
 * smtp_dns_support_level = dnssec}) and MTA-STS (the {@code postfix-mta-sts-resolver} socketmap
 * given), its connection cache on (Debian's default), Debian's defaults otherwise. Postfix reads its
 * resolver from {@code /etc/resolv.conf}, which names no port: it runs in a mount namespace of its
 * own ({@code unshare -m}) where that file is {@code resolvConf} (a validating resolver on
 * 127.0.0.53:53, {@code options trust-ad}), so the machine's file is never touched. The processor
 * time of the master and every process it reaped is measured by {@code /usr/bin/time} around it.
 *
 * <p>Needs the packages {@code postfix} and {@code time} ({@link #unavailableReason()} says which is
 * missing), and root for Postfix's master, the sink on port 25 and {@code unshare} ({@link
 * #privilegeMissing()}).
 */
public final class PostfixSender implements AutoCloseable {
    private static final Path POSTFIX = Path.of("/usr/sbin/postfix");
    private static final Path TIME = Path.of("/usr/bin/time");

    private final Path directory;
    private final int smtpPort;
    private final Process process;

    private PostfixSender(Path directory, int smtpPort, Process process) {
        this.directory = directory;
        this.smtpPort = smtpPort;
        this.process = process;
    }

    /** Why Postfix cannot run here, or empty if it can. */
    public static Optional<String> unavailableReason() {
        if (!Files.isExecutable(POSTFIX)) {
            return Optional.of("no " + POSTFIX + " (Debian package postfix; .ci/run installs it)");
        }
        if (!Files.isExecutable(TIME)) {
            return Optional.of("no " + TIME + " (Debian package time; .ci/run installs it)");
        }
        return Optional.empty();
    }

    /** Why the tests may not run Postfix here though it is installed (not root), or empty if they may. */
    public static Optional<String> privilegeMissing() {
        return "root".equals(System.getProperty("user.name"))
                ? Optional.empty()
                : Optional.of("Postfix's master, the sink on port 25 and the resolver on port 53 need root, and the"
                        + " tests run as " + System.getProperty("user.name"));
    }

    /**
     * Starts an instance in a directory of its own (readable by the {@code postfix} user, which a test's
     * temporary directory is not), taking mail on 127.0.0.1:{@code smtpPort}, resolving through {@code
     * resolvConf}, trusting {@code caFile} for PKIX (MTA-STS), asking the MTA-STS resolver's socketmap on
     * 127.0.0.1:{@code stsPort} for policies.
     */
    public static PostfixSender start(int smtpPort, Path resolvConf, Path caFile, int stsPort)
            throws IOException, InterruptedException {
        Path directory = Files.createTempDirectory(
                "secure-delivery-postfix",
                java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                        java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x")));
        Path etc = Files.createDirectories(directory.resolve("etc"));
        Path ca = directory.resolve("ca.pem");
        Files.copy(caFile, ca);
        caFile = ca;
        Files.createDirectories(directory.resolve("spool"));
        Path data = Files.createDirectories(directory.resolve("data"));
        Files.writeString(
                etc.resolve("main.cf"),
                String.join(
                        "\n",
                        "compatibility_level = 3.6",
                        "queue_directory = " + directory.resolve("spool"),
                        "data_directory = " + data,
                        "mail_owner = postfix",
                        "setgid_group = postdrop",
                        "myhostname = postfix.sender.test",
                        "mydestination =",
                        "inet_interfaces = 127.0.0.1",
                        "inet_protocols = ipv4",
                        "mynetworks = 127.0.0.0/8",
                        "maillog_file_prefixes = " + directory,
                        "maillog_file = " + directory.resolve("maillog"),
                        "alias_maps =",
                        "alias_database =",
                        // DANE where DNSSEC-signed TLSA records are; otherwise the MTA-STS policy, if any.
                        "smtp_tls_security_level = dane",
                        "smtp_dns_support_level = dnssec",
                        "smtp_tls_loglevel = 1",
                        "smtp_tls_CAfile = " + caFile,
                        "smtp_tls_policy_maps = socketmap:inet:127.0.0.1:" + stsPort + ":postfix",
                        ""),
                StandardCharsets.US_ASCII);
        List<String> master = new ArrayList<>();
        for (String line : Files.readAllLines(Path.of("/etc/postfix/master.cf"), StandardCharsets.US_ASCII)) {
            if (line.startsWith("smtp      inet")) {
                line = "127.0.0.1:" + smtpPort + " inet n - n - - smtpd";
            }
            // No chroot: the mount namespace gives every process the resolver.
            master.add(line.replaceFirst("^([a-z0-9-]+ +(unix|unix-dgram|inet|fifo|pass) +[-ny] +[-ny] +)y", "$1n"));
        }
        Files.write(etc.resolve("master.cf"), master, StandardCharsets.US_ASCII);
        run(List.of(POSTFIX.toString(), "-c", etc.toString(), "post-install", "create-missing"), directory);
        run(List.of("chown", "-R", "postfix", data.toString()), directory);
        String launch = "mount --bind " + resolvConf + " /etc/resolv.conf && exec " + TIME + " -f '%U %S' -o "
                + directory.resolve("cpu") + " " + POSTFIX + " -c " + etc + " start-fg";
        Process process = new ProcessBuilder("unshare", "-m", "--propagation", "private", "sh", "-c", launch)
                .directory(directory.toFile())
                .redirectErrorStream(true)
                .redirectOutput(directory.resolve("postfix.out").toFile())
                .start();
        PostfixSender postfix = new PostfixSender(directory, smtpPort, process);
        postfix.awaitListening();
        return postfix;
    }

    private void awaitListening() throws IOException, InterruptedException {
        Instant deadline = Instant.now().plusSeconds(30);
        while (Instant.now().isBefore(deadline)) {
            if (!process.isAlive()) {
                throw new IOException(
                        "Postfix stopped at start: " + Files.readString(directory.resolve("postfix.out")));
            }
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress("127.0.0.1", smtpPort), 500);
                return;
            } catch (IOException e) {
                Thread.sleep(100);
            }
        }
        throw new IOException("Postfix does not listen on " + smtpPort);
    }

    private static void run(List<String> command, Path directory) throws IOException, InterruptedException {
        // script(1) gives postfix a terminal: without one its errors go to syslog only.
        Process process = new ProcessBuilder("script", "-qc", String.join(" ", command), "/dev/null")
                .directory(directory.toFile())
                .redirectErrorStream(true)
                .start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
            throw new IOException(String.join(" ", command) + " failed: " + output);
        }
    }

    /** Where Postfix takes mail. */
    public int smtpPort() {
        return smtpPort;
    }

    /** The process tree's processes now (the wrapper, Postfix's master and its children). */
    public List<ProcessHandle> processes() {
        List<ProcessHandle> all = new ArrayList<>();
        all.add(process.toHandle());
        all.addAll(process.descendants().collect(Collectors.toList()));
        return all;
    }

    /** The maillog so far: one line per delivery ({@code status=sent}) and per TLS connection. */
    public List<String> maillog() throws IOException {
        Path log = directory.resolve("maillog");
        return Files.exists(log) ? Files.readAllLines(log, StandardCharsets.UTF_8) : List.of();
    }

    /** Messages still in the queue: 0 once everything is sent. */
    public long queued() throws IOException {
        long count = 0;
        for (String queue : List.of("incoming", "active", "deferred")) {
            Path dir = directory.resolve("spool").resolve(queue);
            if (Files.isDirectory(dir)) {
                try (var files = Files.walk(dir)) {
                    count += files.filter(Files::isRegularFile).count();
                }
            }
        }
        return count;
    }

    /**
     * Stops Postfix and returns the processor time the master and every process it reaped took since
     * it started (user plus system).
     */
    public Duration stopAndCpu() throws IOException, InterruptedException {
        run(List.of(POSTFIX.toString(), "-c", directory.resolve("etc").toString(), "stop"), directory);
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
        }
        String[] times = Files.readString(directory.resolve("cpu")).trim().split("\\s+");
        double seconds = Double.parseDouble(times[times.length - 2]) + Double.parseDouble(times[times.length - 1]);
        return Duration.ofMillis(Math.round(seconds * 1000));
    }

    @Override
    public void close() throws IOException, InterruptedException {
        if (process.isAlive()) {
            stopAndCpu();
        }
    }
}
