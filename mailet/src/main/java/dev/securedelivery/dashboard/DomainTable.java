package dev.securedelivery.dashboard;

import dev.securedelivery.posture.Protection;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The busiest destination domains ({@code #domain-table}): per domain its figures, a small bar of its
 * delivered mail by protection, and what it publishes. At most {@link DashboardPage#MAX_DOMAINS}
 * rows. The template reads the fields by name.
 */
final class DomainTable {
    final List<Row> rows;
    /** "3 more domains not shown.", or null. */
    final String more;

    private DomainTable(List<Row> rows, String more) {
        this.rows = rows;
        this.more = more;
    }

    /** The table of {@code domains}, or null if there is none (the page says so instead). */
    static DomainTable of(List<DashboardData.Domain> domains) {
        if (domains.isEmpty()) {
            return null;
        }
        List<Row> rows = new ArrayList<>();
        for (DashboardData.Domain domain : domains.subList(0, Math.min(domains.size(), DashboardPage.MAX_DOMAINS))) {
            rows.add(new Row(domain));
        }
        return new DomainTable(
                List.copyOf(rows), DashboardPage.notShown(domains.size(), DashboardPage.MAX_DOMAINS, "domains"));
    }

    /** One domain: {@code <tr data-domain=...>}. */
    static final class Row {
        final String name;
        final CountCell delivered;
        final MiniBar bar;
        final List<CountCell> protections;
        final CountCell deferred;
        final CountCell bounced;
        final List<Badge> badges;

        Row(DashboardData.Domain domain) {
            this.name = domain.name();
            this.delivered = CountCell.of("delivered", domain.delivered().total());
            this.bar = new MiniBar(domain.name(), domain.delivered());
            List<CountCell> protections = new ArrayList<>();
            for (Protection protection : Protection.values()) {
                protections.add(CountCell.of(protection, domain.delivered().get(protection)));
            }
            this.protections = List.copyOf(protections);
            this.deferred = CountCell.of("deferred", domain.deferred());
            this.bounced = CountCell.of("bounced", domain.bounced());
            List<Badge> badges = new ArrayList<>();
            for (PublishedStandard publication : PublishedStandard.values()) {
                badges.add(new Badge(publication, domain.publishes(publication)));
            }
            this.badges = List.copyOf(badges);
        }
    }

    /** A domain's delivered mail by protection, left to right in a bar 100 wide. */
    static final class MiniBar {
        /** "gmail.com: MTA-STS 98.7%, TLS only 1.3%", or "...: nothing delivered". */
        final String title;

        final boolean empty;
        final List<Segment> segments;

        MiniBar(String domain, ProtectionCounts counts) {
            long total = counts.total();
            this.empty = total == 0;
            List<String> shares = new ArrayList<>();
            List<Segment> segments = new ArrayList<>();
            long cumulative = 0;
            for (Protection protection : Protection.values()) {
                long count = counts.get(protection);
                if (count == 0) {
                    continue;
                }
                shares.add(protection.displayName() + " " + DashboardPage.percent(count, total));
                double left = 100.0 * cumulative / total;
                cumulative += count;
                double right = 100.0 * cumulative / total;
                segments.add(new Segment(left, right - left, DashboardStyle.colour(protection)));
            }
            this.title = domain + ": " + (empty ? "nothing delivered" : String.join(", ", shares));
            this.segments = List.copyOf(segments);
        }
    }

    /** A protection level's part of a mini bar. */
    static final class Segment {
        final String x;
        final String width;
        final String fill;

        Segment(double x, double width, String fill) {
            this.x = DashboardPage.coordinate(x);
            this.width = DashboardPage.coordinate(width);
            this.fill = fill;
        }
    }

    /** Whether the domain publishes a standard: {@code yes}, {@code no} or {@code unknown}. */
    static final class Badge {
        final String key;
        final String label;
        final String state;
        final boolean unknown;
        /** "MTA-STS: published", "...: not published", "...: not known". */
        final String title;

        Badge(PublishedStandard publication, Optional<Boolean> publishes) {
            this.key = publication.key();
            this.label = publication.label();
            this.state = publishes.map(yes -> yes ? "yes" : "no").orElse("unknown");
            this.unknown = publishes.isEmpty();
            this.title = publication.label()
                    + ": "
                    + publishes.map(yes -> yes ? "published" : "not published").orElse("not known");
        }
    }
}
