package dev.securedelivery.tlsrpt;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SessionJournalTest {
    private static final Instant NOON = Instant.parse("2026-11-21T12:00:00Z");
    private static final ReportPeriod DAY = ReportPeriod.dayOf(NOON);
    private static final ReportedPolicy STS = ReportedPolicy.sts("recipient.example",
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
            journal.failure(STS, FailureDetail.builder(ResultType.STARTTLS_NOT_SUPPORTED, "192.0.2.10",
                    "mx.recipient.example", "203.0.113.5").receivingMxHelo("mx, with; odd\tchars")
                    .additionalInformation("50% + ~ unicode é").build(), NOON.plusSeconds(2));
            journal.success(ReportedPolicy.tlsa("recipient.example", "mx.recipient.example",
                    List.of("3 1 1 aa", "2 0 1 bb")), NOON.plusSeconds(3));
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
            Files.writeString(file, "F\t1795348443060\tSTS\trecipient", StandardCharsets.UTF_8, StandardOpenOption.APPEND);
        }

        try (SessionJournal reopened = SessionJournal.open(directory, Duration.ofDays(1))) {
            assertThat(reopened.skippedLines()).isEqualTo(1);
            assertThat(reopened.counts().of(DAY, "recipient.example").get(STS).successfulSessions()).isEqualTo(1);
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
            assertThat(hourly.counts().periods()).containsExactly(noonHour,
                    ReportPeriod.containing(NOON.plus(Duration.ofHours(2)), Duration.ofHours(1)));
            hourly.forget(noonHour);
        }

        try (SessionJournal again = SessionJournal.open(directory, Duration.ofHours(1))) {
            assertThat(again.counts().periods()).as("the noon hour was reported: never again")
                    .containsExactly(ReportPeriod.containing(NOON.plus(Duration.ofHours(2)), Duration.ofHours(1)));
        }
    }

    @Test
    void aReportSoFarEndsWithTheCurrentSecond() {
        ReportPeriod day = ReportPeriod.dayOf(NOON);

        assertThat(day.upTo(NOON.plusMillis(300)).lastSecond()).isEqualTo(NOON);
        assertThat(day.upTo(NOON).start()).isEqualTo(day.start());
        assertThat(day.upTo(day.end().plusSeconds(5)).lastSecond()).as("never past the period").isEqualTo(
                day.lastSecond());
    }

    private static String report(SessionCounts counts) {
        return new TlsRptReport("org", "contact@sender.example", "id", DAY, counts.of(DAY, "recipient.example")).toJson();
    }
}
