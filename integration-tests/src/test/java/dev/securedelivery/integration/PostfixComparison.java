package dev.securedelivery.integration;

import dev.securedelivery.testing.LoopbackPorts;
import dev.securedelivery.testing.MtaStsResolverDaemon;
import dev.securedelivery.testing.PostfixSender;
import dev.securedelivery.testing.TestSmtpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.mail.Message;
import javax.mail.Session;
import javax.mail.Transport;
import javax.mail.internet.InternetAddress;
import javax.mail.internet.MimeMessage;

/**
 * The same mail through two senders to one STARTTLS sink, on one machine ({@link ComparisonWorld}):
 * Debian's Postfix (DANE by its own code, MTA-STS through postfix-mta-sts-resolver, {@link
 * PostfixSender}) and James 3.8.1 with this extension as {@code bin/james} starts it (the shipped
 * configuration, session reuse on). Each sender starts cold (its own fresh process, a fresh DNS
 * resolver) for each {@link Workload}, submitted over {@value #SUBMITTERS} SMTP connections at once.
 * For each: messages per second, the latency from submission to the sink (p50, p99, the most), the
 * processor seconds per 1,000 messages, the peak memory of its processes (the sum of their
 * proportional set sizes); and the check that every message arrived exactly once, as its destination
 * asks (DANE, MTA-STS's PKIX, TLS). Before both, what the sink takes from a trivial client, so that it
 * is seen not to be the limit.
 *
 * <p>{@code java -cp ... dev.securedelivery.integration.PostfixComparison [--messages 10000] [--workload W]
 * [--sender postfix|james|james-ad]};
 * {@link PostfixComparisonTest} runs it short in the build.
 */
public final class PostfixComparison {
    static final int SUBMITTERS = 4;
    private static final Pattern OUR_LINE = Pattern.compile("domain=(\\S+) mx=\\S+ .*outcome=delivered");
    private static final Pattern POSTFIX_SENT = Pattern.compile("to=<[^@>]+@([^>]+)>, relay=([^\\[]+)\\[.*status=sent");
    private static final Pattern POSTFIX_TLS = Pattern.compile("(\\w+) TLS connection established to ([^\\[]+)\\[");

    /** What is sent. */
    enum Workload {
        /** {@code messages} messages to one DANE domain. */
        ONE_DOMAIN,
        /** {@code messages} messages over 1,000 domains, a third each DANE, MTA-STS and no policy, all cold. */
        MANY_DOMAINS,
        /** One message to each of 1,000 MTA-STS domains nobody sent to: the cold start. */
        COLD_MTA_STS;

        String recipient(long index) {
            switch (this) {
                case ONE_DOMAIN:
                    return "user@" + ComparisonWorld.DANE_DOMAIN;
                case MANY_DOMAINS:
                    return "user" + index + "@" + ComparisonWorld.many((int) (index % ComparisonWorld.MANY));
                default:
                    return "user@" + ComparisonWorld.cold((int) index);
            }
        }

        int messages(int asked) {
            return this == COLD_MTA_STS ? ComparisonWorld.COLD : asked;
        }
    }

    /** What one sender did with one workload. */
    static final class Result {
        final String sender;
        final Workload workload;
        final int messages;
        final Duration wall;
        final Duration p50;
        final Duration p99;
        final Duration most;
        final Duration cpu;
        final Duration dnsCpu;
        final long peakPssKiB;
        final int arrivedOnce;
        final int asAsked;

        Result(
                String sender,
                Workload workload,
                int messages,
                Duration wall,
                List<Duration> latencies,
                Duration cpu,
                Duration dnsCpu,
                long peakPssKiB,
                int arrivedOnce,
                int asAsked) {
            this.sender = sender;
            this.workload = workload;
            this.messages = messages;
            this.wall = wall;
            List<Duration> sorted = new ArrayList<>(latencies);
            sorted.sort(Duration::compareTo);
            this.p50 = sorted.isEmpty() ? Duration.ZERO : sorted.get(sorted.size() / 2);
            this.p99 = sorted.isEmpty()
                    ? Duration.ZERO
                    : sorted.get(Math.min(sorted.size() - 1, sorted.size() * 99 / 100));
            this.most = sorted.isEmpty() ? Duration.ZERO : sorted.get(sorted.size() - 1);
            this.cpu = cpu;
            this.dnsCpu = dnsCpu;
            this.peakPssKiB = peakPssKiB;
            this.arrivedOnce = arrivedOnce;
            this.asAsked = asAsked;
        }

        double perSecond() {
            return messages / Math.max(0.001, wall.toMillis() / 1000.0);
        }

        double cpuPerThousand() {
            return cpu.toMillis() / 1000.0 * 1000.0 / messages;
        }

        double dnsCpuPerThousand() {
            return dnsCpu.toMillis() / 1000.0 * 1000.0 / messages;
        }

        @Override
        public String toString() {
            return String.format(
                    "%-12s %-7s %,d messages in %,d ms: %.0f/s, latency p50 %,d ms p99 %,d ms most %,d ms,"
                            + " %.2f CPU s per 1,000 (the DNS servers %.2f), peak PSS %,d MiB; %,d arrived once, %,d as"
                            + " the destination asks",
                    workload,
                    sender,
                    messages,
                    wall.toMillis(),
                    perSecond(),
                    p50.toMillis(),
                    p99.toMillis(),
                    most.toMillis(),
                    cpuPerThousand(),
                    dnsCpuPerThousand(),
                    peakPssKiB / 1024,
                    arrivedOnce,
                    asAsked);
        }
    }

    private final Path directory;
    private final ComparisonWorld world;

    PostfixComparison(Path directory) throws Exception {
        this.directory = directory;
        this.world = new ComparisonWorld(directory);
    }

    /** What the sink takes from a trivial client: the same submission, straight to the sink over STARTTLS. */
    Result sinkAlone(int messages) throws Exception {
        String tag = "direct";
        submit(ComparisonWorld.SINK_ADDRESS, 25, tag, Workload.ONE_DOMAIN, messages, true);
        awaitAtSink(tag, messages, Duration.ofMinutes(10));
        return new Result(
                tag,
                Workload.ONE_DOMAIN,
                messages,
                wall(tag),
                latencies(tag),
                Duration.ZERO,
                Duration.ZERO,
                0,
                arrivedOnce(tag),
                messages);
    }

    Result postfix(Workload workload, int asked) throws Exception {
        int messages = workload.messages(asked);
        String tag = "postfix-" + workload;
        world.freshDns();
        int stsPort = LoopbackPorts.freeTcpPort(InetAddress.getLoopbackAddress());
        try (MtaStsResolverDaemon sts = MtaStsResolverDaemon.start(
                directory.resolve("mta-sts-" + workload), stsPort, world.resolvConf, world.caFile)) {
            int port = LoopbackPorts.freeTcpPort(InetAddress.getLoopbackAddress());
            PostfixSender postfix = PostfixSender.start(port, world.resolvConf, world.caFile, stsPort);
            try {
                // Postfix's MTA-STS is the resolver daemon's work: counted with Postfix's.
                Duration atStart = cpu(postfix.processes()).plus(cpu(sts.processes()));
                Duration dnsAtStart = cpu(world.dnsProcesses());
                PeakPss peak = PeakPss.watch(() -> {
                    List<ProcessHandle> all = new ArrayList<>(postfix.processes());
                    all.addAll(sts.processes());
                    return all;
                });
                submit("127.0.0.1", port, tag, workload, messages, false);
                awaitAtSink(tag, messages, Duration.ofMinutes(30));
                long pss = peak.stop();
                Duration dnsCpu = cpu(world.dnsProcesses()).minus(dnsAtStart);
                Duration stsCpu = cpu(sts.processes());
                Duration cpu = postfix.stopAndCpu().plus(stsCpu).minus(atStart);
                return new Result(
                        "postfix",
                        workload,
                        messages,
                        wall(tag),
                        latencies(tag),
                        cpu,
                        dnsCpu,
                        pss,
                        arrivedOnce(tag),
                        postfixAsAsked(postfix.maillog()));
            } finally {
                postfix.close();
            }
        }
    }

    // Per MX host, how Postfix's TLS connections to it were established; a message counts where every
    // connection to its MX was what its destination asks (Verified for DANE and MTA-STS).
    private static int postfixAsAsked(List<String> maillog) {
        Map<String, Set<String>> tlsByHost = new HashMap<>();
        for (String line : maillog) {
            Matcher tls = POSTFIX_TLS.matcher(line);
            if (tls.find()) {
                tlsByHost.computeIfAbsent(tls.group(2), host -> new HashSet<>()).add(tls.group(1));
            }
        }
        int asAsked = 0;
        for (String line : maillog) {
            Matcher sent = POSTFIX_SENT.matcher(line);
            if (!sent.find()) {
                continue;
            }
            Set<String> levels = tlsByHost.getOrDefault(sent.group(2), Set.of());
            ComparisonWorld.Kind kind = ComparisonWorld.kindOf(sent.group(1));
            boolean ok = kind == ComparisonWorld.Kind.NONE ? !levels.isEmpty() : levels.equals(Set.of("Verified"));
            if (ok) {
                asAsked++;
            }
        }
        return asAsked;
    }

    /** How James's DNS answers get their DNSSEC status ({@code dns.dnssec}). */
    enum JamesDnssec {
        /** The shipped default: validated in James's JVM (the unbound in front validates as well). */
        VALIDATE("validate", "james"),
        /** Postfix's way: the AD bit of the validating unbound on the loopback address trusted. */
        TRUST_LOOPBACK_AD("trust-loopback-ad", "james-ad");

        final String keyword;
        final String sender;

        JamesDnssec(String keyword, String sender) {
            this.keyword = keyword;
            this.sender = sender;
        }
    }

    Result james(Workload workload, int asked) throws Exception {
        return james(workload, asked, JamesDnssec.VALIDATE);
    }

    Result james(Workload workload, int asked, JamesDnssec dnssec) throws Exception {
        int messages = workload.messages(asked);
        String tag = dnssec.sender + "-" + workload;
        Path anchor = world.freshDns();
        Properties properties = new Properties();
        properties.setProperty(
                "dns.servers",
                ComparisonWorld.RESOLVER.getAddress().getHostAddress() + ":" + ComparisonWorld.RESOLVER.getPort());
        properties.setProperty("dns.trust-anchor", anchor.toString());
        properties.setProperty("dns.dnssec", dnssec.keyword);
        properties.setProperty("tls.trusted-certificates", world.caFile.toString());
        properties.setProperty("own-domains.check", "false");
        try (JamesProcess james =
                JamesProcess.launch(directory.resolve(tag), properties, 25).awaitStarted(Duration.ofSeconds(120))) {
            Duration atStart = cpu(james.processes());
            Duration dnsAtStart = cpu(world.dnsProcesses());
            PeakPss peak = PeakPss.watch(james::processes);
            submit("127.0.0.1", james.smtpPort(), tag, workload, messages, false);
            awaitAtSink(tag, messages, Duration.ofMinutes(30));
            long pss = peak.stop();
            Duration cpu = cpu(james.processes()).minus(atStart);
            Duration dnsCpu = cpu(world.dnsProcesses()).minus(dnsAtStart);
            int asAsked = 0;
            for (String line : james.output().split("\n")) {
                Matcher delivered = OUR_LINE.matcher(line);
                if (delivered.find() && line.contains(ComparisonWorld.kindOf(delivered.group(1)).ourAuthentication)) {
                    asAsked++;
                }
            }
            return new Result(
                    dnssec.sender,
                    workload,
                    messages,
                    wall(tag),
                    latencies(tag),
                    cpu,
                    dnsCpu,
                    pss,
                    arrivedOnce(tag),
                    asAsked);
        }
    }

    // SMTP into the sender (or the sink), SUBMITTERS connections at once; each message names its run
    // and number in the subject, and when it was handed over.
    private static void submit(String host, int port, String tag, Workload workload, int messages, boolean startTls)
            throws Exception {
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
                            message.setRecipient(Message.RecipientType.TO, new InternetAddress(workload.recipient(i)));
                            message.setSubject("bench " + tag + " " + i);
                            message.setHeader("X-Bench-Submitted", String.valueOf(System.currentTimeMillis()));
                            message.setText("Message " + i + " of " + messages + ", " + tag + ".");
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

    private void awaitAtSink(String tag, int messages, Duration timeout) throws Exception {
        Instant deadline = Instant.now().plus(timeout);
        while (of(tag).size() < messages) {
            if (Instant.now().isAfter(deadline)) {
                throw new IllegalStateException(tag + ": the sink has " + of(tag).size() + " of " + messages);
            }
            Thread.sleep(50);
        }
    }

    private List<TestSmtpServer.Received> of(String tag) {
        List<TestSmtpServer.Received> mine = new ArrayList<>();
        String subject = "Subject: bench " + tag + " ";
        for (TestSmtpServer.Received mail : world.sink.received()) {
            if (mail.data.contains(subject)) {
                mine.add(mail);
            }
        }
        return mine;
    }

    // From the first submission to the last arrival.
    private Duration wall(String tag) {
        Instant first = Instant.MAX;
        Instant last = Instant.MIN;
        for (TestSmtpServer.Received mail : of(tag)) {
            Instant submitted = submitted(mail);
            first = submitted.isBefore(first) ? submitted : first;
            last = mail.receivedAt.isAfter(last) ? mail.receivedAt : last;
        }
        return Duration.between(first, last);
    }

    private List<Duration> latencies(String tag) {
        List<Duration> latencies = new ArrayList<>();
        for (TestSmtpServer.Received mail : of(tag)) {
            latencies.add(Duration.between(submitted(mail), mail.receivedAt));
        }
        return latencies;
    }

    private static Instant submitted(TestSmtpServer.Received mail) {
        for (String line : mail.data.split("\r\n")) {
            if (line.startsWith("X-Bench-Submitted: ")) {
                return Instant.ofEpochMilli(Long.parseLong(
                        line.substring("X-Bench-Submitted: ".length()).trim()));
            }
        }
        throw new IllegalStateException("a message without its submission time");
    }

    // Messages that arrived exactly once, over TLS: each subject is one message's.
    private int arrivedOnce(String tag) {
        Set<String> seen = new HashSet<>();
        Set<String> wrong = new HashSet<>();
        for (TestSmtpServer.Received mail : of(tag)) {
            String subject = mail.data
                    .lines()
                    .filter(line -> line.startsWith("Subject: "))
                    .findFirst()
                    .orElse("");
            if (!mail.overTls || !seen.add(subject)) {
                wrong.add(subject);
            }
        }
        seen.removeAll(wrong);
        return seen.size();
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

    void close() {
        world.close();
    }

    public static void main(String[] arguments) throws Exception {
        int messages = 10_000;
        List<Workload> workloads = new ArrayList<>(List.of(Workload.values()));
        String sender = null;
        for (int i = 0; i + 1 < arguments.length; i += 2) {
            if (arguments[i].equals("--messages")) {
                messages = Integer.parseInt(arguments[i + 1]);
            } else if (arguments[i].equals("--workload")) {
                workloads = List.of(Workload.valueOf(arguments[i + 1]));
            } else if (arguments[i].equals("--sender")) {
                sender = arguments[i + 1];
            }
        }
        PostfixComparison comparison = new PostfixComparison(Files.createTempDirectory("postfix-comparison"));
        try {
            System.out.println(comparison.sinkAlone(messages));
            for (Workload workload : workloads) {
                if (sender == null || sender.equals("postfix")) {
                    System.out.println(comparison.postfix(workload, messages));
                }
                for (JamesDnssec dnssec : JamesDnssec.values()) {
                    if (sender == null || sender.equals(dnssec.sender)) {
                        System.out.println(comparison.james(workload, messages, dnssec));
                    }
                }
            }
        } finally {
            comparison.close();
        }
    }

    /** The largest sum of the proportional set sizes (PSS) of a process tree, sampled every 100 ms. */
    static final class PeakPss {
        private final Thread sampler;
        private final AtomicLong peak = new AtomicLong();
        private volatile boolean running = true;

        private PeakPss(Supplier<List<ProcessHandle>> processes) {
            sampler = new Thread(
                    () -> {
                        while (running) {
                            long sum = 0;
                            for (ProcessHandle process : processes.get()) {
                                sum += pssKiB(process);
                            }
                            peak.accumulateAndGet(sum, Math::max);
                            try {
                                Thread.sleep(100);
                            } catch (InterruptedException e) {
                                return;
                            }
                        }
                    },
                    "peak-pss");
            sampler.setDaemon(true);
        }

        // A page shared by n processes counts 1/n in each.
        private static long pssKiB(ProcessHandle process) {
            try {
                for (String line :
                        Files.readAllLines(Path.of("/proc", String.valueOf(process.pid()), "smaps_rollup"))) {
                    if (line.startsWith("Pss:")) {
                        return Long.parseLong(line.replaceAll("[^0-9]", ""));
                    }
                }
            } catch (IOException | RuntimeException e) {
                // Gone meanwhile.
            }
            return 0;
        }

        static PeakPss watch(Supplier<List<ProcessHandle>> processes) {
            PeakPss watch = new PeakPss(processes);
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
