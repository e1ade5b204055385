package dev.securedelivery.posture;

import static org.assertj.core.api.Assertions.assertThat;

import dev.securedelivery.delivery.FailureCause;
import dev.securedelivery.testing.TestClock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.SortedMap;
import org.junit.jupiter.api.Test;

/**
 * What every {@link PostureHistory} does, whoever keeps it (this node's files, a store the nodes
 * share): each implementation's test extends it. Counts are read back by day and domain at once and
 * after a restart, bounded in domains a day, kept with what the domain publishes, and days past the
 * retention go.
 */
public abstract class PostureHistoryContract {
    protected static final LocalDate DAY = LocalDate.parse("2026-03-10");
    protected static final Publication STS_ONLY =
            new Publication(Publication.Known.YES, Publication.Known.NO, Publication.Known.UNKNOWN);

    protected final TestClock clock = new TestClock(Instant.parse("2026-03-10T12:00:00Z"));

    /**
     * The history of {@code node}, {@code retentionDays} days and {@code maxDomainsPerDay} domains a
     * day, on {@link #clock}; a second call for the same node is that node started again.
     */
    protected abstract PostureHistory open(String node, int retentionDays, int maxDomainsPerDay) throws Exception;

    @Test
    public void countsAreReadBackAtOnceAndAfterARestart() throws Exception {
        try (PostureHistory history = open("one", 90, 100)) {
            history.delivered("a.example", Protection.DANE, Publication.UNKNOWN);
            history.delivered("a.example", Protection.DANE, Publication.UNKNOWN);
            history.delivered("b.example", Protection.MTA_STS, STS_ONLY);
            history.deferred("b.example", FailureCause.CONNECTION_OR_SMTP, STS_ONLY);
            history.bounced("c.example", FailureCause.STARTTLS_NOT_SUPPORTED, Publication.UNKNOWN);

            assertDay(history.between(DAY, DAY));
            assertThat(history.countsToday("a.example")).isTrue();
            assertThat(history.countsToday("z.example")).isFalse();
        }
        try (PostureHistory again = open("one", 90, 100)) {
            assertDay(again.between(DAY, DAY));
            assertThat(again.byNode(DAY, DAY)).isNotEmpty();
        }
    }

    private static void assertDay(SortedMap<LocalDate, SortedMap<String, DomainPosture>> days) {
        assertThat(days).containsOnlyKeys(DAY);
        SortedMap<String, DomainPosture> domains = days.get(DAY);
        assertThat(domains).containsOnlyKeys("a.example", "b.example", "c.example");
        assertThat(domains.get("a.example").delivered(Protection.DANE)).isEqualTo(2);
        assertThat(domains.get("b.example").deferred()).containsEntry(FailureCause.CONNECTION_OR_SMTP, 1L);
        assertThat(domains.get("b.example").publication()).isEqualTo(STS_ONLY);
        assertThat(domains.get("c.example").bounced()).containsEntry(FailureCause.STARTTLS_NOT_SUPPORTED, 1L);
    }

    @Test
    public void domainsBeyondTheDaysBoundAreCountedTogether() throws Exception {
        try (PostureHistory history = open("one", 90, 2)) {
            history.delivered("a.example", Protection.DANE, Publication.UNKNOWN);
            history.delivered("b.example", Protection.DANE, Publication.UNKNOWN);
            history.delivered("c.example", Protection.TLS, Publication.UNKNOWN);
            history.delivered("d.example", Protection.TLS, Publication.UNKNOWN);
            history.close();
            try (PostureHistory again = open("one", 90, 2)) {
                SortedMap<String, DomainPosture> domains =
                        again.between(DAY, DAY).get(DAY);
                assertThat(domains).containsOnlyKeys("a.example", "b.example", PostureStore.OTHER);
                assertThat(domains.get(PostureStore.OTHER).delivered(Protection.TLS))
                        .isEqualTo(2);
            }
        }
    }

    @Test
    public void whatADomainPublishesIsKeptWithItsCountsOfTheDay() throws Exception {
        try (PostureHistory history = open("one", 90, 100)) {
            history.delivered("a.example", Protection.TLS, Publication.UNKNOWN);
            history.published("a.example", Publication.ofTlsRpt(true));
            history.published("never-counted.example", Publication.ofTlsRpt(true));
            history.close();
            try (PostureHistory again = open("one", 90, 100)) {
                SortedMap<String, DomainPosture> domains =
                        again.between(DAY, DAY).get(DAY);
                assertThat(domains).containsOnlyKeys("a.example");
                assertThat(domains.get("a.example").publication().tlsRpt()).isEqualTo(Publication.Known.YES);
            }
        }
    }

    @Test
    public void daysPastTheRetentionGo() throws Exception {
        try (PostureHistory history = open("one", 2, 100)) {
            history.delivered("a.example", Protection.DANE, Publication.UNKNOWN);
            clock.advance(Duration.ofDays(1));
            history.delivered("a.example", Protection.DANE, Publication.UNKNOWN);
            clock.advance(Duration.ofDays(1));
            history.delivered("a.example", Protection.DANE, Publication.UNKNOWN);
            history.close();
            try (PostureHistory again = open("one", 2, 100)) {
                assertThat(again.between(DAY, DAY.plusDays(2))).containsOnlyKeys(DAY.plusDays(1), DAY.plusDays(2));
            }
        }
    }
}
