package dev.securedelivery.webadmin;

import dev.securedelivery.dashboard.DashboardData;
import dev.securedelivery.dashboard.DashboardPage;
import dev.securedelivery.dashboard.DashboardSource;
import dev.securedelivery.posture.PostureRange;
import java.time.Clock;
import java.time.LocalDate;
import java.time.ZoneOffset;
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
        PostureRange range;
        try {
            range = PostureRange.parse(given(request, "from"), given(request, "to"), today, MAX_DAYS);
        } catch (IllegalArgumentException e) {
            throw SecureDeliveryRoutes.badRequest(e.getMessage());
        }
        LocalDate from = range.from();
        LocalDate to = range.to();
        DashboardData data = source.load(from, to);
        response.type("text/html; charset=utf-8");
        // The page is script-free and self-contained; the header enforces it even if a string slipped through.
        response.header("Content-Security-Policy", DashboardPage.CONTENT_SECURITY_POLICY);
        response.header("X-Content-Type-Options", "nosniff");
        response.header("Cache-Control", "no-store");
        return DashboardPage.render(data);
    }

    // A form's empty field is no date: the page's own defaults apply.
    private static String given(Request request, String parameter) {
        String value = request.queryParams(parameter);
        return value == null || value.isEmpty() ? null : value;
    }
}
