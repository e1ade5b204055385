package dev.securedelivery.integration;

import dev.securedelivery.testing.LoopbackPorts;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import javax.mail.MessagingException;

/**
 * James 3.8.1 started exactly as the README's main command starts it: {@code bin/james}, its own
 * JVM, James's own class path, the extension jar in {@code extensions-jars/} and the distribution's
 * {@code conf/}. A test only changes what a local administrator would: the listening ports (free
 * ones instead of 2525, 1143 and 8000), {@code secure-delivery.properties}, and the delivery
 * mailet's {@code smtpPort} (the test MX servers do not listen on 25).
 */
final class JamesProcess implements AutoCloseable {
    static final Path REPOSITORY = repository();
    static final Path DISTRIBUTION_CONF = REPOSITORY.resolve("james-conf/target/conf");

    // Surefire names the repository; a benchmark started with java -cp finds it from where it runs.
    private static Path repository() {
        String named = System.getProperty("secure-delivery.repository");
        if (named != null) {
            return Path.of(named).toAbsolutePath().normalize();
        }
        for (Path directory = Path.of("").toAbsolutePath(); directory != null; directory = directory.getParent()) {
            if (Files.isDirectory(directory.resolve("integration-tests"))
                    && Files.isDirectory(directory.resolve("james-conf"))) {
                return directory;
            }
        }
        throw new IllegalStateException(
                "not run from inside the secure-delivery repository, and" + " -Dsecure-delivery.repository is not set");
    }

    private final Path home;
    private final Process process;
    private final Path output;
    private final int smtpPort;
    private final int webAdminPort;

    private JamesProcess(Path home, Process process, Path output, int smtpPort, int webAdminPort) {
        this.home = home;
        this.process = process;
        this.output = output;
        this.smtpPort = smtpPort;
        this.webAdminPort = webAdminPort;
    }

    /**
     * Prepares {@code home} and runs {@code bin/james} in it; returns at once (see {@link #awaitStarted}).
     *
     * @param secureDelivery conf/secure-delivery.properties
     * @param mxPort the delivery mailet's smtpPort
     */
    static JamesProcess launch(Path home, Properties secureDelivery, int mxPort) throws IOException {
        return launch(home, secureDelivery, mxPort, Map.of());
    }

    /**
     * {@link #launch(Path, Properties, int)}, with {@code mailetContainer}'s replacements made in
     * mailetcontainer.xml too (each text must be in the distribution's file).
     */
    static JamesProcess launch(Path home, Properties secureDelivery, int mxPort, Map<String, String> mailetContainer)
            throws IOException {
        Ports ports = configure(home, secureDelivery, mxPort, mailetContainer);
        Path output = home.resolve("james.out");
        return new JamesProcess(home, start(home, output), output, ports.smtp, ports.webAdmin);
    }

    /**
     * James started again in the same home, with the same ports and configuration, after this one
     * stopped ({@link #close()}): what an administrator's restart is. Returns at once.
     */
    JamesProcess restart() throws IOException {
        if (process.isAlive()) {
            throw new IllegalStateException("James still runs: close() it first");
        }
        Path next = home.resolve("james-restarted.out");
        return new JamesProcess(home, start(home, next), next, smtpPort, webAdminPort);
    }

    private static Process start(Path home, Path output) throws IOException {
        ProcessBuilder builder = new ProcessBuilder(
                        REPOSITORY.resolve("bin/james").toString())
                .redirectErrorStream(true)
                .redirectOutput(output.toFile());
        builder.environment().put("JAMES_HOME", home.toString());
        builder.environment()
                .put(
                        "JAVA",
                        Path.of(System.getProperty("java.home"), "bin", "java").toString());
        // A benchmark may add options (a flight recording): secure-delivery.james-java-options.
        builder.environment()
                .put("JAVA_OPTS", ("-Xmx512m " + System.getProperty("secure-delivery.james-java-options", "")).trim());
        return builder.start();
    }

    /**
     * James 3.9.0 (a local build, {@link James39Build}) with the James 3.9 extension jar {@code
     * extension}, laid out as the apache/james:memory-3.9.0 image has it: James's sample {@code
     * conf/} under the same distribution files as {@link #launch}, the jar in {@code
     * extensions-jars/}, and {@code MemoryJamesServerMain} run as the image's entry point runs it.
     */
    static JamesProcess launchJames39(
            Path home, Properties secureDelivery, int mxPort, James39Build james, Path extension) throws IOException {
        Path conf = Files.createDirectories(home.resolve("conf"));
        copyFiles(james.sampleConfiguration(), conf);
        copyFiles(DISTRIBUTION_CONF, conf);
        Ports ports = configure(home, secureDelivery, mxPort, Map.of());
        Path extensions = Files.createDirectories(home.resolve("extensions-jars"));
        Files.copy(extension, extensions.resolve(extension.getFileName()), StandardCopyOption.REPLACE_EXISTING);
        // STARTTLS for James's SMTP server (and with it REQUIRETLS), with the key store the in-JVM James has.
        JamesUnderTest.writeSmtpKeyStore(conf);

        Path output = home.resolve("james.out");
        ProcessBuilder builder = new ProcessBuilder(
                        james.java().toString(),
                        "-Xmx512m",
                        "-Dworking.directory=" + home + "/",
                        "-Dlogback.configurationFile=" + conf.resolve("logback.xml"),
                        "-cp",
                        james.classPath(),
                        "org.apache.james.MemoryJamesServerMain")
                .directory(home.toFile())
                .redirectErrorStream(true)
                .redirectOutput(output.toFile());
        return new JamesProcess(home, builder.start(), output, ports.smtp, ports.webAdmin);
    }

    /**
     * A node of James 3.9.0's postgres-app ({@link PostgresApp39}) with the James 3.9 extension jar:
     * postgres-app's sample {@code conf/} (its PostgreSQL repositories and mail container), the ports,
     * SMTP server (STARTTLS, REQUIRETLS), WebAdmin routes and logging of our distribution, James's
     * {@code postgres.properties} naming {@code database}, and {@code rabbitmq.properties} naming the
     * broker, which turns the mail queue into RabbitMQ's. The delivery mailet replaces RemoteDelivery,
     * its parameters {@code mailet}.
     */
    static JamesProcess launchPostgresApp(
            Path home,
            Properties secureDelivery,
            int mxPort,
            PostgresApp39 james,
            Path extension,
            Map<String, String> database,
            java.net.URI amqp,
            java.net.URI management,
            String mailet)
            throws IOException {
        Path conf = Files.createDirectories(home.resolve("conf"));
        copyFiles(james.sampleConfiguration(), conf);
        Files.copy(james.searchProperties(), conf.resolve("search.properties"), StandardCopyOption.REPLACE_EXISTING);
        for (String file : List.of(
                "smtpserver.xml",
                "imapserver.xml",
                "pop3server.xml",
                "lmtpserver.xml",
                "managesieveserver.xml",
                "jmap.properties",
                "jmx.properties",
                "webadmin.properties",
                "extensions.properties",
                "logback.xml")) {
            Files.copy(DISTRIBUTION_CONF.resolve(file), conf.resolve(file), StandardCopyOption.REPLACE_EXISTING);
        }
        // postgres-app's mail container, RemoteDelivery replaced by ours (with the line configure() rewrites).
        String container = Files.readString(conf.resolve("mailetcontainer.xml"));
        int start = container.indexOf("<mailet match=\"All\" class=\"RemoteDelivery\">");
        int end = container.indexOf("</mailet>", start) + "</mailet>".length();
        if (start < 0) {
            throw new IllegalStateException("postgres-app's mailetcontainer.xml no longer has RemoteDelivery");
        }
        Files.writeString(
                conf.resolve("mailetcontainer.xml"),
                container.substring(0, start)
                        + "<mailet match=\"All\" class=\"dev.securedelivery.mailet.SecureRemoteDelivery\">" + mailet
                        + "<traceHeader>false</traceHeader></mailet>" + container.substring(end));
        Properties postgres = new Properties();
        postgres.putAll(database);
        try (OutputStream out = Files.newOutputStream(conf.resolve("postgres.properties"))) {
            postgres.store(out, "written by JamesProcess");
        }
        Files.writeString(
                conf.resolve("rabbitmq.properties"),
                "uri=" + amqp + "\nmanagement.uri=" + management + "\nmanagement.user=guest\n"
                        + "management.password=guest\nmailqueue.size.metricsEnabled=false\n"
                        + "task.consumption.enabled=true\n");
        Ports ports = configure(home, secureDelivery, mxPort, Map.of());
        Path extensions = Files.createDirectories(home.resolve("extensions-jars"));
        Files.copy(extension, extensions.resolve(extension.getFileName()), StandardCopyOption.REPLACE_EXISTING);
        JamesUnderTest.writeSmtpKeyStore(conf);

        Path output = home.resolve("james.out");
        ProcessBuilder builder = new ProcessBuilder(
                        james.java().toString(),
                        "-Xmx512m",
                        "-XX:+UseSerialGC",
                        "-XX:TieredStopAtLevel=1",
                        "-Dworking.directory=" + home + "/",
                        "-Dlogback.configurationFile=" + conf.resolve("logback.xml"),
                        "-cp",
                        james.classPath(),
                        "org.apache.james.PostgresJamesServerMain")
                .directory(home.toFile())
                .redirectErrorStream(true)
                .redirectOutput(output.toFile());
        return new JamesProcess(home, builder.start(), output, ports.smtp, ports.webAdmin);
    }

    private static final class Ports {
        final int smtp;
        final int webAdmin;

        Ports(int smtp, int webAdmin) {
            this.smtp = smtp;
            this.webAdmin = webAdmin;
        }
    }

    // What a local administrator changes: free ports, the delivery mailet's smtpPort, our properties.
    private static Ports configure(
            Path home, Properties secureDelivery, int mxPort, Map<String, String> mailetContainer) throws IOException {
        Path conf = Files.createDirectories(home.resolve("conf"));
        InetAddress loopback = InetAddress.getLoopbackAddress();
        int smtpPort = LoopbackPorts.freeTcpPort(loopback);
        int imapPort = LoopbackPorts.freeTcpPort(loopback);
        int webAdminPort = LoopbackPorts.freeTcpPort(loopback);
        rewrite(conf, "smtpserver.xml", "127.0.0.1:2525", "127.0.0.1:" + smtpPort);
        rewrite(conf, "imapserver.xml", "127.0.0.1:1143", "127.0.0.1:" + imapPort);
        rewrite(conf, "webadmin.properties", "port=8000", "port=" + webAdminPort);
        rewrite(
                conf,
                "mailetcontainer.xml",
                "<traceHeader>false</traceHeader>",
                "<traceHeader>true</traceHeader>\n                <smtpPort>" + mxPort + "</smtpPort>");
        for (Map.Entry<String, String> replacement : mailetContainer.entrySet()) {
            rewrite(conf, "mailetcontainer.xml", replacement.getKey(), replacement.getValue());
        }
        try (OutputStream out = Files.newOutputStream(conf.resolve("secure-delivery.properties"))) {
            secureDelivery.store(out, "written by JamesProcess");
        }
        return new Ports(smtpPort, webAdminPort);
    }

    private static void copyFiles(Path from, Path to) throws IOException {
        try (Stream<Path> files = Files.list(from)) {
            for (Path file : (Iterable<Path>) files::iterator) {
                if (Files.isRegularFile(file)) {
                    Files.copy(file, to.resolve(file.getFileName()), StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
    }

    private static void rewrite(Path conf, String file, String from, String to) throws IOException {
        Path target = conf.resolve(file);
        String text = Files.readString(Files.exists(target) ? target : DISTRIBUTION_CONF.resolve(file));
        if (!text.contains(from)) {
            throw new IllegalStateException(file + " in the distribution no longer holds " + from);
        }
        Files.writeString(target, text.replace(from, to));
    }

    /** Waits until James says it started; fails with its output if it stops or takes too long. */
    JamesProcess awaitStarted(Duration timeout) throws IOException, InterruptedException {
        Instant deadline = Instant.now().plus(timeout);
        while (Instant.now().isBefore(deadline)) {
            if (output().contains("JAMES server started")) {
                return this;
            }
            if (!process.isAlive()) {
                throw new IllegalStateException("James exited with " + process.exitValue() + ":\n" + output());
            }
            Thread.sleep(200);
        }
        throw new IllegalStateException("James did not start within " + timeout + ":\n" + output());
    }

    /** Waits for the process to end, and returns its exit code. */
    int awaitExit(Duration timeout) throws InterruptedException {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new IllegalStateException("James still runs after " + timeout);
        }
        return process.exitValue();
    }

    /** Everything James wrote to standard output and error so far. */
    String output() throws IOException {
        return Files.exists(output) ? Files.readString(output, StandardCharsets.UTF_8) : "";
    }

    int webAdminPort() {
        return webAdminPort;
    }

    /** Hands a message to James's SMTP server, as a client on this machine would. */
    void send(String from, String to, String subject, String body) throws MessagingException {
        JamesUnderTest.submit(smtpPort, from, List.of(to), subject, body);
    }

    /** See {@link JamesUnderTest#submit(int, boolean, String, List, String, String, java.util.Map, java.util.Map)}. */
    void send(boolean startTls, String from, String to, String subject, String body, Map<String, String> smtp)
            throws MessagingException {
        JamesUnderTest.submit(smtpPort, startTls, from, List.of(to), subject, body, smtp, Map.of());
    }

    /** Hands {@code message} to James's SMTP server, as a mail client on this machine would. */
    void send(javax.mail.internet.MimeMessage message) throws MessagingException {
        JamesUnderTest.submit(smtpPort, message);
    }

    /** Kills James's JVM at once (SIGKILL): no shutdown hook runs, nothing is written out. */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
    }

    /** The process and its descendants now (bin/james's shell, the JVM). */
    List<ProcessHandle> processes() {
        List<ProcessHandle> all = new java.util.ArrayList<>();
        all.add(process.toHandle());
        process.descendants().forEach(all::add);
        return all;
    }

    int smtpPort() {
        return smtpPort;
    }

    /** Whether James's SMTP server lists {@code keyword} in its EHLO reply, over STARTTLS or not. */
    boolean offers(String keyword, boolean startTls) throws MessagingException {
        return JamesUnderTest.offers(smtpPort, keyword, startTls);
    }

    @Override
    public void close() {
        // bin/james execs java: this is James's JVM, and SIGTERM runs its shutdown hooks.
        process.destroy();
        try {
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
