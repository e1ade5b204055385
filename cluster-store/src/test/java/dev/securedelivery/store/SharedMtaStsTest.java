package dev.securedelivery.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.securedelivery.dns.DnsResolver;
import dev.securedelivery.mtasts.MtaStsEngine;
import dev.securedelivery.mtasts.MtaStsFetcher;
import dev.securedelivery.mtasts.MtaStsLookup;
import dev.securedelivery.mtasts.MtaStsMode;
import dev.securedelivery.testing.InMemoryDns;
import dev.securedelivery.testing.TestCertificateAuthority;
import dev.securedelivery.testing.TestClock;
import dev.securedelivery.testing.TestHttpsServer;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Two MTA-STS engines, as two James nodes, sharing a policy cache in a real PostgreSQL, against one
 * policy host on 127.0.0.1 that counts its fetches: one fetch for both nodes, also when both ask at
 * once; a refresh by one node, a policy changed under the same id, is taken up by the other, so both
 * enforce the same policy (postfix-mta-sts-resolver issue 113).
 */
class SharedMtaStsTest {
    private static final TestCertificateAuthority CA = TestCertificateAuthority.root("Shared MTA-STS Root");
    private static final String DOMAIN = "example.test";

    private final InMemoryDns dns = new InMemoryDns();
    private final TestClock clock = TestClock.atSystemTime();
    private final AtomicInteger fetches = new AtomicInteger();
    private final AtomicReference<String> policy = new AtomicReference<>(policy("enforce"));
    private final List<MtaStsEngine> engines = new ArrayList<>();
    private TestHttpsServer server;
    private TestDatabase database;

    @BeforeEach
    void start() throws Exception {
        database = TestDatabase.create();
        server = TestHttpsServer.start(
                InetAddress.getLoopbackAddress(), CA.issue("mta-sts." + DOMAIN).serverContext());
        server.respondWith(exchange -> {
            fetches.incrementAndGet();
            // Slow enough that two nodes asking at once overlap.
            try {
                Thread.sleep(300);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            TestHttpsServer.ok("text/plain", policy.get()).respond(exchange);
        });
        dns.addA("mta-sts." + DOMAIN + ".", "127.0.0.1");
        dns.addTxt("_mta-sts." + DOMAIN + ".", 60, "v=STSv1; id=20261207;");
    }

    @AfterEach
    void stop() throws Exception {
        for (MtaStsEngine engine : engines) {
            engine.close();
        }
        server.close();
        database.close();
    }

    private static String policy(String mode) {
        return "version: STSv1\r\nmode: " + mode + "\r\nmx: mx.example.test\r\nmax_age: 86400\r\n";
    }

    private MtaStsEngine node(String name) throws Exception {
        return node(name, Duration.ofDays(1));
    }

    private MtaStsEngine node(String name, Duration refreshInterval) throws Exception {
        DnsResolver resolver = new DnsResolver(dns, false, Duration.ofSeconds(2));
        MtaStsEngine engine = MtaStsEngine.builder(resolver)
                .fetcher(MtaStsFetcher.builder(resolver)
                        .trustManager(CA.trustManager())
                        .port(server.port())
                        .build())
                .policyCache(database.open(name, clock).policyCache(1000))
                .clock(clock)
                .refreshInterval(refreshInterval)
                .build();
        engines.add(engine);
        return engine;
    }

    @Test
    void twoNodesAskingAtOnceFetchThePolicyOnce() throws Exception {
        MtaStsEngine one = node("one");
        MtaStsEngine two = node("two");

        CompletableFuture<MtaStsLookup> first = one.lookupAsync(DOMAIN);
        CompletableFuture<MtaStsLookup> second = two.lookupAsync(DOMAIN);

        assertThat(first.get().policyId()).contains("20261207");
        assertThat(second.get().policyId()).contains("20261207");
        assertThat(second.get().policy().orElseThrow().mode()).isEqualTo(MtaStsMode.ENFORCE);
        assertThat(fetches).hasValue(1);
    }

    @Test
    void aNodeStartedLaterTakesUpThePolicyWithoutFetching() throws Exception {
        assertThat(node("one").lookup(DOMAIN).outcome()).isEqualTo(MtaStsLookup.Outcome.POLICY);

        MtaStsLookup later = node("two").lookup(DOMAIN);

        assertThat(later.policy().orElseThrow().mode()).isEqualTo(MtaStsMode.ENFORCE);
        assertThat(fetches).hasValue(1);
    }

    @Test
    void aPolicyChangedUnderTheSameIdIsTakenUpByEveryNode() throws Exception {
        // Node one refreshes its policies every 10 minutes, node two daily (RFC 8461 10.2 leaves it to us).
        MtaStsEngine one = node("one", Duration.ofMinutes(10));
        MtaStsEngine two = node("two");
        one.lookup(DOMAIN);
        two.lookup(DOMAIN);
        assertThat(fetches).hasValue(1);

        // The domain changes its policy and forgets the id; node one's refresh is due and fetches it.
        policy.set(policy("testing"));
        clock.advance(Duration.ofMinutes(11));
        assertThat(one.lookup(DOMAIN).policy().orElseThrow().mode()).isEqualTo(MtaStsMode.TESTING);
        assertThat(fetches).hasValue(2);

        // Node two, its record's TTL past too, takes up what node one fetched, without fetching.
        MtaStsLookup seenByTwo = two.lookup(DOMAIN);

        assertThat(seenByTwo.policy().orElseThrow().mode()).isEqualTo(MtaStsMode.TESTING);
        assertThat(fetches).hasValue(2);
    }
}
