package dev.securedelivery.dashboard;

import dev.securedelivery.posture.Protection;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;

/**
 * The per-day table ({@code #days}): a row of figures for each day with mail, one row saying
 * "no mail" for each run of consecutive days without any (nothing delivered, deferred or bounced),
 * and the period's total. The template reads the fields by name.
 */
final class DayTable {
    /** The columns of figures: one per protection level, delivered, authenticated, deferrals, bounced. */
    static final int FIGURE_COLUMNS = Protection.values().length + 4;

    final List<Row> rows;
    final Figures total;

    private DayTable(List<Row> rows, Figures total) {
        this.rows = rows;
        this.total = total;
    }

    static DayTable of(DashboardData data) {
        List<Row> rows = new ArrayList<>();
        LocalDate quietSince = null;
        for (LocalDate day = data.from(); !day.isAfter(data.to()); day = day.plusDays(1)) {
            DashboardData.Day counts = data.day(day);
            if (noMail(counts)) {
                quietSince = quietSince == null ? day : quietSince;
                continue;
            }
            if (quietSince != null) {
                rows.add(Row.quiet(quietSince, day.minusDays(1)));
                quietSince = null;
            }
            rows.add(Row.mail(day, Figures.of(counts)));
        }
        if (quietSince != null) {
            rows.add(Row.quiet(quietSince, data.to()));
        }
        return new DayTable(List.copyOf(rows), Figures.of(data.total()));
    }

    private static boolean noMail(DashboardData.Day counts) {
        return counts.delivered().total() == 0 && counts.deferred() == 0 && counts.bounced() == 0;
    }

    /** A row of the table's body: either {@link #mail} or {@link #noMail} is set, never both. */
    static final class Row {
        final MailDay mail;
        final QuietDays noMail;

        private Row(MailDay mail, QuietDays noMail) {
            this.mail = mail;
            this.noMail = noMail;
        }

        static Row mail(LocalDate day, Figures figures) {
            return new Row(new MailDay(day, figures), null);
        }

        static Row quiet(LocalDate from, LocalDate to) {
            return new Row(null, new QuietDays(from, to));
        }
    }

    /** A day with mail: {@code <tr data-day="2026-11-01">} and its figures. */
    static final class MailDay {
        final String day;
        final Figures figures;

        MailDay(LocalDate day, Figures figures) {
            this.day = day.toString();
            this.figures = figures;
        }
    }

    /**
     * Consecutive days without mail, one or more: {@code <tr class="no-mail" data-days-from=...
     * data-days-to=...>}, labelled "2026-11-07 – 2026-11-08" (or the one day), one cell across the
     * figures.
     */
    static final class QuietDays {
        final String from;
        final String to;
        final String label;

        QuietDays(LocalDate from, LocalDate to) {
            this.from = from.toString();
            this.to = to.toString();
            this.label = from.equals(to) ? this.from : this.from + " \u2013 " + this.to;
        }

        /** The cell's {@code colspan}: all the figures' columns. */
        int columns() {
            return FIGURE_COLUMNS;
        }
    }

    /** One day's figures, or the period's ({@code day-figures.mustache}). */
    static final class Figures {
        final List<CountCell> protections;
        final CountCell delivered;
        /** The share of delivered messages that were authenticated, or a dash if none was delivered. */
        final String authenticated;

        final CountCell deferred;
        final CountCell bounced;

        private Figures(
                List<CountCell> protections,
                CountCell delivered,
                String authenticated,
                CountCell deferred,
                CountCell bounced) {
            this.protections = protections;
            this.delivered = delivered;
            this.authenticated = authenticated;
            this.deferred = deferred;
            this.bounced = bounced;
        }

        static Figures of(DashboardData.Day counts) {
            List<CountCell> protections = new ArrayList<>();
            long authenticated = 0;
            for (Protection protection : Protection.values()) {
                long count = counts.delivered().get(protection);
                authenticated += protection.authenticated() ? count : 0;
                protections.add(CountCell.of(protection, count));
            }
            long delivered = counts.delivered().total();
            return new Figures(
                    List.copyOf(protections),
                    CountCell.of("delivered", delivered),
                    DashboardPage.share(authenticated, delivered),
                    CountCell.of("deferred", counts.deferred()),
                    CountCell.of("bounced", counts.bounced()));
        }
    }
}
