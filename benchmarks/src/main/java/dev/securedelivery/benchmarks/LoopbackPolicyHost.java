package dev.securedelivery.benchmarks;

import dev.securedelivery.dns.DnsResolver;
import dev.securedelivery.mtasts.MtaStsEngine;
import dev.securedelivery.mtasts.MtaStsFetcher;
import dev.securedelivery.testing.InMemoryDns;
import dev.securedelivery.testing.TestCertificateAuthority;
import dev.securedelivery.testing.TestHttpsServer;
import java.io.IOException;
import java.net.InetAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Synthetic domains whose MTA-STS records live in an in-JVM DNS upstream and whose policies are
 * served by one HTTPS server on 127.0.0.1, and an engine that discovers them there.
 */
final class LoopbackPolicyHost implements AutoCloseable {
    final InMemoryDns dns = new InMemoryDns();
    final MtaStsEngine engine;
    private final TestHttpsServer server;
    private final AtomicInteger fetches = new AtomicInteger();

    LoopbackPolicyHost(List<String> domains, Duration dnsDelay) throws IOException {
        TestCertificateAuthority ca = TestCertificateAuthority.root("Benchmark Root");
        String[] hosts = domains.stream().map(domain -> "mta-sts." + domain).toArray(String[]::new);
        server = TestHttpsServer.start(
                InetAddress.getLoopbackAddress(), ca.issue(hosts).serverContext());
        server.respondWith(TestHttpsServer.byPolicyDomain(domain -> {
            fetches.incrementAndGet();
            return TestHttpsServer.ok(
                    "text/plain",
                    "version: STSv1\r\nmode: enforce\r\nmx: mx1." + domain + "\r\nmx: *.mail." + domain
                            + "\r\nmax_age: 604800\r\n");
        }));
        for (String domain : domains) {
            dns.addTxt("_mta-sts." + domain + ".", 3600, "v=STSv1; id=20261122T083000;")
                    .addA("mta-sts." + domain + ".", "127.0.0.1");
        }
        dns.delay(dnsDelay);
        DnsResolver resolver = new DnsResolver(dns, false, Duration.ofSeconds(5));
        engine = MtaStsEngine.builder(resolver)
                .fetcher(MtaStsFetcher.builder(resolver)
                        .trustManager(ca.trustManager())
                        .port(server.port())
                        // As the configuration sets it for the engine's default threads.
                        .maxConcurrentFetches(MtaStsEngine.concurrentFetches(
                                MtaStsEngine.DEFAULT_UPDATE_THREADS, MtaStsEngine.DEFAULT_SLOW_FETCH_THREADS))
                        .build())
                .build();
    }

    int fetches() {
        return fetches.get();
    }

    @Override
    public void close() throws IOException {
        engine.close();
        server.close();
    }
}
