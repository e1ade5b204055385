package dev.securedelivery.dashboard;

import dev.securedelivery.posture.Protection;
import java.time.LocalDate;
import java.time.format.TextStyle;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The stacked bar chart of the day's delivered mail by protection ({@code #share-chart}), as SVG
 * coordinates: grid lines every 25 percent, and one bar group per day of the period, each bar 100
 * percent of the day's delivered messages, DANE at the bottom, or a thin grey mark for a day with
 * nothing delivered. The template only places what is computed here, reading the fields by name.
 */
final class ShareChart {
    private static final int CHART_WIDTH = 1000;
    private static final int CHART_HEIGHT = 250;
    private static final int PLOT_LEFT = 46;
    private static final int PLOT_RIGHT = 8;
    private static final int PLOT_TOP = 10;
    private static final int PLOT_BOTTOM = 30;
    private static final int MAX_AXIS_LABELS = 16;
    private static final double PLOT_WIDTH = CHART_WIDTH - PLOT_LEFT - PLOT_RIGHT;
    private static final double PLOT_HEIGHT = CHART_HEIGHT - PLOT_TOP - PLOT_BOTTOM;

    final List<GridLine> grid;
    final List<DayBar> bars;

    private ShareChart(List<GridLine> grid, List<DayBar> bars) {
        this.grid = grid;
        this.bars = bars;
    }

    int width() {
        return CHART_WIDTH;
    }

    int height() {
        return CHART_HEIGHT;
    }

    static ShareChart of(DashboardData data) {
        List<GridLine> grid = new ArrayList<>();
        for (int percent = 0; percent <= 100; percent += 25) {
            grid.add(new GridLine(percent));
        }
        int days = (int) ChronoUnit.DAYS.between(data.from(), data.to()) + 1;
        double slot = PLOT_WIDTH / days;
        double barWidth = Math.max(1, slot * (days > 60 ? 0.9 : 0.72));
        int labelEvery = (days + MAX_AXIS_LABELS - 1) / MAX_AXIS_LABELS;
        List<DayBar> bars = new ArrayList<>();
        int index = 0;
        for (LocalDate day = data.from(); !day.isAfter(data.to()); day = day.plusDays(1), index++) {
            double x = PLOT_LEFT + index * slot + (slot - barWidth) / 2;
            AxisLabel label = index % labelEvery == 0 ? new AxisLabel(x + barWidth / 2, day, index == 0) : null;
            bars.add(new DayBar(day, data.day(day).delivered(), x, barWidth, label));
        }
        return new ShareChart(List.copyOf(grid), List.copyOf(bars));
    }

    /** A horizontal line at {@code percent} and its label on the left. */
    static final class GridLine {
        final String y;
        final String labelY;
        final int percent;

        GridLine(int percent) {
            double y = PLOT_TOP + PLOT_HEIGHT * (100 - percent) / 100.0;
            this.y = DashboardPage.coordinate(y);
            this.labelY = DashboardPage.coordinate(y + 4);
            this.percent = percent;
        }

        int x1() {
            return PLOT_LEFT;
        }

        int x2() {
            return CHART_WIDTH - PLOT_RIGHT;
        }

        int labelX() {
            return PLOT_LEFT - 6;
        }
    }

    /** One day's bar group ({@code <g class="day" data-day=...>}). */
    static final class DayBar {
        final String day;
        final long delivered;
        /** The grey mark of a day with nothing delivered, or null. */
        final EmptyMark empty;

        final List<Segment> segments;
        /** The day's label under the axis, or null: at most {@value #MAX_AXIS_LABELS} are written. */
        final AxisLabel axisLabel;

        DayBar(LocalDate day, ProtectionCounts counts, double x, double width, AxisLabel axisLabel) {
            this.day = day.toString();
            this.delivered = counts.total();
            this.empty = delivered == 0 ? new EmptyMark(x, width) : null;
            this.axisLabel = axisLabel;
            List<Segment> segments = new ArrayList<>();
            double bottom = PLOT_TOP + PLOT_HEIGHT;
            long cumulative = 0;
            for (Protection protection : Protection.values()) {
                long count = counts.get(protection);
                if (count == 0) {
                    continue;
                }
                // Edges from cumulative sums, so the segments meet exactly and fill the bar.
                double top = PLOT_TOP + PLOT_HEIGHT - PLOT_HEIGHT * (cumulative + count) / delivered;
                cumulative += count;
                segments.add(new Segment(protection, count, delivered, x, top, width, bottom - top));
                bottom = top;
            }
            this.segments = List.copyOf(segments);
        }
    }

    /** A protection level's part of a day's bar, with its figures in its title. */
    static final class Segment {
        final String x;
        final String y;
        final String width;
        final String height;
        final String fill;
        final String protection;
        final String name;
        final long count;
        final String share;

        Segment(Protection protection, long count, long delivered, double x, double y, double width, double height) {
            this.x = DashboardPage.coordinate(x);
            this.y = DashboardPage.coordinate(y);
            this.width = DashboardPage.coordinate(width);
            this.height = DashboardPage.coordinate(height);
            this.fill = DashboardStyle.colour(protection);
            this.protection = protection.label();
            this.name = protection.displayName();
            this.count = count;
            this.share = DashboardPage.percent(count, delivered);
        }
    }

    /** A day with nothing delivered: a mark 3 high on the axis. */
    static final class EmptyMark {
        final String x;
        final String y;
        final String width;

        EmptyMark(double x, double width) {
            this.x = DashboardPage.coordinate(x);
            this.y = DashboardPage.coordinate(PLOT_TOP + PLOT_HEIGHT - 3);
            this.width = DashboardPage.coordinate(width);
        }
    }

    /** The day of the month under a bar, with the month on the first day shown and on each 1st. */
    static final class AxisLabel {
        final String x;
        final String text;

        AxisLabel(double x, LocalDate day, boolean first) {
            this.x = DashboardPage.coordinate(x);
            this.text = first || day.getDayOfMonth() == 1
                    ? day.getDayOfMonth() + " " + day.getMonth().getDisplayName(TextStyle.SHORT, Locale.ENGLISH)
                    : Integer.toString(day.getDayOfMonth());
        }

        int y() {
            return CHART_HEIGHT - PLOT_BOTTOM + 18;
        }
    }
}
