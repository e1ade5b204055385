package dev.securedelivery.tlsrpt;

import static org.assertj.core.api.Assertions.assertThat;

import dev.securedelivery.testing.TlsReportSchema;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
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
        // A fourth result type, first seen past every bound, still gets its own detail.
        counts.failure(STS, changing(ResultType.VALIDATION_FAILURE, SESSIONS), NOON.plusSeconds(60));
        expectedByType.merge(ResultType.VALIDATION_FAILURE.reportName(), 1L, Long::sum);

        PolicyResults results = counts.of(DAY, DOMAIN).get(STS);
        Map<FailureDetail, Long> details = results.failureDetails();
        assertThat(details.size()).isLessThanOrEqualTo(PolicyResults.MAX_DETAILS + 1);
        assertThat(results.failedSessions()).isEqualTo(SESSIONS + 1);
        Map<String, Long> byType = new TreeMap<>();
        details.forEach((detail, count) -> byType.merge(detail.resultType(), count, Long::sum));
        assertThat(byType).isEqualTo(expectedByType);
        // The first kinds keep every field; the later ones only what bounds them.
        List<FailureDetail> listed = List.copyOf(details.keySet());
        assertThat(listed.get(PolicyResults.MAX_FULL_DETAILS - 1).receivingMxHelo())
                .isNotNull();
        assertThat(listed.get(PolicyResults.MAX_FULL_DETAILS).receivingMxHelo()).isNull();
        assertThat(listed.get(PolicyResults.MAX_FULL_DETAILS).receivingIp()).isNull();
        assertThat(listed.get(PolicyResults.MAX_FULL_DETAILS).failureReasonCode())
                .isNull();

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
        assertThat(policies.size()).isLessThanOrEqualTo(SessionCounts.MAX_POLICIES + 1);
        assertThat(policies.values().stream()
                        .mapToLong(PolicyResults::successfulSessions)
                        .sum())
                .isEqualTo(SESSIONS + 1);
        List<ReportedPolicy> listed = List.copyOf(policies.keySet());
        assertThat(listed.get(SessionCounts.MAX_FULL_POLICIES - 1).policyStrings())
                .isNotEmpty();
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

    // A failure whose MX chose a new HELO name, address and reply this session.
    private static FailureDetail changing(ResultType type, int session) {
        return FailureDetail.builder(type, "192.0.2.10", "mx.hostile.example", "198.51.100." + (session % 250))
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
