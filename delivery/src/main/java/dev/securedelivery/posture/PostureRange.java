package dev.securedelivery.posture;

import dev.securedelivery.peertext.PeerText;
import java.time.LocalDate;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.Objects;

/** The days a posture view covers, from {@code from} to {@code to}, both included. */
public final class PostureRange {
    /** Days shown when the query names no {@code from}: the last 30, today included. */
    public static final int DEFAULT_DAYS = 30;
    /** The longest range a query may ask for. */
    public static final int MAX_DAYS = 3660;
    // Days mail can have been sent on; also keeps a range's arithmetic far from LocalDate's limits.
    public static final int MIN_YEAR = 1970;
    public static final int MAX_YEAR = 9999;

    private final LocalDate from;
    private final LocalDate to;

    private PostureRange(LocalDate from, LocalDate to) {
        this.from = from;
        this.to = to;
    }

    /**
     * The range of a query's {@code from} and {@code to} (each {@code YYYY-MM-DD}, or null when not
     * given; an empty value is no date): {@code to} defaults to {@code today}, {@code from} to
     * {@value #DEFAULT_DAYS} days before {@code to}. At most {@value #MAX_DAYS} days.
     *
     * @throws IllegalArgumentException with a message fit for the person who asked
     */
    public static PostureRange parse(String from, String to, LocalDate today) {
        return parse(from, to, today, MAX_DAYS);
    }

    /** As {@link #parse(String, String, LocalDate)}, with at most {@code maxDays} days. */
    public static PostureRange parse(String from, String to, LocalDate today, int maxDays) {
        LocalDate end = to == null ? today : date("to", to);
        LocalDate start = from == null ? end.minusDays(DEFAULT_DAYS - 1L) : date("from", from);
        if (start.isAfter(end)) {
            throw new IllegalArgumentException("from (" + start + ") is after to (" + end + ")");
        }
        long days = ChronoUnit.DAYS.between(start, end) + 1;
        if (days > maxDays) {
            throw new IllegalArgumentException(
                    "from (" + start + ") to (" + end + ") is " + days + " days, more than " + maxDays);
        }
        return new PostureRange(start, end);
    }

    public static PostureRange of(LocalDate from, LocalDate to) {
        return new PostureRange(Objects.requireNonNull(from), Objects.requireNonNull(to));
    }

    private static LocalDate date(String name, String value) {
        try {
            LocalDate date = LocalDate.parse(value, DateTimeFormatter.ISO_LOCAL_DATE);
            if (date.getYear() < MIN_YEAR || date.getYear() > MAX_YEAR) {
                throw new IllegalArgumentException(
                        name + " is outside the years " + MIN_YEAR + " to " + MAX_YEAR + ": " + date);
            }
            return date;
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException(name + ": expected a day as YYYY-MM-DD, such as 2026-01-31, got \""
                    + PeerText.clean(value, 40) + "\"");
        }
    }

    public LocalDate from() {
        return from;
    }

    public LocalDate to() {
        return to;
    }
}
