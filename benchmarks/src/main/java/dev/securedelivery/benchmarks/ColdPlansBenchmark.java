package dev.securedelivery.benchmarks;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import com.sun.management.OperatingSystemMXBean;
import dev.securedelivery.dns.DnsCache;
import dev.securedelivery.dns.DnsResolver;
import dev.securedelivery.mtasts.MtaStsEngine;
import dev.securedelivery.mtasts.MtaStsFetcher;
import dev.securedelivery.mtasts.MtaStsLookup;
import dev.securedelivery.policy.DeliveryPlan;
import dev.securedelivery.policy.DeliveryPolicy;
import dev.securedelivery.policy.DomainName;
import dev.securedelivery.testing.SharedPolicyHost;
import dev.securedelivery.testing.TestCertificateAuthority;
import dev.securedelivery.testing.TestHttpsServer;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import org.slf4j.LoggerFactory;
import org.xbill.DNS.Type;

/**
 * Many domains nobody has planned yet, planned at once: 10,000 distinct domains by default, DNS
 * answering every query after 20 ms, each domain's MTA-STS policy host answering after 50 ms over
 * real HTTPS on 127.0.0.1, and 5% of the policy hosts black-holed (on 127.0.0.2: they accept the
 * connection and never send a byte). Each domain's plan needs its MX records, then the A, AAAA and
 * TLSA records of its MX host (the zone is signed, so DANE is looked for), and in parallel its
 * {@code _mta-sts} TXT record, the policy host's A and AAAA records and the policy: the critical
 * path of one domain is 20 + 20 + 50 ms = 90 ms of waiting, plus the TLS handshake.
 *
 * <p>Reports the wall time until every domain whose policy host answers has its plan, as a ratio to
 * the critical path (the time of one cold plan alone, measured, and the 90 ms of waiting), the
 * worst delay one of those domains saw, whether each got its policy, and when the black-holed
 * domains had theirs. Every round starts cold: a new engine, DNS cache and TLS context. Each round
 * is followed by the machine's floor for the same work: the answering domains' policies fetched
 * with the JDK's bare HTTPS client and nothing of ours. When that floor is far above one domain's
 * critical path, it is the processor (both ends of every TLS handshake run here), not the planning,
 * that sets the wall time.
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar dev.securedelivery.benchmarks.ColdPlansBenchmark \
 *     [--domains 10000] [--black-holed-percent 5] [--callers all|N] [--rounds 3]
 * </pre>
 * {@code --callers all} asks for every plan at once (asynchronously, as the webadmin or a
 * prefetch would); {@code --callers 10} asks from 10 threads that each wait for their plan before
 * asking the next, as SecureRemoteDelivery's delivery threads once did; {@code --callers 110} is
 * its queue loop now, with the sample configuration's 10 threads and {@code planAhead} of 100: that
 * many messages wait for their plans at once, none holding a delivery thread.
 */
public final class ColdPlansBenchmark {
    private static final Duration DNS_DELAY = Duration.ofMillis(20);
    private static final Duration POLICY_DELAY = Duration.ofMillis(50);
    /** The waits on the longest chain: _mta-sts TXT, then the policy host's A/AAAA, then the fetch. */
    private static final long CRITICAL_PATH_WAIT_MILLIS = 20 + 20 + 50;

    private static final String BLACK_HOLE_ADDRESS = "127.0.0.2";
    /** The policy hosts' HTTPS server: its TLS work is the far end's, done on this machine too. */
    private static final String SERVER_THREADS = "test-https-server";

    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
    private static final OperatingSystemMXBean PROCESS =
            (OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();

    private final int domains;
    private final int blackHoledPercent;
    private final int callers;
    private final int slowFetchThreads;
    private final DelayedDns dns = new DelayedDns(DNS_DELAY);
    private final TestCertificateAuthority ca = TestCertificateAuthority.root("Cold Plans Root");
    private final TestHttpsServer server;
    private final BlackHole blackHole;
    private final AtomicInteger fetches = new AtomicInteger();

    private ColdPlansBenchmark(int domains, int blackHoledPercent, int callers, int slowFetchThreads) throws Exception {
        this.domains = domains;
        this.blackHoledPercent = blackHoledPercent;
        this.callers = callers;
        this.slowFetchThreads = slowFetchThreads;
        server = TestHttpsServer.start(InetAddress.getByName("127.0.0.1"), serverContext());
        server.respondWith(TestHttpsServer.byPolicyDomain(domain -> exchange -> {
            fetches.incrementAndGet();
            sleep(POLICY_DELAY);
            TestHttpsServer.ok(
                            "text/plain",
                            "version: STSv1\r\nmode: enforce\r\nmx: mx." + domain + "\r\nmax_age: 604800\r\n")
                    .respond(exchange);
        }));
        blackHole = new BlackHole(new InetSocketAddress(BLACK_HOLE_ADDRESS, server.port()));
        for (int i = 0; i < domains; i++) {
            publish(domain(i), isBlackHoled(i));
        }
        // Only for the measurement of one plan alone.
        publish("alone.example", false);
    }

    public static void main(String[] arguments) throws Exception {
        Map<String, String> options = options(arguments);
        int domains = Integer.parseInt(options.getOrDefault("domains", "10000"));
        int blackHoled = Integer.parseInt(options.getOrDefault("black-holed-percent", "5"));
        String callerOption = options.getOrDefault("callers", "all");
        int callers = callerOption.equals("all") ? 0 : Integer.parseInt(callerOption);
        int rounds = Integer.parseInt(options.getOrDefault("rounds", "3"));
        int slowFetchThreads = Integer.parseInt(
                options.getOrDefault("slow-fetch-threads", String.valueOf(MtaStsEngine.DEFAULT_SLOW_FETCH_THREADS)));
        System.out.printf(
                "%d cold domains, %d%% of policy hosts black-holed, callers: %s, slow fetch threads: %d; DNS %d ms,"
                        + " policy hosts %d ms; %d processors, %s %s%n",
                domains,
                blackHoled,
                callerOption,
                slowFetchThreads,
                DNS_DELAY.toMillis(),
                POLICY_DELAY.toMillis(),
                Runtime.getRuntime().availableProcessors(),
                System.getProperty("java.vm.name"),
                System.getProperty("java.version"));
        // One warning per black-holed domain and round would bury the figures.
        ((Logger) LoggerFactory.getLogger(MtaStsEngine.class)).setLevel(Level.ERROR);
        ColdPlansBenchmark benchmark = new ColdPlansBenchmark(domains, blackHoled, callers, slowFetchThreads);
        try {
            benchmark.warmUp();
            long alone = benchmark.oneAlone();
            System.out.printf(
                    "one cold plan alone: %d ms (critical path of waits: %d ms)%n", alone, CRITICAL_PATH_WAIT_MILLIS);
            for (int round = 1; round <= rounds; round++) {
                System.out.println("round " + round + ": " + benchmark.round(alone));
                System.out.println("round " + round + ", the machine's floor: " + benchmark.bareFetches());
            }
        } finally {
            benchmark.close();
        }
    }

    private void warmUp() throws Exception {
        // JIT and TLS code warmed on 500 of the domains, twice; every measured round starts cold again.
        for (int i = 0; i < 2; i++) {
            try (DeliveryPolicy policy = policy()) {
                List<CompletableFuture<DeliveryPlan>> plans = new ArrayList<>();
                for (int d = 0; d < Math.min(500, domains); d++) {
                    if (!isBlackHoled(d)) {
                        plans.add(policy.plan(DomainName.of(domain(d))));
                    }
                }
                CompletableFuture.allOf(plans.toArray(new CompletableFuture<?>[0]))
                        .get(120, TimeUnit.SECONDS);
            }
        }
    }

    /** The median of five cold plans of one domain, each with nothing else going on. */
    private long oneAlone() throws Exception {
        long[] times = new long[5];
        for (int i = 0; i < times.length; i++) {
            try (DeliveryPolicy policy = policy()) {
                long start = System.nanoTime();
                DeliveryPlan plan = policy.plan(DomainName.of("alone.example")).get(60, TimeUnit.SECONDS);
                times[i] = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
                if (outcome(plan) != MtaStsLookup.Outcome.POLICY) {
                    throw new IllegalStateException("one domain alone got no policy: " + plan.explain());
                }
            }
        }
        Arrays.sort(times);
        return times[times.length / 2];
    }

    private String round(long aloneMillis) throws Exception {
        int fetchesBefore = fetches.get();
        long cpuMillis;
        long serverMillis;
        long[] doneAt = new long[domains];
        long[] waited = new long[domains];
        MtaStsLookup.Outcome[] outcomes = new MtaStsLookup.Outcome[domains];
        try (DeliveryPolicy policy = policy()) {
            CountDownLatch done = new CountDownLatch(domains);
            long cpuBefore = PROCESS.getProcessCpuTime();
            Map<Long, Long> serverBefore = threadCpu(SERVER_THREADS);
            long start = System.nanoTime();
            if (callers == 0) {
                for (int i = 0; i < domains; i++) {
                    int index = i;
                    long asked = System.nanoTime();
                    policy.plan(DomainName.of(domain(i))).whenComplete((plan, error) -> {
                        long now = System.nanoTime();
                        doneAt[index] = now - start;
                        waited[index] = now - asked;
                        outcomes[index] = outcome(plan);
                        done.countDown();
                    });
                }
            } else {
                ConcurrentLinkedQueue<Integer> queue = new ConcurrentLinkedQueue<>();
                for (int i = 0; i < domains; i++) {
                    queue.add(i);
                }
                for (int t = 0; t < callers; t++) {
                    Thread caller = new Thread(
                            () -> {
                                for (Integer index = queue.poll(); index != null; index = queue.poll()) {
                                    long asked = System.nanoTime();
                                    DeliveryPlan plan = null;
                                    try {
                                        plan = policy.plan(DomainName.of(domain(index)))
                                                .get(300, TimeUnit.SECONDS);
                                    } catch (Exception e) {
                                        // Counted below as a domain without an outcome.
                                    }
                                    long now = System.nanoTime();
                                    doneAt[index] = now - start;
                                    waited[index] = now - asked;
                                    outcomes[index] = outcome(plan);
                                    done.countDown();
                                }
                            },
                            "delivery-" + t);
                    caller.setDaemon(true);
                    caller.start();
                }
            }
            if (!done.await(30, TimeUnit.MINUTES)) {
                throw new IllegalStateException("not every plan was made within 30 minutes");
            }
            cpuMillis = TimeUnit.NANOSECONDS.toMillis(PROCESS.getProcessCpuTime() - cpuBefore);
            serverMillis = TimeUnit.NANOSECONDS.toMillis(cpuSince(serverBefore, threadCpu(SERVER_THREADS)));
        }
        long answeringDone = 0;
        long worstWait = 0;
        long allDone = 0;
        int withPolicy = 0;
        int answering = 0;
        for (int i = 0; i < domains; i++) {
            allDone = Math.max(allDone, doneAt[i]);
            if (!isBlackHoled(i)) {
                answering++;
                answeringDone = Math.max(answeringDone, doneAt[i]);
                worstWait = Math.max(worstWait, waited[i]);
                if (outcomes[i] == MtaStsLookup.Outcome.POLICY) {
                    withPolicy++;
                }
            }
        }
        long answeringMillis = TimeUnit.NANOSECONDS.toMillis(answeringDone);
        return String.format(
                Locale.ROOT,
                "the %d answering domains planned in %d ms: %.1f times one plan alone, %.1f times the %d ms of"
                        + " waits; %d of them with their policy; worst delay of one of them %d ms (from its own"
                        + " request); all %d domains, black-holed included, in %d ms; %d HTTPS fetches; %.1f s of"
                        + " processor time (%.1f ms a domain, at least %.1f s of it the policy hosts' server), %.0f%% of the"
                        + " machine's over the answering domains' time",
                answering,
                answeringMillis,
                answeringMillis / (double) aloneMillis,
                answeringMillis / (double) CRITICAL_PATH_WAIT_MILLIS,
                CRITICAL_PATH_WAIT_MILLIS,
                withPolicy,
                TimeUnit.NANOSECONDS.toMillis(worstWait),
                domains,
                TimeUnit.NANOSECONDS.toMillis(allDone),
                fetches.get() - fetchesBefore,
                cpuMillis / 1000.0,
                cpuMillis / (double) domains,
                serverMillis / 1000.0,
                100.0
                        * cpuMillis
                        / (answeringMillis * (double) Runtime.getRuntime().availableProcessors()));
    }

    /**
     * What this machine needs for the same work without anything of ours: every answering domain's
     * policy fetched with the JDK's own HTTPS client on the same server (TLS handshake with SNI and
     * host name check, GET, response read), from as many threads as the engine may fetch on at once,
     * with no DNS. The waits are the server's 50 ms; the rest is the processor time of both ends of
     * every handshake.
     */
    private String bareFetches() throws Exception {
        SSLContext client = SSLContext.getInstance("TLS");
        client.init(null, new TrustManager[] {ca.trustManager()}, null);
        int threads = MtaStsEngine.concurrentFetches(MtaStsEngine.DEFAULT_UPDATE_THREADS, slowFetchThreads);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        AtomicInteger ok = new AtomicInteger();
        int answering = 0;
        long cpuBefore = PROCESS.getProcessCpuTime();
        long start = System.nanoTime();
        try {
            List<Future<?>> fetched = new ArrayList<>();
            for (int i = 0; i < domains; i++) {
                if (!isBlackHoled(i)) {
                    answering++;
                    String host = "mta-sts." + domain(i);
                    fetched.add(pool.submit(() -> {
                        if (bareFetch(client, host)) {
                            ok.incrementAndGet();
                        }
                        return null;
                    }));
                }
            }
            for (Future<?> fetch : fetched) {
                fetch.get(30, TimeUnit.MINUTES);
            }
        } finally {
            pool.shutdownNow();
        }
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        long cpuMillis = TimeUnit.NANOSECONDS.toMillis(PROCESS.getProcessCpuTime() - cpuBefore);
        return String.format(
                Locale.ROOT,
                "%d of the %d answering domains' policies fetched bare (JDK HTTPS, %d threads, no DNS) in %d ms;"
                        + " %.1f s of processor time (%.1f ms a domain)",
                ok.get(),
                answering,
                threads,
                millis,
                cpuMillis / 1000.0,
                cpuMillis / (double) answering);
    }

    /** Whether the policy came; a failure (a connect timing out on the busy server) counts as none. */
    private boolean bareFetch(SSLContext client, String host) {
        try (SSLSocket socket = (SSLSocket) client.getSocketFactory().createSocket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", server.port()), 60_000);
            socket.setSoTimeout(60_000);
            SSLParameters parameters = socket.getSSLParameters();
            parameters.setServerNames(List.of(new SNIHostName(host)));
            parameters.setEndpointIdentificationAlgorithm("HTTPS");
            socket.setSSLParameters(parameters);
            socket.getOutputStream()
                    .write(("GET /.well-known/mta-sts.txt HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n")
                            .getBytes(StandardCharsets.US_ASCII));
            byte[] response = socket.getInputStream().readNBytes(64 * 1024);
            return new String(response, StandardCharsets.US_ASCII).startsWith("HTTP/1.1 200");
        } catch (IOException e) {
            return false;
        }
    }

    /** A cold delivery policy with the engine's and the fetcher's default settings, as a fresh James has. */
    private DeliveryPolicy policy() throws IOException {
        // The AD flag trusted, as with dns.dnssec = trust-loopback-ad: the zone counts as signed.
        DnsResolver resolver =
                new DnsResolver(dns, true, Duration.ofSeconds(5)).withCache(new DnsCache(1_000_000, Clock.systemUTC()));
        MtaStsEngine engine = MtaStsEngine.builder(resolver)
                .slowFetchThreads(slowFetchThreads)
                .fetcher(MtaStsFetcher.builder(resolver)
                        .trustManager(ca.trustManager())
                        .port(server.port())
                        // As the configuration sets it.
                        .maxConcurrentFetches(
                                MtaStsEngine.concurrentFetches(MtaStsEngine.DEFAULT_UPDATE_THREADS, slowFetchThreads))
                        .build())
                .build();
        return new DeliveryPolicy(resolver, engine, Map.of());
    }

    /** Processor time of each live thread named {@code name}, by thread id. */
    private static Map<Long, Long> threadCpu(String name) {
        Map<Long, Long> byThread = new HashMap<>();
        for (ThreadInfo thread : THREADS.getThreadInfo(THREADS.getAllThreadIds())) {
            if (thread != null && thread.getThreadName().equals(name)) {
                byThread.put(thread.getThreadId(), Math.max(0, THREADS.getThreadCpuTime(thread.getThreadId())));
            }
        }
        return byThread;
    }

    /**
     * The processor time the threads alive {@code after} spent since {@code before}. A thread that
     * ended in between (an idle pool thread retired) takes its time with it: a lower bound.
     */
    private static long cpuSince(Map<Long, Long> before, Map<Long, Long> after) {
        long total = 0;
        for (Map.Entry<Long, Long> thread : after.entrySet()) {
            total += Math.max(0, thread.getValue() - before.getOrDefault(thread.getKey(), 0L));
        }
        return total;
    }

    private static MtaStsLookup.Outcome outcome(DeliveryPlan plan) {
        return plan == null ? null : plan.mtaSts().map(MtaStsLookup::outcome).orElse(null);
    }

    private boolean isBlackHoled(int index) {
        return blackHoledPercent > 0 && index % (100 / blackHoledPercent) == 0;
    }

    private static String domain(int index) {
        return String.format(Locale.ROOT, "d%05d.example", index);
    }

    private void publish(String domain, boolean blackHoled) {
        dns.add(domain + ".", Type.MX, "10 mx." + domain + ".")
                .add("mx." + domain + ".", Type.A, "192.0.2.1")
                .add("_mta-sts." + domain + ".", Type.TXT, "\"v=STSv1; id=20261130T000000;\"")
                .add("mta-sts." + domain + ".", Type.A, blackHoled ? BLACK_HOLE_ADDRESS : "127.0.0.1");
    }

    private SSLContext serverContext() throws GeneralSecurityException, IOException {
        List<String> names = new ArrayList<>();
        for (int i = 0; i < domains; i++) {
            names.add("mta-sts." + domain(i));
        }
        names.add("mta-sts.alone.example");
        return SharedPolicyHost.serverContext(ca, names);
    }

    private void close() throws IOException {
        blackHole.close();
        server.close();
    }

    private static Map<String, String> options(String[] arguments) {
        Map<String, String> options = new HashMap<>();
        for (int i = 0; i + 1 < arguments.length; i += 2) {
            if (!arguments[i].startsWith("--")) {
                throw new IllegalArgumentException("expected --option value, got " + arguments[i]);
            }
            options.put(arguments[i].substring(2), arguments[i + 1]);
        }
        return options;
    }

    private static void sleep(Duration duration) {
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
