package dev.securedelivery.mtasts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.securedelivery.dns.DnsResolver;
import dev.securedelivery.testing.InMemoryDns;
import dev.securedelivery.testing.TestCertificateAuthority;
import dev.securedelivery.testing.TestClock;
import dev.securedelivery.testing.TestHttpsServer;
import dev.securedelivery.tlsrpt.ResultType;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xbill.DNS.Type;

/**
 * The engine against a real HTTPS server on 127.0.0.1 and an in-JVM DNS upstream, on a clock the
 * tests move: discovery (RFC 8461 3.1), caching and refresh (3.3, 5.1, 10.2), persistence and
 * concurrency.
 */
class MtaStsEngineTest {
    private static final String DOMAIN = "example.test";
    private static final List<String> DOMAINS =
            List.of("example.test", "other.test", "third.test", "fourth.test", "fifth.test", "xn--bcher-kva.test");
    private static final TestCertificateAuthority CA = TestCertificateAuthority.root("MTA-STS Engine Test Root");

    private final InMemoryDns dns = new InMemoryDns();
    private final TestClock clock = TestClock.atSystemTime();
    private final Map<String, TestHttpsServer.Responder> policies = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> fetches = new ConcurrentHashMap<>();
    private final List<MtaStsEngine> engines = new ArrayList<>();
    private TestHttpsServer server;

    @TempDir
    Path cacheDirectory;

    @BeforeEach
    void startPolicyHost() {
        String[] names = DOMAINS.stream().map(domain -> "mta-sts." + domain).toArray(String[]::new);
        server = TestHttpsServer.start(
                InetAddress.getLoopbackAddress(), CA.issue(names).serverContext());
        server.respondWith(TestHttpsServer.byPolicyDomain(domain -> {
            fetches.computeIfAbsent(domain, d -> new AtomicInteger()).incrementAndGet();
            return policies.getOrDefault(domain, TestHttpsServer.notFound());
        }));
        for (String domain : DOMAINS) {
            dns.addA("mta-sts." + domain + ".", "127.0.0.1");
        }
    }

    @AfterEach
    void stop() throws IOException {
        for (MtaStsEngine engine : engines) {
            engine.close();
        }
        server.close();
    }

    @Nested
    class Discovery {
        @Test
        void aPublishedPolicyIsDiscoveredAndFetched() {
            publish(DOMAIN, "20261122", 300, policy("enforce", 86400, "mx1.example.test", "*.mx.example.test"));

            MtaStsLookup lookup = engine().lookup(DOMAIN);

            assertThat(lookup.outcome()).isEqualTo(MtaStsLookup.Outcome.POLICY);
            assertThat(lookup.policyId()).contains("20261122");
            assertThat(lookup.policy().orElseThrow().mode()).isEqualTo(MtaStsMode.ENFORCE);
            assertThat(lookup.policy().orElseThrow().matches("a.mx.example.test"))
                    .isTrue();
            assertThat(lookup.expiresAt()).contains(clock.instant().plusSeconds(86400));
            assertThat(lookup.failure()).isEmpty();
            assertThat(txtQueries(DOMAIN)).isEqualTo(1);
            assertThat(fetchCount(DOMAIN)).isEqualTo(1);
        }

        @Test
        void noRecordMeansNoPolicyAndNoFetch() {
            dns.addA("mx.example.test.", "192.0.2.1");

            MtaStsLookup lookup = engine().lookup(DOMAIN);

            assertThat(lookup.outcome()).isEqualTo(MtaStsLookup.Outcome.NO_POLICY);
            assertThat(lookup.failure().orElseThrow().resultType()).isEmpty();
            assertThat(fetchCount(DOMAIN)).isZero();
        }

        @Test
        void unrelatedTxtRecordsDoNotCountAsASecondRecord() {
            dns.addTxt("_mta-sts.example.test.", 300, "v=spf1 -all")
                    .addTxt("_mta-sts.example.test.", 300, "v=STSv10; id=9")
                    .addTxt("_mta-sts.example.test.", 300, "v=STSv1; id=1");
            policies.put(DOMAIN, TestHttpsServer.ok("text/plain", policy("testing", 86400, "mx.example.test")));

            assertThat(engine().lookup(DOMAIN).outcome()).isEqualTo(MtaStsLookup.Outcome.POLICY);
        }

        @Test
        void twoMtaStsRecordsMeanNoPolicy() {
            dns.addTxt("_mta-sts.example.test.", 300, "v=STSv1; id=1")
                    .addTxt("_mta-sts.example.test.", 300, "v=STSv1; id=2");
            policies.put(DOMAIN, TestHttpsServer.ok("text/plain", policy("enforce", 86400, "mx.example.test")));

            MtaStsLookup lookup = engine().lookup(DOMAIN);

            assertThat(lookup.outcome()).isEqualTo(MtaStsLookup.Outcome.NO_POLICY);
            assertThat(lookup.failure().orElseThrow().resultType()).contains(ResultType.STS_POLICY_INVALID);
            assertThat(fetchCount(DOMAIN)).isZero();
        }

        @Test
        void anInvalidRecordMeansNoPolicy() {
            dns.addTxt("_mta-sts.example.test.", 300, "v=STSv1; id=not-alphanumeric");

            MtaStsLookup lookup = engine().lookup(DOMAIN);

            assertThat(lookup.outcome()).isEqualTo(MtaStsLookup.Outcome.NO_POLICY);
            assertThat(lookup.failure().orElseThrow().detail()).contains("id must be 1 to 32 letters and digits");
        }

        @Test
        void whatTheRecordSaysReachesTheFailureDetailOnOneLine() {
            dns.addTxt("_mta-sts.example.test.", 300, "v=STSv1; id=abc\r\nFORGED log line\u001b[2J;");

            MtaStsLookup lookup = engine().lookup(DOMAIN);

            assertThat(lookup.outcome()).isEqualTo(MtaStsLookup.Outcome.NO_POLICY);
            // The parser shows the control characters escaped; nothing raw reaches the detail.
            assertThat(lookup.failure().orElseThrow().detail())
                    .contains("got \"abc\\x0d\\x0aFORGED\"")
                    .doesNotContain("\r", "\n", "\u001b");
        }

        @Test
        void theStringsOfOneRecordAreJoinedWithoutSpaces() {
            dns.addTxt("_mta-sts.example.test.", 300, "v=STSv1; i", "d=split");
            policies.put(DOMAIN, TestHttpsServer.ok("text/plain", policy("enforce", 86400, "mx.example.test")));

            assertThat(engine().lookup(DOMAIN).policyId()).contains("split");
        }

        @Test
        void aCnameToAProvidersRecordIsFollowed() {
            // RFC 8461 8.2: policy delegation.
            dns.add("_mta-sts.example.test.", Type.CNAME, 300, "_mta-sts.provider.test.")
                    .addTxt("_mta-sts.provider.test.", 300, "v=STSv1; id=delegated");
            policies.put(DOMAIN, TestHttpsServer.ok("text/plain", policy("enforce", 86400, "mx.provider.test")));

            assertThat(engine().lookup(DOMAIN).policyId()).contains("delegated");
        }

        @Test
        void aDnsFailureIsATemporaryFailureNeverNoPolicy() {
            publish(DOMAIN, "1", 300, policy("enforce", 86400, "mx.example.test"));
            dns.servfail("_mta-sts.example.test.");

            MtaStsLookup lookup = engine().lookup(DOMAIN);

            assertThat(lookup.outcome()).isEqualTo(MtaStsLookup.Outcome.TEMPORARY_FAILURE);
            assertThat(lookup.failure().orElseThrow().detail()).contains("SERVFAIL");
            assertThat(fetchCount(DOMAIN)).isZero();
        }

        @Test
        void aFetchFailureWithoutACachedPolicyMeansNoPolicyWithItsResultType() {
            dns.addTxt("_mta-sts.example.test.", 300, "v=STSv1; id=1");
            policies.put(DOMAIN, TestHttpsServer.status(500, "text/plain", "broken"));

            MtaStsLookup lookup = engine().lookup(DOMAIN);

            // RFC 8461 3.3: deliver as though the domain had not implemented MTA-STS.
            assertThat(lookup.outcome()).isEqualTo(MtaStsLookup.Outcome.NO_POLICY);
            assertThat(lookup.failure().orElseThrow().resultType()).contains(ResultType.STS_POLICY_FETCH_ERROR);
        }

        @Test
        void anInvalidPolicyCarriesItsResultType() {
            publish(DOMAIN, "1", 300, "version: STSv1\nmode: enforce\nmax_age: 86400\n");

            MtaStsLookup lookup = engine().lookup(DOMAIN);

            assertThat(lookup.outcome()).isEqualTo(MtaStsLookup.Outcome.NO_POLICY);
            assertThat(lookup.failure().orElseThrow().resultType()).contains(ResultType.STS_POLICY_INVALID);
        }

        @Test
        void domainsAreComparedInLowerCaseWithoutTrailingDotAndAsALabels() {
            publish(DOMAIN, "1", 300, policy("enforce", 86400, "mx.example.test"));
            publish("xn--bcher-kva.test", "2", 300, policy("enforce", 86400, "mx.xn--bcher-kva.test"));
            MtaStsEngine engine = engine();

            engine.lookup("Example.TEST.");
            engine.lookup("example.test");
            MtaStsLookup idn = engine.lookup("BÜCHER.test");

            assertThat(txtQueries(DOMAIN)).isEqualTo(1);
            assertThat(idn.policyId()).contains("2");
            assertThat(idn.domain()).isEqualTo("xn--bcher-kva.test");
        }

        @Test
        void anAddressLiteralHasNoPolicy() {
            // RFC 8461 3.4: no policy for address literals.
            MtaStsLookup lookup = engine().lookup("[192.0.2.1]");

            assertThat(lookup.outcome()).isEqualTo(MtaStsLookup.Outcome.NO_POLICY);
            assertThat(lookup.failure().orElseThrow().detail()).contains("is not a domain name");
        }

        @Test
        void modeNoneIsAPolicyWhoseModeSaysApplyNothing() {
            publish(DOMAIN, "1", 300, "version: STSv1\nmode: none\nmax_age: 86400\n");

            MtaStsLookup lookup = engine().lookup(DOMAIN);

            assertThat(lookup.outcome()).isEqualTo(MtaStsLookup.Outcome.POLICY);
            assertThat(lookup.policy().orElseThrow().mode()).isEqualTo(MtaStsMode.NONE);
        }
    }

    @Nested
    class Caching {
        @Test
        void aFreshAnswerCostsNoDnsQueryAndNoFetch() {
            publish(DOMAIN, "1", 300, policy("enforce", 86400, "mx.example.test"));
            MtaStsEngine engine = engine();
            engine.lookup(DOMAIN);

            clock.advance(Duration.ofSeconds(299));
            MtaStsLookup again = engine.lookup(DOMAIN);

            assertThat(again.policyId()).contains("1");
            assertThat(txtQueries(DOMAIN)).isEqualTo(1);
            assertThat(fetchCount(DOMAIN)).isEqualTo(1);
        }

        @Test
        void theRecordIsCheckedAgainWhenItsTtlRunsOutAndAnUnchangedIdCostsNoFetch() {
            publish(DOMAIN, "1", 300, policy("enforce", 86400, "mx.example.test"));
            MtaStsEngine engine = engine();
            engine.lookup(DOMAIN);

            clock.advance(Duration.ofSeconds(301));
            MtaStsLookup again = engine.lookup(DOMAIN);

            assertThat(again.policyId()).contains("1");
            assertThat(txtQueries(DOMAIN)).isEqualTo(2);
            assertThat(fetchCount(DOMAIN)).isEqualTo(1);
        }

        @Test
        void aShortTtlIsHonouredNoMoreOftenThanOnceAMinute() {
            publish(DOMAIN, "1", 5, policy("enforce", 86400, "mx.example.test"));
            MtaStsEngine engine = engine();
            engine.lookup(DOMAIN);

            clock.advance(Duration.ofSeconds(59));
            engine.lookup(DOMAIN);
            assertThat(txtQueries(DOMAIN)).isEqualTo(1);

            clock.advance(Duration.ofSeconds(2));
            engine.lookup(DOMAIN);
            assertThat(txtQueries(DOMAIN)).isEqualTo(2);
        }

        @Test
        void aLongTtlIsCheckedAtLeastHourly() {
            publish(DOMAIN, "1", 86400, policy("enforce", 604800, "mx.example.test"));
            MtaStsEngine engine = engine();
            engine.lookup(DOMAIN);

            clock.advance(Duration.ofMinutes(61));
            engine.lookup(DOMAIN);

            assertThat(txtQueries(DOMAIN)).isEqualTo(2);
        }

        @Test
        void aChangedIdFetchesTheNewPolicyOnceTheRecordIsChecked() {
            publish(DOMAIN, "1", 300, policy("enforce", 86400, "old.example.test"));
            MtaStsEngine engine = engine();
            engine.lookup(DOMAIN);

            publish(DOMAIN, "2", 300, policy("enforce", 86400, "new.example.test"));
            clock.advance(Duration.ofSeconds(301));
            MtaStsLookup lookup = engine.lookup(DOMAIN);

            assertThat(lookup.policyId()).contains("2");
            assertThat(lookup.policy().orElseThrow().mxPatterns()).containsExactly("new.example.test");
            assertThat(fetchCount(DOMAIN)).isEqualTo(2);
        }

        @Test
        void aFailedFetchOfAChangedPolicyKeepsTheCachedOneAndWaitsFiveMinutesBeforeTryingAgain() {
            publish(DOMAIN, "1", 300, policy("enforce", 86400, "old.example.test"));
            MtaStsEngine engine = engine();
            engine.lookup(DOMAIN);
            dns.remove("_mta-sts.example.test.", Type.TXT).addTxt("_mta-sts.example.test.", 300, "v=STSv1; id=2");
            policies.put(DOMAIN, TestHttpsServer.status(503, "text/plain", "down"));

            clock.advance(Duration.ofSeconds(301));
            MtaStsLookup lookup = engine.lookup(DOMAIN);

            assertThat(lookup.outcome()).isEqualTo(MtaStsLookup.Outcome.POLICY);
            assertThat(lookup.policyId()).contains("1");
            assertThat(lookup.policy().orElseThrow().mxPatterns()).containsExactly("old.example.test");
            assertThat(lookup.failure().orElseThrow().resultType()).contains(ResultType.STS_POLICY_FETCH_ERROR);
            assertThat(fetchCount(DOMAIN)).isEqualTo(2);

            clock.advance(Duration.ofMinutes(4));
            engine.lookup(DOMAIN);
            assertThat(fetchCount(DOMAIN)).isEqualTo(2);

            policies.put(DOMAIN, TestHttpsServer.ok("text/plain", policy("enforce", 86400, "new.example.test")));
            clock.advance(Duration.ofMinutes(2));
            assertThat(engine.lookup(DOMAIN).policyId()).contains("2");
            assertThat(fetchCount(DOMAIN)).isEqualTo(3);
        }

        @Test
        void failedFetchesWithoutACachedPolicyBackOffFromFiveMinutesDoubling() {
            dns.addTxt("_mta-sts.example.test.", 300, "v=STSv1; id=1");
            policies.put(DOMAIN, TestHttpsServer.notFound());
            MtaStsEngine engine = engine();

            engine.lookup(DOMAIN);
            clock.advance(Duration.ofMinutes(5).plusSeconds(1));
            engine.lookup(DOMAIN);
            assertThat(fetchCount(DOMAIN)).isEqualTo(2);

            clock.advance(Duration.ofMinutes(9));
            engine.lookup(DOMAIN);
            assertThat(fetchCount(DOMAIN)).isEqualTo(2);

            clock.advance(Duration.ofMinutes(1).plusSeconds(1));
            engine.lookup(DOMAIN);
            assertThat(fetchCount(DOMAIN)).isEqualTo(3);
        }

        @Test
        void aDnsFailureIsRetriedAfterThirtySecondsNotOnEveryLookup() {
            dns.servfail("_mta-sts.example.test.");
            MtaStsEngine engine = engine();

            engine.lookup(DOMAIN);
            clock.advance(Duration.ofSeconds(20));
            assertThat(engine.lookup(DOMAIN).outcome()).isEqualTo(MtaStsLookup.Outcome.TEMPORARY_FAILURE);
            assertThat(txtQueries(DOMAIN)).isEqualTo(1);

            dns.heal("_mta-sts.example.test.");
            clock.advance(Duration.ofSeconds(11));
            assertThat(engine.lookup(DOMAIN).outcome()).isEqualTo(MtaStsLookup.Outcome.NO_POLICY);
            assertThat(txtQueries(DOMAIN)).isEqualTo(2);
        }

        @Test
        void aDnsFailureLeavesTheCachedPolicyInForce() {
            publish(DOMAIN, "1", 300, policy("enforce", 86400, "mx.example.test"));
            MtaStsEngine engine = engine();
            engine.lookup(DOMAIN);

            dns.servfail("_mta-sts.example.test.");
            clock.advance(Duration.ofSeconds(301));
            MtaStsLookup lookup = engine.lookup(DOMAIN);

            assertThat(lookup.outcome()).isEqualTo(MtaStsLookup.Outcome.POLICY);
            assertThat(lookup.policy().orElseThrow().mode()).isEqualTo(MtaStsMode.ENFORCE);
            assertThat(lookup.failure().orElseThrow().detail()).contains("SERVFAIL");
        }

        @Test
        void aVanishedRecordLeavesTheCachedPolicyInForceUntilItExpires() {
            publish(DOMAIN, "1", 300, policy("enforce", 3600, "mx.example.test"));
            MtaStsEngine engine = engine();
            engine.lookup(DOMAIN);

            dns.remove("_mta-sts.example.test.", Type.TXT);
            clock.advance(Duration.ofSeconds(301));
            assertThat(engine.lookup(DOMAIN).outcome()).isEqualTo(MtaStsLookup.Outcome.POLICY);

            clock.advance(Duration.ofSeconds(3600));
            assertThat(engine.lookup(DOMAIN).outcome()).isEqualTo(MtaStsLookup.Outcome.NO_POLICY);
        }

        @Test
        void anExpiredPolicyNoLongerAppliesWhenItCannotBeFetchedAgain() {
            publish(DOMAIN, "1", 300, policy("enforce", 600, "mx.example.test"));
            MtaStsEngine engine = engine();
            engine.lookup(DOMAIN);
            policies.put(DOMAIN, TestHttpsServer.status(500, "text/plain", "down"));

            clock.advance(Duration.ofSeconds(601));
            MtaStsLookup lookup = engine.lookup(DOMAIN);

            assertThat(lookup.outcome()).isEqualTo(MtaStsLookup.Outcome.NO_POLICY);
            assertThat(lookup.failure().orElseThrow().resultType()).contains(ResultType.STS_POLICY_FETCH_ERROR);
        }

        @Test
        void noRecordIsCachedForTheNegativeTtl() {
            dns.add("example.test.", Type.A, 300, "192.0.2.1").negativeTtl(600);
            MtaStsEngine engine = engine();

            engine.lookup(DOMAIN);
            clock.advance(Duration.ofSeconds(599));
            engine.lookup(DOMAIN);
            assertThat(txtQueries(DOMAIN)).isEqualTo(1);

            publish(DOMAIN, "1", 300, policy("enforce", 86400, "mx.example.test"));
            clock.advance(Duration.ofSeconds(2));
            assertThat(engine.lookup(DOMAIN).outcome()).isEqualTo(MtaStsLookup.Outcome.POLICY);
        }

        @Test
        void refreshChecksTheRecordAtOnceWhateverItsTtl() {
            // RFC 8461 5.1: before failing a message permanently, check for a new policy.
            publish(DOMAIN, "1", 3600, policy("enforce", 86400, "old.example.test"));
            MtaStsEngine engine = engine();
            engine.lookup(DOMAIN);
            publish(DOMAIN, "2", 3600, policy("enforce", 86400, "new.example.test"));

            assertThat(engine.lookup(DOMAIN).policyId()).contains("1");
            MtaStsLookup refreshed = engine.refresh(DOMAIN);

            assertThat(refreshed.policyId()).contains("2");
            assertThat(engine.lookup(DOMAIN).policyId()).contains("2");
        }

        @Test
        void purgeForgetsADomain() {
            publish(DOMAIN, "1", 300, policy("enforce", 86400, "mx.example.test"));
            MtaStsEngine engine = engine();
            engine.lookup(DOMAIN);

            engine.purge(DOMAIN);
            engine.lookup(DOMAIN);

            assertThat(fetchCount(DOMAIN)).isEqualTo(2);
        }
    }

    @Nested
    class BackgroundRefresh {
        @Test
        void aPolicyInUseIsFetchedAgainDailyWhateverTheRecordSays() {
            // RFC 8461 3.3 and 10.2: refresh before expiry, e.g. daily, even with an unchanged id.
            publish(DOMAIN, "1", 3600, policy("enforce", 604800, "mx.example.test"));
            MtaStsEngine engine = engine();
            MtaStsLookup first = engine.lookup(DOMAIN);

            clock.advance(Duration.ofHours(25));
            engine.lookup(DOMAIN);
            engine.sweep();

            await().atMost(5, TimeUnit.SECONDS).until(() -> fetchCount(DOMAIN) == 2);
            await().atMost(5, TimeUnit.SECONDS)
                    .until(() -> engine.cached()
                            .get(0)
                            .fetchedAt()
                            .orElseThrow()
                            .isAfter(first.fetchedAt().orElseThrow()));
            assertThat(engine.cached().get(0).expiresAt())
                    .contains(clock.instant().plusSeconds(604800));
        }

        @Test
        void aShortLivedPolicyIsFetchedAgainAfterThreeQuartersOfItsMaxAge() {
            publish(DOMAIN, "1", 60, policy("enforce", 4000, "mx.example.test"));
            MtaStsEngine engine = engine();
            engine.lookup(DOMAIN);

            clock.advance(Duration.ofSeconds(2700));
            engine.lookup(DOMAIN);
            engine.sweep();
            assertThat(fetchCount(DOMAIN)).isEqualTo(1);

            clock.advance(Duration.ofSeconds(301));
            engine.lookup(DOMAIN);
            engine.sweep();
            await().atMost(5, TimeUnit.SECONDS).until(() -> fetchCount(DOMAIN) == 2);
        }

        @Test
        void theRecordOfADomainInUseIsCheckedBeforeItsTtlRunsOut() {
            publish(DOMAIN, "1", 300, policy("enforce", 86400, "mx.example.test"));
            MtaStsEngine engine = engine();
            engine.lookup(DOMAIN);

            clock.advance(Duration.ofSeconds(250));
            engine.sweep();
            assertThat(txtQueries(DOMAIN)).isEqualTo(1);

            // Within a sweep interval (30 s) and a margin of the TTL's end.
            clock.advance(Duration.ofSeconds(20));
            engine.sweep();
            await().atMost(5, TimeUnit.SECONDS).until(() -> txtQueries(DOMAIN) == 2);
            // The next delivery after the record's TTL finds a fresh answer and waits for nothing.
            clock.advance(Duration.ofSeconds(60));
            engine.lookup(DOMAIN);
            assertThat(txtQueries(DOMAIN)).isEqualTo(2);
        }

        @Test
        void aDomainNobodyUsesIsEvictedAfterTheIdleTime() {
            publish(DOMAIN, "1", 300, policy("enforce", 31557600, "mx.example.test"));
            MtaStsEngine engine = engine(builder -> builder.idleEviction(Duration.ofDays(2)));
            engine.lookup(DOMAIN);

            clock.advance(Duration.ofDays(1));
            engine.sweep();
            assertThat(engine.cached()).hasSize(1);

            clock.advance(Duration.ofDays(1).plusMinutes(2));
            engine.sweep();
            assertThat(engine.cached()).isEmpty();
        }

        @Test
        void theLeastRecentlyUsedGoFirstBeyondTheLimit() {
            for (String domain : DOMAINS.subList(0, 5)) {
                publish(domain, "1", 300, policy("enforce", 86400, "mx." + domain));
            }
            MtaStsEngine engine = engine(builder -> builder.maxEntries(3));
            for (String domain : DOMAINS.subList(0, 5)) {
                engine.lookup(domain);
                clock.advance(Duration.ofMinutes(1));
            }

            engine.sweep();

            assertThat(engine.cached())
                    .extracting(MtaStsLookup::domain)
                    .hasSizeLessThanOrEqualTo(3)
                    .contains("fifth.test")
                    .doesNotContain("example.test", "other.test");
        }

        @Test
        void theCacheStaysWithinItsByteBudgetWhateverThePoliciesWeigh() {
            // Five policies of about 40 KiB of mx patterns each, in a cache of 128 KiB.
            for (String domain : DOMAINS.subList(0, 5)) {
                String[] patterns = new String[2_000];
                for (int i = 0; i < patterns.length; i++) {
                    patterns[i] = "mx" + i + "." + domain;
                }
                publish(domain, "1", 300, policy("enforce", 86400, patterns));
            }
            MtaStsEngine engine = engine(builder -> builder.maxBytes(128 * 1024));
            for (String domain : DOMAINS.subList(0, 5)) {
                assertThat(engine.lookup(domain).outcome()).isEqualTo(MtaStsLookup.Outcome.POLICY);
                clock.advance(Duration.ofMinutes(1));
            }

            engine.sweep();

            assertThat(engine.cachedBytes()).isBetween(1L, 128L * 1024);
            assertThat(engine.cached())
                    .extracting(MtaStsLookup::domain)
                    .contains("fifth.test")
                    .doesNotContain("example.test", "other.test");
        }

        @Test
        void anExpiredPolicyIsEvicted() {
            publish(DOMAIN, "1", 300, policy("enforce", 600, "mx.example.test"));
            MtaStsEngine engine = engine();
            engine.lookup(DOMAIN);

            clock.advance(Duration.ofSeconds(601));
            engine.sweep();

            assertThat(engine.cached()).noneMatch(lookup -> lookup.outcome() == MtaStsLookup.Outcome.POLICY);
        }
    }

    @Nested
    class Persistence {
        @Test
        void aPolicySurvivesARestartAndIsUsedAfterTheRecordIsChecked() throws Exception {
            publish(DOMAIN, "1", 300, policy("enforce", 86400, "mx.example.test"));
            MtaStsEngine first = engine(builder -> builder.cacheDirectory(cacheDirectory));
            first.lookup(DOMAIN);
            first.close();
            policies.put(DOMAIN, TestHttpsServer.status(500, "text/plain", "down"));

            MtaStsLookup lookup =
                    engine(builder -> builder.cacheDirectory(cacheDirectory)).lookup(DOMAIN);

            assertThat(lookup.outcome()).isEqualTo(MtaStsLookup.Outcome.POLICY);
            assertThat(lookup.policy().orElseThrow().mxPatterns()).containsExactly("mx.example.test");
            assertThat(fetchCount(DOMAIN)).isEqualTo(1);
            assertThat(txtQueries(DOMAIN)).isEqualTo(2);
        }

        @Test
        void theTextAsServedIsKeptForTlsReportsAcrossARestart() throws Exception {
            // RFC 8460 4.4 quotes the policy as served: CRLF, an extension, the order and a capped max_age.
            String served = "version: STSv1\r\nmx: mx.example.test\r\nmode: enforce\r\nnote: kept\r\n"
                    + "max_age: 9999999999\r\n";
            publish(DOMAIN, "1", 300, served);
            MtaStsEngine first = engine(builder -> builder.cacheDirectory(cacheDirectory));
            assertThat(first.lookup(DOMAIN).policyText()).contains(served);
            first.close();
            policies.put(DOMAIN, TestHttpsServer.status(500, "text/plain", "down"));

            MtaStsLookup lookup =
                    engine(builder -> builder.cacheDirectory(cacheDirectory)).lookup(DOMAIN);

            assertThat(lookup.policy().orElseThrow().maxAgeSeconds()).isEqualTo(MtaStsPolicy.MAX_AGE_LIMIT_SECONDS);
            assertThat(lookup.policyText()).contains(served);
        }

        @Test
        void aStoredPolicyAppliesWhenDnsFailsAfterARestart() throws Exception {
            publish(DOMAIN, "1", 300, policy("enforce", 86400, "mx.example.test"));
            engine(builder -> builder.cacheDirectory(cacheDirectory)).lookup(DOMAIN);
            dns.servfail("_mta-sts.example.test.");

            MtaStsLookup lookup =
                    engine(builder -> builder.cacheDirectory(cacheDirectory)).lookup(DOMAIN);

            assertThat(lookup.outcome()).isEqualTo(MtaStsLookup.Outcome.POLICY);
        }

        @Test
        void aChangedIdAfterARestartFetchesTheNewPolicy() throws Exception {
            publish(DOMAIN, "1", 300, policy("enforce", 86400, "old.example.test"));
            engine(builder -> builder.cacheDirectory(cacheDirectory)).lookup(DOMAIN);
            publish(DOMAIN, "2", 300, policy("enforce", 86400, "new.example.test"));

            MtaStsLookup lookup =
                    engine(builder -> builder.cacheDirectory(cacheDirectory)).lookup(DOMAIN);

            assertThat(lookup.policyId()).contains("2");
            assertThat(Files.readString(cacheDirectory.resolve(DOMAIN))).contains("new.example.test");
        }

        @Test
        void anExpiredStoredPolicyIsIgnored() throws Exception {
            publish(DOMAIN, "1", 300, policy("enforce", 600, "mx.example.test"));
            engine(builder -> builder.cacheDirectory(cacheDirectory)).lookup(DOMAIN);
            policies.put(DOMAIN, TestHttpsServer.status(500, "text/plain", "down"));
            clock.advance(Duration.ofSeconds(601));

            MtaStsLookup lookup =
                    engine(builder -> builder.cacheDirectory(cacheDirectory)).lookup(DOMAIN);

            assertThat(lookup.outcome()).isEqualTo(MtaStsLookup.Outcome.NO_POLICY);
        }

        @Test
        void aCorruptFileIsIgnoredAndReplacedByTheNextFetch() throws Exception {
            Files.writeString(cacheDirectory.resolve(DOMAIN), "garbage\n\nnot a policy", StandardCharsets.UTF_8);
            publish(DOMAIN, "1", 300, policy("enforce", 86400, "mx.example.test"));

            MtaStsLookup lookup =
                    engine(builder -> builder.cacheDirectory(cacheDirectory)).lookup(DOMAIN);

            assertThat(lookup.outcome()).isEqualTo(MtaStsLookup.Outcome.POLICY);
            assertThat(Files.readString(cacheDirectory.resolve(DOMAIN))).contains("mx: mx.example.test");
        }

        @Test
        void aFileForAnotherDomainOrATamperedPolicyIsIgnored() throws Exception {
            publish(DOMAIN, "1", 300, policy("enforce", 86400, "mx.example.test"));
            engine(builder -> builder.cacheDirectory(cacheDirectory)).lookup(DOMAIN);
            String stored = Files.readString(cacheDirectory.resolve(DOMAIN));
            Files.writeString(cacheDirectory.resolve("other.test"), stored);
            Files.writeString(cacheDirectory.resolve(DOMAIN), stored.replace("mode: enforce", "mode: bogus"));
            policies.clear();

            MtaStsEngine restarted = engine(builder -> builder.cacheDirectory(cacheDirectory));

            assertThat(restarted.lookup(DOMAIN).outcome()).isEqualTo(MtaStsLookup.Outcome.NO_POLICY);
            dns.addTxt("_mta-sts.other.test.", 300, "v=STSv1; id=1");
            assertThat(restarted.lookup("other.test").outcome()).isEqualTo(MtaStsLookup.Outcome.NO_POLICY);
        }

        @Test
        void expiredFilesAreDeletedInTheBackground() throws Exception {
            publish(DOMAIN, "1", 300, policy("enforce", 600, "mx.example.test"));
            MtaStsEngine engine = engine(builder -> builder.cacheDirectory(cacheDirectory));
            engine.lookup(DOMAIN);
            assertThat(cacheDirectory.resolve(DOMAIN)).exists();

            clock.advance(Duration.ofDays(1).plusSeconds(1));
            engine.sweep();

            assertThat(cacheDirectory.resolve(DOMAIN)).doesNotExist();
        }

        @Test
        void aForeignFileInTheCacheDirectoryIsLeftAloneAndDoesNotStopTheCleanup() throws Exception {
            publish(DOMAIN, "1", 300, policy("enforce", 600, "mx.example.test"));
            MtaStsEngine engine = engine(builder -> builder.cacheDirectory(cacheDirectory));
            engine.lookup(DOMAIN);
            // Upper case: a domain name, but never one of the store's own file names.
            Path foreign = Files.writeString(cacheDirectory.resolve("Example.com"), "an administrator's note");

            clock.advance(Duration.ofDays(1).plusSeconds(1));
            engine.sweep();

            assertThat(cacheDirectory.resolve(DOMAIN)).doesNotExist();
            assertThat(foreign).hasContent("an administrator's note");
        }

        @Test
        void anUnwritableCacheDirectoryIsReportedAtBuildTime() throws Exception {
            Path file = cacheDirectory.resolve("a-file");
            Files.writeString(file, "not a directory");

            org.assertj.core.api.Assertions.assertThatThrownBy(() -> MtaStsEngine.builder(resolver())
                            .cacheDirectory(file.resolve("sub"))
                            .build())
                    .isInstanceOf(IOException.class);
        }
    }

    @Nested
    class Concurrency {
        @Test
        void aThousandConcurrentCallersForOneUncachedDomainCauseOneLookupAndOneFetch() throws Exception {
            publish(DOMAIN, "1", 300, policy("enforce", 86400, "mx.example.test"));
            dns.delay(Duration.ofMillis(200));
            MtaStsEngine engine = engine();
            int callers = 1000;
            ExecutorService pool = Executors.newFixedThreadPool(callers);
            CountDownLatch start = new CountDownLatch(1);
            List<Future<MtaStsLookup>> results = new ArrayList<>();
            try {
                for (int i = 0; i < callers; i++) {
                    results.add(pool.submit(() -> {
                        start.await();
                        return engine.lookup(DOMAIN);
                    }));
                }
                start.countDown();
                for (Future<MtaStsLookup> result : results) {
                    assertThat(result.get(30, TimeUnit.SECONDS).policyId()).contains("1");
                }
            } finally {
                pool.shutdownNow();
            }

            assertThat(txtQueries(DOMAIN)).isEqualTo(1);
            assertThat(fetchCount(DOMAIN)).isEqualTo(1);
        }

        @Test
        void differentDomainsAreFetchedInParallel() {
            // Each fetch is held until the other one has arrived: done one after the other, both would fail.
            CyclicBarrier bothArrived = new CyclicBarrier(2);
            TestHttpsServer.Responder waitForTheOther = exchange -> {
                try {
                    bothArrived.await(10, TimeUnit.SECONDS);
                } catch (Exception e) {
                    throw new IOException("the other fetch never came", e);
                }
                TestHttpsServer.ok("text/plain", policy("enforce", 86400, "mx.example.test"))
                        .respond(exchange);
            };
            dns.addTxt("_mta-sts.example.test.", 300, "v=STSv1; id=1")
                    .addTxt("_mta-sts.other.test.", 300, "v=STSv1; id=1");
            policies.put("example.test", waitForTheOther);
            policies.put("other.test", waitForTheOther);
            MtaStsEngine engine = engine();

            var first = engine.lookupAsync("example.test");
            var second = engine.lookupAsync("other.test");

            assertThat(first.join().outcome()).isEqualTo(MtaStsLookup.Outcome.POLICY);
            assertThat(second.join().outcome()).isEqualTo(MtaStsLookup.Outcome.POLICY);
        }

        @Test
        void aCallerWaitsNoLongerThanTheLookupTimeoutAndGetsATemporaryFailure() {
            dns.silence("_mta-sts.example.test.");
            MtaStsEngine engine = engine(builder -> builder.lookupTimeout(Duration.ofMillis(300)));

            MtaStsLookup lookup = engine.lookup(DOMAIN);

            assertThat(lookup.outcome()).isEqualTo(MtaStsLookup.Outcome.TEMPORARY_FAILURE);
            assertThat(lookup.failure().orElseThrow().detail()).contains("did not finish within 300 ms");
        }

        @Test
        void whileARecheckIsSlowTheUnexpiredCachedPolicyApplies() {
            publish(DOMAIN, "1", 300, policy("enforce", 86400, "mx.example.test"));
            MtaStsEngine engine = engine(builder -> builder.lookupTimeout(Duration.ofMillis(300)));
            engine.lookup(DOMAIN);

            dns.silence("_mta-sts.example.test.");
            clock.advance(Duration.ofSeconds(301));
            MtaStsLookup lookup = engine.lookup(DOMAIN);

            assertThat(lookup.outcome()).isEqualTo(MtaStsLookup.Outcome.POLICY);
            assertThat(lookup.policyId()).contains("1");
        }

        @Test
        void whileARecheckIsSlowAStaleNoPolicyAnswerIsServedAfterTheStaleWaitNotATemporaryFailure() {
            dns.addA("mx.example.test.", "192.0.2.1");
            MtaStsEngine engine = engine(
                    builder -> builder.lookupTimeout(Duration.ofSeconds(20)).staleWait(Duration.ofMillis(300)));
            assertThat(engine.lookup(DOMAIN).outcome()).isEqualTo(MtaStsLookup.Outcome.NO_POLICY);

            dns.silence("_mta-sts.example.test.");
            clock.advance(Duration.ofMinutes(5));
            MtaStsLookup lookup = engine.lookup(DOMAIN);

            // The update would have ended in a temporary failure at the resolver's 2 s timeout.
            assertThat(lookup.outcome()).isEqualTo(MtaStsLookup.Outcome.NO_POLICY);
        }

        @Test
        void aNoPolicyAnswerStaleForMoreThanAnHourIsNotServedOverAWait() {
            dns.addA("mx.example.test.", "192.0.2.1");
            MtaStsEngine engine = engine(
                    builder -> builder.lookupTimeout(Duration.ofMillis(300)).staleWait(Duration.ofMillis(100)));
            engine.lookup(DOMAIN);

            dns.silence("_mta-sts.example.test.");
            clock.advance(Duration.ofHours(3));

            assertThat(engine.lookup(DOMAIN).outcome()).isEqualTo(MtaStsLookup.Outcome.TEMPORARY_FAILURE);
        }

        @Test
        void aPolicyHostThatTricklesDelaysOnlyItsOwnDomainWhenThePoolIsFull() {
            // One update thread, taken by a policy host that drips its answer; other.test was known.
            dns.addA("mx.other.test.", "192.0.2.1");
            dns.addTxt("_mta-sts.example.test.", 300, "v=STSv1; id=1");
            policies.put(DOMAIN, TestHttpsServer.drip("text/plain", Duration.ofMillis(500)));
            MtaStsEngine engine = engine(builder -> builder.updateThreads(1)
                    .lookupTimeout(Duration.ofSeconds(20))
                    .staleWait(Duration.ofMillis(300)));
            assertThat(engine.lookup("other.test").outcome()).isEqualTo(MtaStsLookup.Outcome.NO_POLICY);
            clock.advance(Duration.ofMinutes(5));

            CompletableFuture<MtaStsLookup> slow = engine.lookupAsync(DOMAIN);
            MtaStsLookup other = engine.lookup("other.test");

            assertThat(other.outcome()).isEqualTo(MtaStsLookup.Outcome.NO_POLICY);
            assertThat(slow).isNotDone();
        }

        @Test
        void blackHoledPolicyHostsMoreThanTheUpdateThreadsDoNotStarveADomainWhoseHostAnswers() throws Exception {
            // Three policy hosts take the request and never answer (until the test ends); two update threads.
            List<String> blackHoled = List.of("other.test", "third.test", "fourth.test");
            CountDownLatch release = new CountDownLatch(1);
            AtomicInteger arrived = new AtomicInteger();
            blackHole(blackHoled, arrived, release);
            publish(DOMAIN, "1", 300, policy("enforce", 86400, "mx.example.test"));
            MtaStsEngine engine = engine(
                    Duration.ofSeconds(60),
                    builder -> builder.updateThreads(2)
                            .slowFetchThreads(3)
                            .slowFetchAfter(Duration.ofMillis(50))
                            .lookupTimeout(Duration.ofSeconds(20)));
            try {
                blackHoled.forEach(engine::lookupAsync);
                // All three fetches run at once although there are two update threads, each counted slow.
                await().atMost(Duration.ofSeconds(20)).until(() -> arrived.get() == 3 && engine.slowFetchesNow() == 3);

                MtaStsLookup answering = engine.lookup(DOMAIN);

                assertThat(answering.outcome()).isEqualTo(MtaStsLookup.Outcome.POLICY);
                assertThat(answering.policyId()).contains("1");
                assertThat(engine.slowFetchesNow()).isEqualTo(3);
            } finally {
                release.countDown();
            }
            // A slow fetch that ends gives its thread back to the budget.
            await().atMost(Duration.ofSeconds(20)).until(() -> engine.slowFetchesNow() == 0);
        }

        @Test
        void onceTheSlowBudgetIsSpentSlowFetchesKeepTheirUpdateThreadsAndNoMoreThreadsAreMade() throws Exception {
            List<String> blackHoled = List.of("other.test", "third.test", "fourth.test");
            CountDownLatch release = new CountDownLatch(1);
            AtomicInteger arrived = new AtomicInteger();
            blackHole(blackHoled, arrived, release);
            publish(DOMAIN, "1", 300, policy("enforce", 86400, "mx.example.test"));
            MtaStsEngine engine = engine(
                    Duration.ofSeconds(60),
                    builder -> builder.updateThreads(1)
                            .slowFetchThreads(1)
                            .slowFetchAfter(Duration.ofMillis(50))
                            .lookupTimeout(Duration.ofMillis(500)));
            try {
                blackHoled.forEach(engine::lookupAsync);
                await().atMost(Duration.ofSeconds(20)).until(() -> arrived.get() == 2 && engine.slowFetchesNow() == 1);

                MtaStsLookup answering = engine.lookup(DOMAIN);

                // One thread of each kind, both held: the third black hole and example.test wait their turn.
                assertThat(answering.outcome()).isEqualTo(MtaStsLookup.Outcome.TEMPORARY_FAILURE);
                assertThat(arrived).hasValue(2);
                assertThat(fetchCount(DOMAIN)).isZero();
            } finally {
                release.countDown();
            }
        }

        @Test
        void aTxtLookupThatNeverAnswersHoldsNoUpdateThread() {
            // One update thread; the resolver would wait a minute for other.test's record.
            dns.silence("_mta-sts.other.test.");
            publish(DOMAIN, "1", 300, policy("enforce", 86400, "mx.example.test"));
            DnsResolver patient = new DnsResolver(dns, false, Duration.ofSeconds(60));
            MtaStsEngine engine = engine(
                    patient,
                    Duration.ofSeconds(5),
                    builder -> builder.updateThreads(1).lookupTimeout(Duration.ofSeconds(20)));
            CompletableFuture<MtaStsLookup> silent = engine.lookupAsync("other.test");

            MtaStsLookup answering = engine.lookup(DOMAIN);

            assertThat(answering.outcome()).isEqualTo(MtaStsLookup.Outcome.POLICY);
            assertThat(silent).isNotDone();
        }

        @Test
        void anErrorInAnUpdateEndsInATemporaryFailureAndTheDomainIsUpdatedAgainLater() {
            publish(DOMAIN, "1", 300, policy("enforce", 86400, "mx.example.test"));
            AtomicBoolean fail = new AtomicBoolean(true);
            FetchListener throwing = domain -> {
                if (fail.get()) {
                    throw new InjectedError();
                }
                return FetchListener.NONE.started(domain);
            };
            MtaStsEngine engine =
                    engine(builder -> builder.fetchListener(throwing).lookupTimeout(Duration.ofSeconds(20)));

            MtaStsLookup failed = engine.lookup(DOMAIN);

            assertThat(failed.outcome()).isEqualTo(MtaStsLookup.Outcome.TEMPORARY_FAILURE);
            assertThat(failed.failure().orElseThrow().detail())
                    .contains("internal error")
                    .contains("InjectedError");
            fail.set(false);
            clock.advance(Duration.ofSeconds(31));
            assertThat(engine.lookup(DOMAIN).policyId()).contains("1");
        }

        @Test
        void theAsynchronousLookupAlsoEndsAtTheLookupTimeout() {
            dns.silence("_mta-sts.example.test.");
            MtaStsEngine engine = engine(builder -> builder.lookupTimeout(Duration.ofMillis(300)));

            MtaStsLookup lookup = engine.lookupAsync(DOMAIN).join();

            assertThat(lookup.outcome()).isEqualTo(MtaStsLookup.Outcome.TEMPORARY_FAILURE);
        }
    }

    /** Stands for any Error thrown inside an update (a StackOverflowError, a NoClassDefFoundError...). */
    private static final class InjectedError extends Error {
        private static final long serialVersionUID = 1L;
    }

    // ---- fixtures ----

    private void publish(String domain, String id, long ttl, String policyText) {
        dns.remove("_mta-sts." + domain + ".", Type.TXT)
                .addTxt("_mta-sts." + domain + ".", ttl, "v=STSv1; id=" + id + ";");
        policies.put(domain, TestHttpsServer.ok("text/plain", policyText));
    }

    private static String policy(String mode, long maxAge, String... mx) {
        StringBuilder text =
                new StringBuilder("version: STSv1\r\nmode: ").append(mode).append("\r\n");
        for (String pattern : mx) {
            text.append("mx: ").append(pattern).append("\r\n");
        }
        return text.append("max_age: ").append(maxAge).append("\r\n").toString();
    }

    /** Publishes an MTA-STS record for each of {@code domains}; their policy host takes the request and waits for {@code release}. */
    private void blackHole(List<String> domains, AtomicInteger arrived, CountDownLatch release) {
        for (String domain : domains) {
            dns.addTxt("_mta-sts." + domain + ".", 300, "v=STSv1; id=1");
            policies.put(domain, neverAnswering(arrived, release));
        }
    }

    /** Takes the request, counts it, and answers nothing until {@code release}. */
    private static TestHttpsServer.Responder neverAnswering(AtomicInteger arrived, CountDownLatch release) {
        return exchange -> {
            arrived.incrementAndGet();
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            throw new IOException("released at the end of the test");
        };
    }

    private int txtQueries(String domain) {
        return dns.queryCount("_mta-sts." + domain + ".", Type.TXT);
    }

    private int fetchCount(String domain) {
        AtomicInteger count = fetches.get(domain);
        return count == null ? 0 : count.get();
    }

    private DnsResolver resolver() {
        return new DnsResolver(dns, false, Duration.ofSeconds(2));
    }

    private MtaStsEngine engine() {
        return engine(builder -> {});
    }

    private MtaStsEngine engine(java.util.function.Consumer<MtaStsEngineBuilder> settings) {
        return engine(Duration.ofSeconds(5), settings);
    }

    private MtaStsEngine engine(Duration fetchTimeout, java.util.function.Consumer<MtaStsEngineBuilder> settings) {
        return engine(resolver(), fetchTimeout, settings);
    }

    private MtaStsEngine engine(
            DnsResolver dns, Duration fetchTimeout, java.util.function.Consumer<MtaStsEngineBuilder> settings) {
        MtaStsEngineBuilder builder = MtaStsEngine.builder(dns)
                .fetcher(MtaStsFetcher.builder(dns)
                        .trustManager(CA.trustManager())
                        .port(server.port())
                        .fetchTimeout(fetchTimeout)
                        .readTimeout(fetchTimeout)
                        .maxConcurrentFetches(16)
                        .build())
                .clock(clock)
                .manualSweeps();
        settings.accept(builder);
        try {
            MtaStsEngine engine = builder.build();
            engines.add(engine);
            return engine;
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }
}
