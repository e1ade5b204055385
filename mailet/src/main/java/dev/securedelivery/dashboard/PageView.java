package dev.securedelivery.dashboard;

import dev.securedelivery.posture.Protection;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The whole page as {@code dashboard.mustache} reads it, by field name: the header's and footer's
 * texts, the summary cards, and a view of each section. Every string here is written escaped by the
 * template engine, but for {@link #style()}, our own constant stylesheet. A section with nothing to show
 * is null, and the template says so instead.
 */
final class PageView {
    static final DateTimeFormatter MINUTE =
            DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm", Locale.ROOT).withZone(ZoneOffset.UTC);

    final String node;
    final String from;
    final String to;
    /** "2026-11-01 to 2026-11-30". */
    final String period;
    /** "30 days", "1 day". */
    final String dayCount;
    /** "2026-12-01 06:30" (UTC). */
    final String generated;
    /** Where the figures come from, or null. */
    final String sourceNote;

    final List<Level> levels;
    final List<SummaryCard> cards;
    final ShareChart chart;
    final DayTable dayTable;
    final DomainTable domains;
    final FailureTable failures;
    final InboundTable inbound;
    final WaitingTable waiting;
    final OwnDomainsTable ownDomains;

    PageView(DashboardData data) {
        this.node = data.node();
        this.from = data.from().toString();
        this.to = data.to().toString();
        this.period = from + " to " + to;
        long days = ChronoUnit.DAYS.between(data.from(), data.to()) + 1;
        this.dayCount = days + (days == 1 ? " day" : " days");
        this.generated = MINUTE.format(data.generatedAt());
        this.sourceNote = data.sourceNote().orElse(null);
        List<Level> levels = new ArrayList<>();
        for (Protection protection : Protection.values()) {
            levels.add(new Level(protection));
        }
        this.levels = List.copyOf(levels);
        this.cards = SummaryCard.of(data.total());
        this.chart = ShareChart.of(data);
        this.dayTable = DayTable.of(data);
        this.domains = DomainTable.of(data.domains());
        this.failures = FailureTable.of(data.failures());
        this.inbound = InboundTable.of(data.inboundReports());
        this.waiting = WaitingTable.of(data.waiting());
        this.ownDomains = OwnDomainsTable.of(data.ownDomains());
    }

    /** The page's own Content-Security-Policy, repeated in a {@code <meta>} element. */
    String csp() {
        return DashboardPage.CONTENT_SECURITY_POLICY;
    }

    /** The stylesheet, the one text written unescaped ({@code {{{style}}}}). */
    String style() {
        return DashboardStyle.CSS;
    }

    /** A protection level in the legend and the tables' headers: {@code dane}, "DANE". */
    static final class Level {
        final String label;
        final String name;

        Level(Protection protection) {
            this.label = protection.label();
            this.name = protection.displayName();
        }
    }
}
