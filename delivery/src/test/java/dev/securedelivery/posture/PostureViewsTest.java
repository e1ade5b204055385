package dev.securedelivery.posture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.securedelivery.delivery.FailureCause;
import java.time.LocalDate;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class PostureViewsTest {
    private static final LocalDate DAY = LocalDate.parse("2026-03-10");

    private static SortedMap<LocalDate, SortedMap<String, DomainPosture>> history() {
        DomainPosture a = new DomainPosture();
        a.delivered(Protection.DANE, 2);
        a.deferred(FailureCause.CONNECTION_OR_SMTP, 1);
        a.deferred(FailureCause.STARTTLS_NOT_SUPPORTED, 3);
        a.published(new Publication(Publication.Known.NO, Publication.Known.YES, Publication.Known.UNKNOWN));
        DomainPosture other = new DomainPosture();
        other.delivered(Protection.PLAINTEXT, 1);
        other.bounced(FailureCause.NULL_MX, 1);
        SortedMap<String, DomainPosture> domains = new TreeMap<>(Map.of("a.example", a, PostureStore.OTHER, other));
        return new TreeMap<>(Map.of(DAY, domains));
    }

    @Test
    void theJsonViewGivesEachDaysTotalsByProtectionAndEachDomain() {
        Map<String, Object> view = PostureViews.history(PostureRange.of(DAY, DAY), history());

        assertThat(view.get("totals"))
                .isEqualTo(Map.of(
                        "delivered",
                        Map.of("dane", 2L, "mta-sts", 0L, "pkix", 0L, "tls", 0L, "plaintext", 1L),
                        "deferred",
                        Map.of("starttls-not-supported", 3L, "connection-or-smtp", 1L),
                        "bounced",
                        Map.of("null-mx", 1L)));
        List<?> days = (List<?>) view.get("days");
        Map<?, ?> day = (Map<?, ?>) days.get(0);
        assertThat(day.get("day")).isEqualTo("2026-03-10");
        Map<?, ?> domain = (Map<?, ?>) ((List<?>) day.get("domains")).get(1);
        assertThat(domain.get("domain")).isEqualTo("a.example");
        Map<String, Object> publishes = new TreeMap<>();
        publishes.put("mta-sts", false);
        publishes.put("dane", true);
        publishes.put("tls-rpt", null);
        assertThat(domain.get("publishes")).isEqualTo(publishes);
    }

    @Test
    void theCsvHasARowPerDayAndDomainWithCrlfLineEnds() {
        assertThat(PostureViews.csv(history(), null))
                .isEqualTo(PostureViews.CSV_HEADER + "\r\n"
                        + "2026-03-10,(other),,,,0,0,0,0,1,0,1,,null-mx=1\r\n"
                        + "2026-03-10,a.example,no,yes,,2,0,0,0,0,4,0,"
                        + "starttls-not-supported=3;connection-or-smtp=1,\r\n");
        assertThat(PostureViews.csv(history(), "a.example")).doesNotContain("(other)");
    }

    @Test
    void csvFieldsAreQuotedWhereRfc4180AsksIt() {
        assertThat(PostureViews.csvField("plain")).isEqualTo("plain");
        assertThat(PostureViews.csvField("a,b")).isEqualTo("\"a,b\"");
        assertThat(PostureViews.csvField("say \"hi\"")).isEqualTo("\"say \"\"hi\"\"\"");
        assertThat(PostureViews.csvField("two\r\nlines")).isEqualTo("\"two\r\nlines\"");
    }

    @Test
    void aRangeIsReadStrictlyAndBadOnesAreNamed() {
        LocalDate today = LocalDate.parse("2026-03-31");
        PostureRange range = PostureRange.parse(null, null, today);
        assertThat(range.from()).isEqualTo(LocalDate.parse("2026-03-02"));
        assertThat(range.to()).isEqualTo(today);
        assertThat(PostureRange.parse("2026-03-01", "2026-03-01", today).from()).isEqualTo("2026-03-01");
        assertThatThrownBy(() -> PostureRange.parse("2026-02-30", null, today))
                .hasMessage("from: expected a day as YYYY-MM-DD, such as 2026-01-31, got \"2026-02-30\"");
        assertThatThrownBy(() -> PostureRange.parse(null, "31.03.2026", today))
                .hasMessage("to: expected a day as YYYY-MM-DD, such as 2026-01-31, got \"31.03.2026\"");
        // Far years are refused before any arithmetic on them could overflow.
        assertThatThrownBy(() -> PostureRange.parse(null, "+999999999-12-31", today))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("to is outside the years 1970 to 9999: +999999999-12-31");
        assertThatThrownBy(() -> PostureRange.parse("1969-12-31", null, today))
                .hasMessage("from is outside the years 1970 to 9999: 1969-12-31");
        assertThat(ChronoUnit.DAYS.between(
                                PostureRange.parse("2016-02-25", "2026-03-03", today)
                                        .from(),
                                LocalDate.parse("2026-03-03"))
                        + 1)
                .isEqualTo(PostureRange.MAX_DAYS);
        assertThatThrownBy(() -> PostureRange.parse("2016-02-24", "2026-03-03", today))
                .hasMessage("from (2016-02-24) to (2026-03-03) is 3661 days, more than 3660");
        assertThatThrownBy(() -> PostureRange.parse("2026-03-05", "2026-03-04", today))
                .hasMessage("from (2026-03-05) is after to (2026-03-04)");
        assertThatThrownBy(() -> PostureRange.parse("x\n\u0007", null, today))
                .hasMessage("from: expected a day as YYYY-MM-DD, such as 2026-01-31, got \"x\"");
        // An empty value (an unset shell variable) is no date, not the default.
        assertThatThrownBy(() -> PostureRange.parse("", null, today))
                .hasMessage("from: expected a day as YYYY-MM-DD, such as 2026-01-31, got \"\"");
        assertThatThrownBy(() -> PostureRange.parse("1990-01-01", "2026-01-01", today))
                .hasMessage("from (1990-01-01) to (2026-01-01) is 13150 days, more than 3660");
    }
}
