package dev.securedelivery.mtasts;

import dev.securedelivery.dns.DnsResolver;
import dev.securedelivery.testing.InMemoryDns;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.List;
import org.openjdk.jol.info.ClassLayout;

/**
 * Heap per cached policy: fills an engine's cache with a million policies, each as the engine
 * keeps one after a fetch (domain key, answer, policy, patterns, id), and divides the growth of
 * the live heap by their number. Target: at most 300 bytes.
 *
 * <p>Lives in the engine's package because it fills the cache directly: a million real fetches
 * would measure the network, not the cache. Run with {@code -Xmx2g} (compressed references, as in
 * any James under 32 GB).
 */
public final class PolicyCacheFootprint {
    private static final int POLICIES = 1_000_000;

    private PolicyCacheFootprint() {}

    public static void main(String[] arguments) throws Exception {
        int count = arguments.length > 0 ? Integer.parseInt(arguments[0]) : POLICIES;
        try (MtaStsEngine engine = MtaStsEngine.builder(
                        new DnsResolver(new InMemoryDns(), false, Duration.ofSeconds(1)))
                .maxEntries(Integer.MAX_VALUE)
                .manualSweeps()
                .build()) {
            long before = liveHeap();
            long now = System.currentTimeMillis();
            for (int i = 0; i < count; i++) {
                String domain = "d" + (1_000_000 + i) + ".example.net";
                MtaStsPolicy policy =
                        MtaStsPolicy.of(MtaStsMode.ENFORCE, List.of("mx1." + domain, "*.mail." + domain), 604_800);
                engine.remember(MtaStsLookup.policy(domain, policy, "20261122T083000", now, now + 3_600_000));
            }
            long after = liveHeap();
            System.out.println(ClassLayout.parseClass(MtaStsLookup.class).toPrintable());
            System.out.println(ClassLayout.parseClass(MtaStsPolicy.class).toPrintable());
            System.out.printf("policies cached: %d%n", engine.cached().size());
            System.out.printf(
                    "live heap grew by %d bytes: %.1f bytes per cached policy%n",
                    after - before, (after - before) / (double) count);
            System.out.println("each policy: a 19-character domain, two mx patterns"
                    + " (mx1.<domain>, *.mail.<domain>), a 15-character id");
        }
    }

    private static long liveHeap() throws InterruptedException {
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(200);
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }
}
