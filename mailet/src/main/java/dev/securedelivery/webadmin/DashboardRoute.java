package dev.securedelivery.webadmin;

import dev.securedelivery.dashboard.DashboardData;
import dev.securedelivery.dashboard.DashboardPage;
import dev.securedelivery.dashboard.DashboardSource;
import dev.securedelivery.peertext.PeerText;
import dev.securedelivery.posture.PostureRange;
import java.time.Clock;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.Optional;
import spark.Request;
import spark.Response;
import spark.Service;

/**
 * {@code GET /secure-delivery/dashboard?from=YYYY-MM-DD&to=YYYY-MM-DD}: the HTML dashboard of
 * {@link DashboardPage} for the UTC days {@code from} to {@code to}, both included. Without
 * {@code to}, up to today; without {@code from}, the {@value #DEFAULT_DAYS} days that end with
 * {@code to}. A period is at most {@value #MAX_DAYS} days. Bad dates get a 400 that says which
 * parameter and why.
 */
public final class DashboardRoute {
    static final String PATH = SecureDeliveryRoutes.BASE + "/dashboard";
    static final int DEFAULT_DAYS = PostureRange.DEFAULT_DAYS;
    /** A year and a day: a leap year's report, with room for the day it is read on. */
    static final int MAX_DAYS = 367;

    private final DashboardSource source;
    private final Clock clock;

    public DashboardRoute(DashboardSource source, Clock clock) {
        this.source = source;
        this.clock = clock;
    }

    public void define(Service service) {
        service.get(PATH, this::page);
    }

    private String page(Request request, Response response) {
        LocalDate today = LocalDate.ofInstant(clock.instant(), ZoneOffset.UTC);
        LocalDate to = date(request, "to").orElse(today);
        LocalDate from = date(request, "from").orElse(to.minusDays(DEFAULT_DAYS - 1));
        if (from.isAfter(to)) {
            throw SecureDeliveryRoutes.badRequest("from (" + from + ") is after to (" + to + ")");
        }
        long days = ChronoUnit.DAYS.between(from, to) + 1;
        if (days > MAX_DAYS) {
            throw SecureDeliveryRoutes.badRequest(
                    "The period " + from + " to " + to + " has " + days + " days; at most " + MAX_DAYS);
        }
        DashboardData data = source.load(from, to);
        response.type("text/html; charset=utf-8");
        // The page is script-free and self-contained; the header enforces it even if a string slipped through.
        response.header("Content-Security-Policy", DashboardPage.CONTENT_SECURITY_POLICY);
        response.header("X-Content-Type-Options", "nosniff");
        response.header("Cache-Control", "no-store");
        return DashboardPage.render(data);
    }

    private static Optional<LocalDate> date(Request request, String parameter) {
        String value = request.queryParams(parameter);
        if (value == null || value.isEmpty()) {
            return Optional.empty();
        }
        try {
            LocalDate date = LocalDate.parse(value);
            if (date.getYear() < PostureRange.MIN_YEAR || date.getYear() > PostureRange.MAX_YEAR) {
                throw SecureDeliveryRoutes.badRequest(parameter + " is outside the years " + PostureRange.MIN_YEAR
                        + " to " + PostureRange.MAX_YEAR + ": " + date);
            }
            return Optional.of(date);
        } catch (DateTimeParseException e) {
            throw SecureDeliveryRoutes.badRequest(
                    parameter + " is not a date of the form YYYY-MM-DD: '" + PeerText.clean(value, 40) + "'");
        }
    }
}
