package dev.securedelivery.tlsrpt;

import static org.assertj.core.api.Assertions.assertThat;

import dev.securedelivery.testing.TlsReportSchema;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A hostile domain changes what a session is counted under at every session: a new HELO name,
 * address and reply from its MX, new TLSA records. The counts stay bounded, every session is still
 * counted under its own policy type and result type, and the report stays valid RFC 8460 JSON.
 */
class SessionCountsBoundsTest {
    private static final Instant NOON = Instant.parse("2026-11-21T12:00:00Z");
    private static final ReportPeriod DAY = ReportPeriod.dayOf(NOON);
    private static final String DOMAIN = "hostile.example";
    private static final ReportedPolicy STS = ReportedPolicy.sts(
            DOMAIN,
            "version: STSv1\nmode: enforce\nmx: mx.hostile.example\nmax_age: 86400\n",
            List.of("mx.hostile.example"));
    private static final ResultType[] TYPES = {
        ResultType.CERTIFICATE_EXPIRED, ResultType.STARTTLS_NOT_SUPPORTED, ResultType.CERTIFICATE_NOT_TRUSTED
    };
    private static final int SESSIONS = 5_000;

    @TempDir
    Path directory;

    @Test
    void failureDetailsThatDifferEachSessionAreBoundedAndStillAddUp() {
        SessionCounts counts = new SessionCounts(Duration.ofDays(1));
        Map<String, Long> expectedByType = new TreeMap<>();
        for (int i = 0; i < SESSIONS; i++) {
            ResultType type = TYPES[i % TYPES.length];
            counts.failure(STS, changing(type, i), NOON.plusMillis(i));
            expectedByType.merge(type.reportName(), 1L, Long::sum);
        }
        // A fourth result type, first seen past every bound, still gets a detail of its own.
        counts.failure(STS, changing(ResultType.VALIDATION_FAILURE, SESSIONS), NOON.plusSeconds(60));
        expectedByType.merge(ResultType.VALIDATION_FAILURE.reportName(), 1L, Long::sum);

        PolicyResults results = counts.of(DAY, DOMAIN).get(STS);
        Map<FailureDetail, Long> details = results.failureDetails();
        assertThat(details).hasSize(PolicyResults.MAX_DETAILS + 1);
        assertThat(results.failedSessions()).isEqualTo(SESSIONS + 1);
        Map<String, Long> byType = new TreeMap<>();
        details.forEach((detail, count) -> byType.merge(detail.resultType(), count, Long::sum));
        assertThat(byType).isEqualTo(expectedByType);
        // The first kinds keep every field and only their own session: later ones never borrow them.
        List<FailureDetail> listed = List.copyOf(details.keySet());
        for (FailureDetail full : listed.subList(0, PolicyResults.MAX_FULL_DETAILS)) {
            assertThat(full.receivingMxHelo()).isNotNull();
            assertThat(details.get(full)).isEqualTo(1);
        }
        // The later ones only what bounds them, and they carry the rest of the sessions.
        for (FailureDetail coarse : listed.subList(PolicyResults.MAX_FULL_DETAILS, listed.size())) {
            assertThat(coarse.receivingMxHelo()).isNull();
            assertThat(coarse.receivingIp()).isNull();
            assertThat(coarse.failureReasonCode()).isNull();
        }

        TlsReportSchema.check(
                new TlsRptReport("org", "contact@sender.example", "id", DAY, counts.of(DAY, DOMAIN)).toJson());
    }

    @Test
    void policiesThatChangeEachSessionAreBoundedAndEverySessionCounted() {
        SessionCounts counts = new SessionCounts(Duration.ofDays(1));
        for (int i = 0; i < SESSIONS; i++) {
            counts.success(changingTlsa(i), NOON.plusMillis(i));
        }
        counts.success(STS, NOON.plusSeconds(60));

        Map<ReportedPolicy, PolicyResults> policies = counts.of(DAY, DOMAIN);
        assertThat(policies).hasSize(SessionCounts.MAX_POLICIES + 1);
        assertThat(policies.values().stream()
                        .mapToLong(PolicyResults::successfulSessions)
                        .sum())
                .isEqualTo(SESSIONS + 1);
        List<ReportedPolicy> listed = List.copyOf(policies.keySet());
        for (ReportedPolicy full : listed.subList(0, SessionCounts.MAX_FULL_POLICIES)) {
            assertThat(full.policyStrings()).isNotEmpty();
            assertThat(policies.get(full).successfulSessions()).isEqualTo(1);
        }
        assertThat(listed.get(SessionCounts.MAX_FULL_POLICIES).policyStrings()).isEmpty();
        assertThat(listed.get(SessionCounts.MAX_FULL_POLICIES).mxHosts()).hasSize(1);
        // The MTA-STS policy came after every bound, and is still counted as an MTA-STS one.
        assertThat(policies.entrySet().stream()
                        .filter(entry -> entry.getKey().type() == PolicyType.STS)
                        .mapToLong(entry -> entry.getValue().successfulSessions())
                        .sum())
                .isEqualTo(1);

        TlsReportSchema.check(new TlsRptReport("org", "contact@sender.example", "id", DAY, policies).toJson());
    }

    @Test
    void aPeriodListsAtMostItsEntriesAndSaysHowManySessionsItLeftOut() {
        SessionCounts counts = new SessionCounts(Duration.ofDays(1));
        // DANE: each new MX host name is a policy domain of its own.
        for (int i = 0; i < SessionCounts.MAX_ENTRIES + 10; i++) {
            String host = "mx" + i + ".hostile.example";
            counts.success(ReportedPolicy.tlsa(host, host, List.of("3 1 1 aa")), NOON);
        }
        // A policy domain listed before the period filled up is still counted.
        counts.success(ReportedPolicy.tlsa("mx0.hostile.example", "mx0.hostile.example", List.of("3 1 1 aa")), NOON);

        List<String> domains = new ArrayList<>();
        counts.domains(DAY).forEach(domains::add);
        assertThat(domains).hasSize((int) SessionCounts.MAX_ENTRIES);
        assertThat(counts.uncounted(DAY)).isEqualTo(10);
        assertThat(counts.of(DAY, "mx0.hostile.example").values())
                .singleElement()
                .extracting(PolicyResults::successfulSessions)
                .isEqualTo(2L);
    }

    @Test
    void aPeriodListsAtMostItsPolicyTextAndCountsTheRestWithoutIt() {
        SessionCounts counts = new SessionCounts(Duration.ofDays(1));
        String longPolicy = "version: STSv1\nmode: enforce\nmax_age: 86400\n" + "mx: a.example\n".repeat(5_000);
        int domains = 200;
        for (int i = 0; i < domains; i++) {
            String domain = "d" + i + ".example";
            counts.success(ReportedPolicy.sts(domain, longPolicy, List.of("a.example")), NOON);
        }

        long withText = 0;
        long chars = 0;
        for (int i = 0; i < domains; i++) {
            ReportedPolicy listed =
                    counts.of(DAY, "d" + i + ".example").keySet().iterator().next();
            if (!listed.policyStrings().isEmpty()) {
                withText++;
                chars += listed.textChars();
            }
        }
        assertThat(chars).isLessThanOrEqualTo(SessionCounts.MAX_TEXT_CHARS);
        assertThat(withText)
                .isEqualTo(SessionCounts.MAX_TEXT_CHARS
                        / ReportedPolicy.sts("x", longPolicy, List.of("a.example"))
                                .textChars());
        assertThat(withText).isLessThan(domains);
    }

    @Test
    void sessionsCountedOnManyThreadsReplayToTheSameReport() throws Exception {
        String before;
        try (SessionJournal journal = SessionJournal.open(directory, Duration.ofDays(1))) {
            ExecutorService threads = Executors.newFixedThreadPool(4);
            CountDownLatch go = new CountDownLatch(1);
            try {
                List<Future<?>> done = new ArrayList<>();
                for (int t = 0; t < 4; t++) {
                    int thread = t;
                    done.add(threads.submit(() -> {
                        // All four at once, so that their sessions interleave around each bound.
                        go.await();
                        for (int i = thread; i < SESSIONS; i += 4) {
                            journal.failure(changingTlsa(i), changing(TYPES[i % TYPES.length], i), NOON.plusMillis(i));
                        }
                        return null;
                    }));
                }
                go.countDown();
                for (Future<?> each : done) {
                    each.get(60, TimeUnit.SECONDS);
                }
            } finally {
                threads.shutdownNow();
            }
            before = report(journal.counts());
        }

        try (SessionJournal reopened = SessionJournal.open(directory, Duration.ofDays(1))) {
            assertThat(reopened.skippedLines()).isZero();
            assertThat(report(reopened.counts())).isEqualTo(before);
        }
    }

    @Test
    void theJournalHoldsWhatWasCountedAndReplaysTheSameReport() throws IOException {
        String before;
        long counted = 0;
        try (SessionJournal journal = SessionJournal.open(directory, Duration.ofDays(1))) {
            for (int i = 0; i < SESSIONS; i++) {
                journal.failure(changingTlsa(i), changing(TYPES[i % TYPES.length], i), NOON.plusMillis(i));
            }
            before = report(journal.counts());
            for (PolicyResults results : journal.counts().of(DAY, DOMAIN).values()) {
                counted += 1 + results.failureDetails().size();
            }
        }
        long definitions;
        try (Stream<Path> files = Files.list(directory)) {
            Path file = files.filter(path -> path.toString().endsWith(".journal"))
                    .findFirst()
                    .orElseThrow();
            try (Stream<String> lines = Files.lines(file)) {
                definitions = lines.filter(line -> line.startsWith("P\t") || line.startsWith("D\t"))
                        .count();
            }
        }
        // Each policy and detail counted is defined once, and nothing else: a few hundred, where every
        // session brought a new policy and a new detail (10,000 without the bounds).
        assertThat(definitions).isEqualTo(counted);
        assertThat(counted)
                .isLessThanOrEqualTo(2L * (SessionCounts.MAX_POLICIES + PolicyResults.MAX_DETAILS + TYPES.length));

        try (SessionJournal reopened = SessionJournal.open(directory, Duration.ofDays(1))) {
            assertThat(reopened.skippedLines()).isZero();
            assertThat(report(reopened.counts())).isEqualTo(before);
        }
    }

    // A failure whose MX chose a new HELO name, address and reply this session, at one of 500 MX names.
    private static FailureDetail changing(ResultType type, int session) {
        return FailureDetail.builder(
                        type,
                        "192.0.2.10",
                        "mx" + (session % 500) + ".hostile.example",
                        "198.51.100." + (session % 250))
                .receivingMxHelo("helo-" + session + ".hostile.example")
                .failureReasonCode("reply " + session)
                .build();
    }

    // TLSA records that change at every lookup, for an MX host named anew each time.
    private static ReportedPolicy changingTlsa(int session) {
        return ReportedPolicy.tlsa(
                DOMAIN, "mx" + session + ".hostile.example", List.of("3 1 1 " + String.format("%064x", session)));
    }

    private static String report(SessionCounts counts) {
        return new TlsRptReport("org", "contact@sender.example", "id", DAY, counts.of(DAY, DOMAIN)).toJson();
    }
}
