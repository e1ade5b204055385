package dev.securedelivery.integration;

import dev.securedelivery.owndomains.TlsaRollover;
import dev.securedelivery.testing.IssuedCertificate;
import dev.securedelivery.testing.KnotAndUnbound;
import dev.securedelivery.testing.LoopbackPorts;
import dev.securedelivery.testing.MtaStsResolverDaemon;
import dev.securedelivery.testing.PostfixSender;
import dev.securedelivery.testing.TestCertificateAuthority;
import dev.securedelivery.testing.TestSmtpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import javax.mail.Message;
import javax.mail.Session;
import javax.mail.Transport;
import javax.mail.internet.InternetAddress;
import javax.mail.internet.MimeMessage;

/**
 * The same mail through two senders to one STARTTLS sink, on one machine: Debian's Postfix (DANE by
 * its own code, MTA-STS through postfix-mta-sts-resolver, {@link PostfixSender}) and James 3.8.1 with
 * this extension as {@code bin/james} starts it (the shipped configuration, session reuse on), both
 * resolving through one validating unbound in front of a zone knot signs, with the TLSA record of the
 * sink's key. The workload: {@code messages} messages to one DANE domain, submitted over {@value
 * #SUBMITTERS} SMTP connections at once. For each sender: messages per second, the latency from
 * submission to the sink (p50, p99), processor seconds per 1,000 messages, the peak memory of its
 * processes (the sum of their proportional set sizes); and the check that every message arrived exactly once, with DANE. Before both,
 * what the sink takes from a trivial client, so that it is seen not to be the limit.
 *
 * <p>{@code java -cp ... dev.securedelivery.integration.PostfixComparison [--messages 10000]}; {@link
 * PostfixComparisonTest} runs it short in the build.
 */
public final class PostfixComparison {
    static final int SUBMITTERS = 4;
    static final String DOMAIN = "dane.test";
    static final String MX = "mx.dane.test";
    private static final InetSocketAddress RESOLVER = new InetSocketAddress("127.0.0.53", 53);
    private static final String SINK_ADDRESS = "127.0.0.41";

    /** What one sender did with the workload. */
    static final class Result {
        final String sender;
        final int messages;
        final Duration wall;
        final Duration p50;
        final Duration p99;
        final Duration cpu;
        final long peakRssKiB;
        final int arrivedOnce;
        final int verified;

        Result(
                String sender,
                int messages,
                Duration wall,
                List<Duration> latencies,
                Duration cpu,
                long peakRssKiB,
                int arrivedOnce,
                int verified) {
            this.sender = sender;
            this.messages = messages;
            this.wall = wall;
            List<Duration> sorted = new ArrayList<>(latencies);
            Collections.sort(sorted);
            this.p50 = sorted.isEmpty() ? Duration.ZERO : sorted.get(sorted.size() / 2);
            this.p99 = sorted.isEmpty()
                    ? Duration.ZERO
                    : sorted.get(Math.min(sorted.size() - 1, sorted.size() * 99 / 100));
            this.cpu = cpu;
            this.peakRssKiB = peakRssKiB;
            this.arrivedOnce = arrivedOnce;
            this.verified = verified;
        }

        double perSecond() {
            return messages / (wall.toMillis() / 1000.0);
        }

        double cpuPerThousand() {
            return cpu.toMillis() / 1000.0 * 1000.0 / messages;
        }

        @Override
        public String toString() {
            return String.format(
                    "%-8s %,d messages in %,d ms: %.0f/s, latency p50 %,d ms p99 %,d ms, %.2f CPU s per 1,000,"
                            + " peak PSS %,d MiB; %,d arrived once, %,d verified DANE",
                    sender,
                    messages,
                    wall.toMillis(),
                    perSecond(),
                    p50.toMillis(),
                    p99.toMillis(),
                    cpuPerThousand(),
                    peakRssKiB / 1024,
                    arrivedOnce,
                    verified);
        }
    }

    private final Path directory;
    private final TestCertificateAuthority ca = TestCertificateAuthority.root("Postfix Comparison Root");
    private KnotAndUnbound dns;
    private TestSmtpServer sink;
    private Path resolvConf;
    private Path caFile;
    private Path anchor;

    PostfixComparison(Path directory) {
        this.directory = directory;
    }

    /** The world both senders send into: the sink on port 25, the signed zone, the resolver on 127.0.0.53:53. */
    void start() throws Exception {
        IssuedCertificate certificate = ca.issue(MX);
        sink = TestSmtpServer.withStartTls(InetAddress.getByName(SINK_ADDRESS), 25, certificate);
        String tlsa = TlsaRollover.record(certificate.leaf()).toPresentation();
        dns = KnotAndUnbound.start(
                directory.resolve("dns"),
                RESOLVER,
                KnotAndUnbound.Zone.of(
                        DOMAIN + ".",
                        KnotAndUnbound.Delegation.SIGNED,
                        "@ MX 10 mx\nmx A " + SINK_ADDRESS + "\n_25._tcp.mx TLSA " + tlsa + "\n"));
        resolvConf = directory.resolve("resolv.conf");
        Files.writeString(resolvConf, "nameserver " + RESOLVER.getAddress().getHostAddress() + "\noptions trust-ad\n");
        caFile = directory.resolve("ca.pem");
        Files.writeString(caFile, ca.rootPem());
        anchor = directory.resolve("anchor.ds");
        Files.writeString(anchor, dns.trustAnchor() + "\n");
    }

    /** What the sink takes from a trivial client: the same submission, straight to the sink over STARTTLS. */
    Result sinkAlone(int messages) throws Exception {
        int before = sink.received().size();
        Instant began = Instant.now();
        submit(SINK_ADDRESS, 25, "direct", messages, true);
        awaitAtSink("direct", before + messages, Duration.ofMinutes(10));
        Duration wall = Duration.between(began, lastArrival("direct"));
        return new Result(
                "direct",
                messages,
                wall,
                latencies("direct"),
                Duration.ZERO,
                0,
                arrivedOnce("direct", messages),
                messages);
    }

    Result postfix(int messages) throws Exception {
        int stsPort = LoopbackPorts.freeTcpPort(InetAddress.getLoopbackAddress());
        try (MtaStsResolverDaemon sts =
                MtaStsResolverDaemon.start(directory.resolve("mta-sts"), stsPort, resolvConf, caFile)) {
            int port = LoopbackPorts.freeTcpPort(InetAddress.getLoopbackAddress());
            PostfixSender postfix = PostfixSender.start(port, resolvConf, caFile, stsPort);
            try {
                Duration atStart = cpu(postfix.processes());
                PeakRss peak = PeakRss.watch(postfix::processes);
                int before = sink.received().size();
                Instant began = Instant.now();
                submit("127.0.0.1", port, "postfix", messages, false);
                awaitAtSink("postfix", before + messages, Duration.ofMinutes(30));
                Duration wall = Duration.between(began, lastArrival("postfix"));
                long rss = peak.stop();
                Duration cpu = postfix.stopAndCpu().minus(atStart);
                List<String> log = postfix.maillog();
                long sent = log.stream()
                        .filter(line -> line.contains("relay=" + MX) && line.contains("status=sent"))
                        .count();
                boolean anyUnverified = log.stream()
                        .anyMatch(line -> line.contains("Untrusted TLS connection")
                                || line.contains("Anonymous TLS connection")
                                || line.contains("Trusted TLS connection"));
                long verifiedConnections = log.stream()
                        .filter(line -> line.contains("Verified TLS connection established to " + MX))
                        .count();
                int verified = anyUnverified || verifiedConnections == 0 ? 0 : (int) sent;
                return new Result(
                        "postfix",
                        messages,
                        wall,
                        latencies("postfix"),
                        cpu,
                        rss,
                        arrivedOnce("postfix", messages),
                        verified);
            } finally {
                postfix.close();
            }
        }
    }

    Result james(int messages) throws Exception {
        Properties properties = new Properties();
        properties.setProperty("dns.servers", RESOLVER.getAddress().getHostAddress() + ":" + RESOLVER.getPort());
        properties.setProperty("dns.trust-anchor", anchor.toString());
        properties.setProperty("tls.trusted-certificates", caFile.toString());
        properties.setProperty("own-domains.check", "false");
        try (JamesProcess james =
                JamesProcess.launch(directory.resolve("james"), properties, 25).awaitStarted(Duration.ofSeconds(120))) {
            List<ProcessHandle> tree = james.processes();
            Duration atStart = cpu(tree);
            PeakRss peak = PeakRss.watch(james::processes);
            int before = sink.received().size();
            Instant began = Instant.now();
            submit("127.0.0.1", james.smtpPort(), "james", messages, false);
            awaitAtSink("james", before + messages, Duration.ofMinutes(30));
            Duration wall = Duration.between(began, lastArrival("james"));
            long rss = peak.stop();
            Duration cpu = cpu(james.processes()).minus(atStart);
            String output = james.output();
            int verified = (int) output.lines()
                    .filter(line -> line.contains("domain=" + DOMAIN + " mx=" + MX)
                            && line.contains("outcome=delivered")
                            && line.contains("authentication=DANE-EE"))
                    .count();
            return new Result(
                    "james", messages, wall, latencies("james"), cpu, rss, arrivedOnce("james", messages), verified);
        }
    }

    // SMTP into the sender (or the sink), SUBMITTERS connections at once; each message names its sender
    // and number in the subject, and when it was handed over.
    private static void submit(String host, int port, String sender, int messages, boolean startTls) throws Exception {
        ExecutorService submitters = Executors.newFixedThreadPool(SUBMITTERS);
        try {
            List<Future<?>> running = new ArrayList<>();
            AtomicLong next = new AtomicLong();
            for (int s = 0; s < SUBMITTERS; s++) {
                running.add(submitters.submit(() -> {
                    Properties properties = new Properties();
                    properties.setProperty("mail.smtp.localhost", "client.test");
                    if (startTls) {
                        properties.setProperty("mail.smtp.starttls.enable", "true");
                        properties.setProperty("mail.smtp.ssl.trust", "*");
                    }
                    Session session = Session.getInstance(properties);
                    try (Transport transport = session.getTransport("smtp")) {
                        transport.connect(host, port, null, null);
                        for (long i = next.getAndIncrement(); i < messages; i = next.getAndIncrement()) {
                            MimeMessage message = new MimeMessage(session);
                            message.setFrom(new InternetAddress("sender@client.test"));
                            message.setRecipient(Message.RecipientType.TO, new InternetAddress("user@" + DOMAIN));
                            message.setSubject("bench " + sender + " " + i);
                            message.setHeader("X-Bench-Submitted", String.valueOf(System.currentTimeMillis()));
                            message.setText("Message " + i + " of " + messages + ", by " + sender + ".");
                            message.saveChanges();
                            transport.sendMessage(message, message.getAllRecipients());
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> submitter : running) {
                submitter.get();
            }
        } finally {
            submitters.shutdownNow();
        }
    }

    private void awaitAtSink(String sender, int total, Duration timeout) throws Exception {
        Instant deadline = Instant.now().plus(timeout);
        while (sink.received().size() < total) {
            if (Instant.now().isAfter(deadline)) {
                throw new IllegalStateException(
                        sender + ": the sink has " + sink.received().size() + " of " + total);
            }
            Thread.sleep(20);
        }
    }

    private List<TestSmtpServer.Received> of(String sender) {
        List<TestSmtpServer.Received> mine = new ArrayList<>();
        for (TestSmtpServer.Received mail : sink.received()) {
            if (mail.data.contains("Subject: bench " + sender + " ")) {
                mine.add(mail);
            }
        }
        return mine;
    }

    private Instant lastArrival(String sender) {
        return of(sender).stream()
                .map(mail -> mail.receivedAt)
                .max(Instant::compareTo)
                .orElseThrow();
    }

    private List<Duration> latencies(String sender) {
        List<Duration> latencies = new ArrayList<>();
        for (TestSmtpServer.Received mail : of(sender)) {
            for (String line : mail.data.split("\r\n")) {
                if (line.startsWith("X-Bench-Submitted: ")) {
                    long submitted = Long.parseLong(
                            line.substring("X-Bench-Submitted: ".length()).trim());
                    latencies.add(Duration.between(Instant.ofEpochMilli(submitted), mail.receivedAt));
                }
            }
        }
        return latencies;
    }

    // Messages that arrived exactly once, over TLS: their subjects are each one message's.
    private int arrivedOnce(String sender, int messages) {
        Set<String> seen = new HashSet<>();
        Set<String> twice = new HashSet<>();
        for (TestSmtpServer.Received mail : of(sender)) {
            String subject = mail.data
                    .lines()
                    .filter(line -> line.startsWith("Subject: "))
                    .findFirst()
                    .orElse("");
            if (!mail.overTls || !seen.add(subject)) {
                twice.add(subject);
            }
        }
        seen.removeAll(twice);
        return seen.size() == messages ? messages : seen.size();
    }

    // User plus system time of the processes alive now, from /proc (clock ticks of 1/100 s).
    static Duration cpu(List<ProcessHandle> processes) {
        long ticks = 0;
        for (ProcessHandle process : processes) {
            try {
                String stat = Files.readString(Path.of("/proc", String.valueOf(process.pid()), "stat"));
                String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                ticks += Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
            } catch (IOException | RuntimeException e) {
                // Gone meanwhile.
            }
        }
        return Duration.ofMillis(ticks * 10);
    }

    void close() throws Exception {
        if (sink != null) {
            sink.close();
        }
        if (dns != null) {
            dns.close();
        }
    }

    public static void main(String[] arguments) throws Exception {
        int messages = 10_000;
        for (int i = 0; i + 1 < arguments.length; i += 2) {
            if (arguments[i].equals("--messages")) {
                messages = Integer.parseInt(arguments[i + 1]);
            }
        }
        PostfixComparison comparison = new PostfixComparison(Files.createTempDirectory("postfix-comparison"));
        try {
            comparison.start();
            System.out.println(comparison.sinkAlone(messages));
            System.out.println(comparison.postfix(messages));
            System.out.println(comparison.james(messages));
        } finally {
            comparison.close();
        }
    }

    /** The largest sum of the proportional set sizes (PSS) of a process tree, sampled every 100 ms. */
    static final class PeakRss {
        private final Thread sampler;
        private final AtomicLong peak = new AtomicLong();
        private volatile boolean running = true;

        private PeakRss(java.util.function.Supplier<List<ProcessHandle>> processes) {
            sampler = new Thread(
                    () -> {
                        while (running) {
                            long sum = 0;
                            for (ProcessHandle process : processes.get()) {
                                try {
                                    for (String line : Files.readAllLines(
                                            Path.of("/proc", String.valueOf(process.pid()), "status"))) {
                                        if (line.startsWith("VmRSS:")) {
                                            sum += Long.parseLong(line.replaceAll("[^0-9]", ""));
                                        }
                                    }
                                } catch (IOException | RuntimeException e) {
                                    // Gone meanwhile.
                                }
                            }
                            peak.accumulateAndGet(sum, Math::max);
                            try {
                                Thread.sleep(100);
                            } catch (InterruptedException e) {
                                return;
                            }
                        }
                    },
                    "peak-rss");
            sampler.setDaemon(true);
        }

        static PeakRss watch(java.util.function.Supplier<List<ProcessHandle>> processes) {
            PeakRss watch = new PeakRss(processes);
            watch.sampler.start();
            return watch;
        }

        long stop() throws InterruptedException {
            running = false;
            sampler.join(2_000);
            return peak.get();
        }
    }
}
