package dev.securedelivery.tlsrpt;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SessionJournalTest {
    private static final Instant NOON = Instant.parse("2026-11-21T12:00:00Z");
    private static final ReportPeriod DAY = ReportPeriod.dayOf(NOON);
    private static final ReportedPolicy STS = ReportedPolicy.sts(
            "recipient.example",
            "version: STSv1\nmode: enforce\nmx: mx.recipient.example\nmax_age: 86400\n",
            List.of("mx.recipient.example"));

    @TempDir
    Path directory;

    @Test
    void aRestartLosesNothingOfTheDay() throws Exception {
        String before;
        try (SessionJournal journal = SessionJournal.open(directory, Duration.ofDays(1))) {
            journal.success(STS, NOON);
            journal.success(ReportedPolicy.noPolicyFound("recipient.example"), NOON.plusSeconds(1));
            journal.failure(
                    STS,
                    FailureDetail.builder(
                                    ResultType.STARTTLS_NOT_SUPPORTED,
                                    "192.0.2.10",
                                    "mx.recipient.example",
                                    "203.0.113.5")
                            .receivingMxHelo("mx, with; odd\tchars")
                            .additionalInformation("50% + ~ unicode é")
                            .build(),
                    NOON.plusSeconds(2));
            journal.success(
                    ReportedPolicy.tlsa("recipient.example", "mx.recipient.example", List.of("3 1 1 aa", "2 0 1 bb")),
                    NOON.plusSeconds(3));
            before = report(journal.counts());
        }

        try (SessionJournal reopened = SessionJournal.open(directory, Duration.ofDays(1))) {
            assertThat(report(reopened.counts())).isEqualTo(before);
            assertThat(reopened.skippedLines()).isZero();
            assertThat(reopened.counts().of(DAY, "recipient.example")).hasSize(3);
        }
    }

    @Test
    void aLineCutByACrashIsSkippedAndTheRestKept() throws Exception {
        try (SessionJournal journal = SessionJournal.open(directory, Duration.ofDays(1))) {
            journal.success(STS, NOON);
        }
        try (var files = Files.list(directory)) {
            Path file = files.findFirst().orElseThrow();
            Files.writeString(
                    file, "F\t1795348443060\tSTS\trecipient", StandardCharsets.UTF_8, StandardOpenOption.APPEND);
        }

        try (SessionJournal reopened = SessionJournal.open(directory, Duration.ofDays(1))) {
            assertThat(reopened.skippedLines()).isEqualTo(1);
            assertThat(reopened.counts().of(DAY, "recipient.example").get(STS).successfulSessions())
                    .isEqualTo(1);
        }
    }

    @Test
    void aLineCutByACrashIsEndedSoThatTheNextSessionAppendedIsReadBack() throws Exception {
        try (SessionJournal journal = SessionJournal.open(directory, Duration.ofDays(1))) {
            journal.success(STS, NOON);
        }
        Path file = onlyJournal();
        Files.writeString(file, "s\t17953484", StandardCharsets.UTF_8, StandardOpenOption.APPEND);
        try (SessionJournal reopened = SessionJournal.open(directory, Duration.ofDays(1))) {
            assertThat(reopened.skippedLines()).isEqualTo(1);
            reopened.success(ReportedPolicy.noPolicyFound("other.example"), NOON.plusSeconds(1));
        }

        try (SessionJournal again = SessionJournal.open(directory, Duration.ofDays(1))) {
            assertThat(again.skippedLines()).as("only the cut line").isEqualTo(1);
            assertThat(again.counts().of(DAY, "other.example")).hasSize(1);
            assertThat(again.counts().of(DAY, "recipient.example").get(STS).successfulSessions())
                    .isEqualTo(1);
        }
    }

    @Test
    void aPolicyIsWrittenOnceAPeriodAndEachSessionIsAShortLineNamingIt() throws Exception {
        // An MTA-STS policy of 64 KiB: mostly mx lines, the hosts a session may be excluded from.
        List<String> mxPatterns = new ArrayList<>();
        StringBuilder text = new StringBuilder("version: STSv1\nmode: enforce\nmax_age: 86400\n");
        for (int i = 0; text.length() < 64 * 1024 - 40; i++) {
            String mx = "mx" + i + ".excluded-hosts.recipient.example";
            mxPatterns.add(mx);
            text.append("mx: ").append(mx).append('\n');
        }
        ReportedPolicy large = ReportedPolicy.sts("recipient.example", text.toString(), mxPatterns);
        FailureDetail excluded = FailureDetail.builder(
                        ResultType.VALIDATION_FAILURE, "192.0.2.10", "mx.elsewhere.example", null)
                .failureReasonCode("the MX is not in the policy")
                .build();
        long firstSession;
        try (SessionJournal journal = SessionJournal.open(directory, Duration.ofDays(1))) {
            journal.failure(large, excluded, NOON);
        }
        firstSession = Files.size(onlyJournal());
        assertThat(firstSession).as("the policy itself is in the journal").isGreaterThan(64 * 1024);

        int sessions = 1000;
        try (SessionJournal journal = SessionJournal.open(directory, Duration.ofDays(1))) {
            for (int i = 1; i <= sessions; i++) {
                if (i % 2 == 0) {
                    journal.success(large, NOON.plusMillis(i));
                } else {
                    journal.failure(large, excluded, NOON.plusMillis(i));
                }
            }
        }

        long perSession = (Files.size(onlyJournal()) - firstSession) / sessions;
        assertThat(perSession)
                .as("bytes a session adds, whatever its policy's size")
                .isLessThanOrEqualTo(32);
        try (SessionJournal reopened = SessionJournal.open(directory, Duration.ofDays(1))) {
            assertThat(reopened.skippedLines()).isZero();
            PolicyResults results =
                    reopened.counts().of(DAY, "recipient.example").get(large);
            assertThat(results.successfulSessions()).isEqualTo(500);
            assertThat(results.failedSessions()).isEqualTo(501);
            assertThat(results.failureDetails()).containsEntry(excluded, 501L);
        }
    }

    @Test
    void aJournalOfTheEarlierFormatIsReplayedAndAppendedTo() throws Exception {
        Path file = directory.resolve("2026-11-21T00-00-00Z.journal");
        long at = NOON.toEpochMilli();
        Files.writeString(
                file,
                "S\t" + at + "\tSTS\trecipient.example\tversion%3A+STSv1,mode%3A+enforce,"
                        + "mx%3A+mx.recipient.example,max_age%3A+86400\tmx.recipient.example\n"
                        + "F\t" + (at + 1) + "\tSTS\trecipient.example\tversion%3A+STSv1,mode%3A+enforce,"
                        + "mx%3A+mx.recipient.example,max_age%3A+86400\tmx.recipient.example\tstarttls-not-supported"
                        + "\t192.0.2.10\tmx.recipient.example\t~\t203.0.113.5\t~\t~\n",
                StandardCharsets.UTF_8);

        try (SessionJournal journal = SessionJournal.open(directory, Duration.ofDays(1))) {
            assertThat(journal.skippedLines()).isZero();
            journal.success(STS, NOON.plusSeconds(5));
        }

        try (SessionJournal reopened = SessionJournal.open(directory, Duration.ofDays(1))) {
            assertThat(reopened.skippedLines()).isZero();
            PolicyResults results =
                    reopened.counts().of(DAY, "recipient.example").get(STS);
            assertThat(results.successfulSessions()).isEqualTo(2);
            assertThat(results.failureDetails())
                    .containsEntry(
                            FailureDetail.builder(
                                            ResultType.STARTTLS_NOT_SUPPORTED,
                                            "192.0.2.10",
                                            "mx.recipient.example",
                                            "203.0.113.5")
                                    .build(),
                            1L);
        }
    }

    @Test
    void aLineOverTheLimitIsSkippedUnreadAndCountedAndSoAreTheSessionsNamingWhatItDefined() throws Exception {
        try (SessionJournal journal = SessionJournal.open(directory, Duration.ofDays(1))) {
            journal.success(STS, NOON);
        }
        Path file = onlyJournal();
        char[] garbage = new char[SessionJournal.MAX_LINE_CHARS + 10];
        Arrays.fill(garbage, 'x');
        long at = NOON.toEpochMilli();
        Files.writeString(
                file,
                "P\t7\tSTS\tlarge.example\t" + new String(garbage) + "\t\n" + "s\t" + at + "\t7\ns\t" + at + "\t1\n",
                StandardCharsets.UTF_8,
                StandardOpenOption.APPEND);

        try (SessionJournal reopened = SessionJournal.open(directory, Duration.ofDays(1))) {
            assertThat(reopened.skippedLines())
                    .as("the long line and the session naming policy 7")
                    .isEqualTo(2);
            assertThat(reopened.counts().of(DAY, "large.example")).isEmpty();
            assertThat(reopened.counts().of(DAY, "recipient.example").get(STS).successfulSessions())
                    .isEqualTo(2);
        }
    }

    @Test
    void aPeriodWhoseReportsAreOutIsForgottenOnDiskToo() throws Exception {
        try (SessionJournal journal = SessionJournal.open(directory, Duration.ofDays(1))) {
            journal.success(STS, NOON);
            journal.success(STS, NOON.plus(Duration.ofDays(1)));
            // Let the writer catch up before the file is removed.
            journal.close();
            journal.forget(DAY);
        }

        try (SessionJournal reopened = SessionJournal.open(directory, Duration.ofDays(1))) {
            assertThat(reopened.counts().of(DAY, "recipient.example")).isEmpty();
            assertThat(reopened.counts().of(DAY.next(), "recipient.example")).hasSize(1);
        }
    }

    @Test
    void aJournalWrittenWithAnotherPeriodLengthIsSplitSoThatAForgottenPeriodStaysForgotten() throws Exception {
        try (SessionJournal daily = SessionJournal.open(directory, Duration.ofDays(1))) {
            daily.success(STS, NOON);
            daily.success(STS, NOON.plus(Duration.ofHours(2)));
        }

        ReportPeriod noonHour = ReportPeriod.containing(NOON, Duration.ofHours(1));
        try (SessionJournal hourly = SessionJournal.open(directory, Duration.ofHours(1))) {
            assertThat(hourly.counts().periods())
                    .containsExactly(
                            noonHour, ReportPeriod.containing(NOON.plus(Duration.ofHours(2)), Duration.ofHours(1)));
            hourly.forget(noonHour);
        }

        try (SessionJournal again = SessionJournal.open(directory, Duration.ofHours(1))) {
            assertThat(again.counts().periods())
                    .as("the noon hour was reported: never again")
                    .containsExactly(ReportPeriod.containing(NOON.plus(Duration.ofHours(2)), Duration.ofHours(1)));
        }
    }

    @Test
    void aReportSoFarEndsWithTheCurrentSecond() {
        ReportPeriod day = ReportPeriod.dayOf(NOON);

        assertThat(day.upTo(NOON.plusMillis(300)).lastSecond()).isEqualTo(NOON);
        assertThat(day.upTo(NOON).start()).isEqualTo(day.start());
        assertThat(day.upTo(day.end().plusSeconds(5)).lastSecond())
                .as("never past the period")
                .isEqualTo(day.lastSecond());
    }

    private Path onlyJournal() throws IOException {
        try (Stream<Path> files = Files.list(directory)) {
            List<Path> journals = files.collect(Collectors.toList());
            assertThat(journals).hasSize(1);
            return journals.get(0);
        }
    }

    private static String report(SessionCounts counts) {
        return new TlsRptReport("org", "contact@sender.example", "id", DAY, counts.of(DAY, "recipient.example"))
                .toJson();
    }
}
