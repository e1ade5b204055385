package dev.securedelivery.tlsrpt;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Objects;

/**
 * The time a report covers: by default one UTC day (RFC 8460 4.1: "a 24-hour period, by default
 * ... UTC"). Periods of other lengths divide the day evenly and start at UTC midnight.
 */
public final class ReportPeriod {
    private final Instant start;
    private final Duration length;

    private ReportPeriod(Instant start, Duration length) {
        this.start = start;
        this.length = length;
    }

    /** The period of {@code length} that holds {@code instant}. */
    public static ReportPeriod containing(Instant instant, Duration length) {
        Objects.requireNonNull(instant, "instant");
        requireDividesDay(length);
        Instant day = instant.truncatedTo(ChronoUnit.DAYS);
        long periods = Duration.between(day, instant).toMillis() / length.toMillis();
        return new ReportPeriod(day.plus(length.multipliedBy(periods)), length);
    }

    /** Refuses a period length that does not divide the UTC day evenly. */
    static Duration requireDividesDay(Duration length) {
        if (length.isNegative() || length.isZero() || Duration.ofDays(1).toMillis() % length.toMillis() != 0) {
            throw new IllegalArgumentException("a report period must divide a day evenly, got " + length);
        }
        return length;
    }

    /** The UTC day that holds {@code instant}. */
    public static ReportPeriod dayOf(Instant instant) {
        return containing(instant, Duration.ofDays(1));
    }

    public Instant start() {
        return start;
    }

    /** The first instant after the period. */
    public Instant end() {
        return start.plus(length);
    }

    /**
     * This period cut short after the second {@code now} is in, for a report of the sessions so
     * far; never beyond the period's own end.
     */
    public ReportPeriod upTo(Instant now) {
        Instant cut = now.truncatedTo(ChronoUnit.SECONDS).plusSeconds(1);
        if (cut.isAfter(end())) {
            cut = end();
        }
        if (!cut.isAfter(start)) {
            cut = start.plusSeconds(1);
        }
        return new ReportPeriod(start, Duration.between(start, cut));
    }

    /** The period after this one. */
    public ReportPeriod next() {
        return new ReportPeriod(end(), length);
    }

    /**
     * {@code end-datetime} as reports write it: the period's last second, as in RFC 8460 4.4's
     * example ({@code 2016-04-01T23:59:59Z}).
     */
    String endDatetime() {
        return lastSecond().toString();
    }

    /** The period's last whole second: what reports give as its end (4.4, and 5.1's end-timestamp). */
    public Instant lastSecond() {
        return end().minusSeconds(1);
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof ReportPeriod
                && start.equals(((ReportPeriod) other).start)
                && length.equals(((ReportPeriod) other).length);
    }

    @Override
    public int hashCode() {
        return Objects.hash(start, length);
    }

    @Override
    public String toString() {
        return start + "/" + end();
    }
}
