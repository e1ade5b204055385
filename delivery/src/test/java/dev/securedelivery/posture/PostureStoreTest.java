package dev.securedelivery.posture;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.securedelivery.delivery.FailureCause;
import dev.securedelivery.testing.TestClock;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

class PostureStoreTest {
    private static final LocalDate DAY = LocalDate.parse("2026-03-10");
    private static final Publication STS_ONLY =
            new Publication(Publication.Known.YES, Publication.Known.NO, Publication.Known.UNKNOWN);

    @TempDir
    Path directory;

    private final TestClock clock = new TestClock(Instant.parse("2026-03-10T12:00:00Z"));
    private final ListAppender<ILoggingEvent> log = new ListAppender<>();
    // The posture package's loggers: the store's and its files'.
    private final Logger logger = (Logger) LoggerFactory.getLogger(PostureStore.class.getPackageName());

    @BeforeEach
    void captureLog() {
        log.start();
        logger.addAppender(log);
    }

    @AfterEach
    void releaseLog() {
        logger.detachAppender(log);
    }

    @Test
    void aRestartKeepsEveryCount() throws IOException {
        try (PostureStore store = PostureStore.open(directory, 90, 100, clock)) {
            store.delivered("a.example", Protection.DANE, Publication.UNKNOWN);
            store.delivered("a.example", Protection.DANE, Publication.UNKNOWN);
            store.delivered("b.example", Protection.MTA_STS, STS_ONLY);
            store.deferred("b.example", FailureCause.CONNECTION_OR_SMTP, STS_ONLY);
            store.bounced("c.example", FailureCause.STARTTLS_NOT_SUPPORTED, Publication.UNKNOWN);
        }

        try (PostureStore store = PostureStore.open(directory, 90, 100, clock)) {
            SortedMap<String, DomainPosture> day = store.between(DAY, DAY).get(DAY);
            assertThat(day.get("a.example").delivered()).isEqualTo(Map.of(Protection.DANE, 2L));
            assertThat(day.get("b.example").delivered()).isEqualTo(Map.of(Protection.MTA_STS, 1L));
            assertThat(day.get("b.example").deferred()).isEqualTo(Map.of(FailureCause.CONNECTION_OR_SMTP, 1L));
            assertThat(day.get("b.example").publication()).isEqualTo(STS_ONLY);
            assertThat(day.get("c.example").bounced()).isEqualTo(Map.of(FailureCause.STARTTLS_NOT_SUPPORTED, 1L));
            store.delivered("a.example", Protection.TLS, Publication.UNKNOWN);
        }

        try (PostureStore store = PostureStore.open(directory, 90, 100, clock)) {
            assertThat(store.between(DAY, DAY).get(DAY).get("a.example").delivered())
                    .isEqualTo(Map.of(Protection.DANE, 2L, Protection.TLS, 1L));
            assertThat(store.skippedLines()).isZero();
        }
    }

    @Test
    void countsGoToTheDayTheyHappenedOn() throws IOException {
        try (PostureStore store = PostureStore.open(directory, 90, 100, clock)) {
            store.delivered("a.example", Protection.PKIX, Publication.UNKNOWN);
            clock.advance(Duration.ofHours(12));
            store.delivered("a.example", Protection.PLAINTEXT, Publication.UNKNOWN);
            assertThat(store.between(DAY, DAY.plusDays(1)).keySet()).containsExactly(DAY, DAY.plusDays(1));
        }
        assertThat(Files.exists(directory.resolve("2026-03-10.posture"))).isTrue();
        assertThat(Files.exists(directory.resolve("2026-03-11.posture"))).isTrue();
    }

    @Test
    void retentionForgetsOldDaysInMemoryAndOnDisk() throws IOException {
        try (PostureStore store = PostureStore.open(directory, 3, 100, clock)) {
            store.delivered("a.example", Protection.DANE, Publication.UNKNOWN);
            clock.advance(Duration.ofDays(2));
            store.delivered("a.example", Protection.TLS, Publication.UNKNOWN);
            store.flush();
            // Day 1 is the third day back, today included: still kept.
            assertThat(store.between(DAY, DAY.plusDays(5)).keySet()).containsExactly(DAY, DAY.plusDays(2));
            clock.advance(Duration.ofDays(1));
            store.flush();
            assertThat(store.between(DAY, DAY.plusDays(5)).keySet()).containsExactly(DAY.plusDays(2));
        }
        assertThat(Files.exists(directory.resolve("2026-03-10.posture"))).isFalse();
        assertThat(Files.exists(directory.resolve("2026-03-12.posture"))).isTrue();

        // A day past retention left on disk (James stopped for a week) is deleted at start.
        clock.advance(Duration.ofDays(7));
        try (PostureStore store = PostureStore.open(directory, 3, 100, clock)) {
            assertThat(store.between(DAY, DAY.plusDays(30))).isEmpty();
        }
        assertThat(Files.exists(directory.resolve("2026-03-12.posture"))).isFalse();
    }

    @Test
    void domainsBeyondTheDailyCapShareTheOtherBucket() throws IOException {
        try (PostureStore store = PostureStore.open(directory, 90, 2, clock)) {
            store.delivered("a.example", Protection.DANE, Publication.UNKNOWN);
            store.delivered("b.example", Protection.DANE, Publication.UNKNOWN);
            store.delivered("c.example", Protection.TLS, STS_ONLY);
            store.bounced("d.example", FailureCause.NULL_MX, Publication.UNKNOWN);
            // A domain counted before the cap keeps its own line.
            store.delivered("a.example", Protection.DANE, Publication.UNKNOWN);
        }
        try (PostureStore store = PostureStore.open(directory, 90, 2, clock)) {
            SortedMap<String, DomainPosture> day = store.between(DAY, DAY).get(DAY);
            assertThat(day.keySet()).containsExactly(PostureStore.OTHER, "a.example", "b.example");
            assertThat(day.get("a.example").delivered()).isEqualTo(Map.of(Protection.DANE, 2L));
            assertThat(day.get(PostureStore.OTHER).delivered()).isEqualTo(Map.of(Protection.TLS, 1L));
            assertThat(day.get(PostureStore.OTHER).bounced()).isEqualTo(Map.of(FailureCause.NULL_MX, 1L));
            assertThat(day.get(PostureStore.OTHER).publication()).isEqualTo(Publication.UNKNOWN);
        }
        // Opened with a lower cap, the day's extra domains join the bucket.
        try (PostureStore store = PostureStore.open(directory, 90, 1, clock)) {
            SortedMap<String, DomainPosture> day = store.between(DAY, DAY).get(DAY);
            assertThat(day.keySet()).containsExactly(PostureStore.OTHER, "a.example");
            assertThat(day.get(PostureStore.OTHER).delivered())
                    .isEqualTo(Map.of(Protection.DANE, 1L, Protection.TLS, 1L));
        }
    }

    @Test
    void garbledLinesAreSkippedWithALogLineAndTheRestIsCounted() throws IOException {
        Files.write(
                directory.resolve("2026-03-10.posture"),
                String.join(
                                "\n",
                                PostureFiles.HEADER,
                                "a.example\t???\tdelivered.dane=3",
                                "b.example\t???\tdelivered.quantum=3",
                                "NOT A DOMAIN\t???\tdelivered.dane=3",
                                "c.example\t1x0\tdelivered.dane=3",
                                "d.example\t???\tdelivered.dane=-4",
                                "e.example\t???\tdelivered.tls=" + "9".repeat(30),
                                "f.example\t???\tdelivered.tls=1\t" + "x".repeat(PostureStore.MAX_LINE_CHARS),
                                "g.example\t0?1\tbounced.null-mx=2",
                                "")
                        .getBytes(StandardCharsets.UTF_8));
        try (PostureStore store = PostureStore.open(directory, 90, 100, clock)) {
            SortedMap<String, DomainPosture> day = store.between(DAY, DAY).get(DAY);
            assertThat(day.keySet()).containsExactly("a.example", "g.example");
            assertThat(day.get("g.example").bounced()).isEqualTo(Map.of(FailureCause.NULL_MX, 2L));
            assertThat(day.get("g.example").publication().tlsRpt()).isEqualTo(Publication.Known.YES);
            assertThat(store.skippedLines()).isEqualTo(6);
        }
        assertThat(messages(Level.WARN))
                .anySatisfy(message -> assertThat(message)
                        .contains("6 line(s) of posture file")
                        .contains("2026-03-10.posture"));
    }

    @Test
    void aFileWithoutItsFirstLineIsSetAsideAndItsDayStartsAnew() throws IOException {
        Path file = directory.resolve("2026-03-10.posture");
        Files.write(file, new byte[] {0, 1, 2, (byte) 0xff, '\n', 'x'});
        try (PostureStore store = PostureStore.open(directory, 90, 100, clock)) {
            assertThat(store.between(DAY, DAY)).isEmpty();
            assertThat(store.skippedLines()).isEqualTo(1);
            store.delivered("a.example", Protection.DANE, Publication.UNKNOWN);
        }
        assertThat(Files.readAllBytes(directory.resolve("2026-03-10.posture.unreadable")))
                .isEqualTo(new byte[] {0, 1, 2, (byte) 0xff, '\n', 'x'});
        assertThat(messages(Level.ERROR))
                .anySatisfy(message -> assertThat(message)
                        .contains("2026-03-10.posture")
                        .contains("set aside as 2026-03-10.posture.unreadable"));
        try (PostureStore store = PostureStore.open(directory, 90, 100, clock)) {
            assertThat(store.between(DAY, DAY).get(DAY).get("a.example").delivered())
                    .isEqualTo(Map.of(Protection.DANE, 1L));
        }
    }

    @Test
    void aWriteCutShortLeavesTheLastWholeFile() throws IOException {
        try (PostureStore store = PostureStore.open(directory, 90, 100, clock)) {
            store.delivered("a.example", Protection.DANE, Publication.UNKNOWN);
        }
        // A crash between writing the temporary file and renaming it.
        Files.writeString(directory.resolve("2026-03-10.posture.tmp"), PostureFiles.HEADER + "\na.exa");
        try (PostureStore store = PostureStore.open(directory, 90, 100, clock)) {
            assertThat(store.between(DAY, DAY).get(DAY).get("a.example").delivered())
                    .isEqualTo(Map.of(Protection.DANE, 1L));
            assertThat(store.skippedLines()).isZero();
        }
        assertThat(Files.exists(directory.resolve("2026-03-10.posture.tmp"))).isFalse();
    }

    @Test
    void aReadOnlyStoreChangesNothingOnDisk() throws IOException {
        try (PostureStore store = PostureStore.open(directory, 90, 100, clock)) {
            store.delivered("a.example", Protection.DANE, Publication.UNKNOWN);
        }
        Files.write(directory.resolve("2026-03-09.posture"), new byte[] {'x'});
        // A write cut short, and a day past a 90-day retention: a writable store would remove both.
        Files.writeString(directory.resolve("2026-03-10.posture.tmp"), PostureFiles.HEADER + "\na.exa");
        Files.writeString(directory.resolve("2025-01-01.posture"), PostureFiles.HEADER + "\n");
        clock.advance(Duration.ofDays(200));
        try (PostureStore store = PostureStore.readOnly(directory, 90, 100, clock)) {
            assertThat(store.between(DAY, DAY)).isEmpty();
        }
        try (PostureStore store = PostureStore.readOnly(directory, 365, 100, clock)) {
            assertThat(store.between(DAY, DAY).get(DAY).get("a.example").totalDelivered())
                    .isEqualTo(1);
            store.delivered("b.example", Protection.DANE, Publication.UNKNOWN);
        }
        try (Stream<Path> files = Files.list(directory)) {
            assertThat(files.map(path -> path.getFileName().toString()).collect(Collectors.toSet()))
                    .containsExactlyInAnyOrder(
                            "2026-03-10.posture", "2026-03-09.posture", "2026-03-10.posture.tmp", "2025-01-01.posture");
        }
        assertThat(PostureStore.readOnly(directory.resolve("missing"), 90, 100, clock)
                        .between(DAY, DAY))
                .isEmpty();
    }

    private List<String> messages(Level level) {
        return log.list.stream()
                .filter(event -> event.getLevel() == level)
                .map(ILoggingEvent::getFormattedMessage)
                .collect(Collectors.toList());
    }
}
