package dev.securedelivery.webadmin;

import static org.assertj.core.api.Assertions.assertThat;

import dev.securedelivery.dashboard.DashboardData;
import dev.securedelivery.dashboard.SampleDashboards;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class DashboardRouteTest {
    private static final List<LocalDate[]> LOADED = new ArrayList<>();
    private static DashboardServer server;
    private static final HttpClient CLIENT = HttpClient.newHttpClient();

    @BeforeAll
    static void start() {
        server = new DashboardServer((from, to) -> {
            synchronized (LOADED) {
                LOADED.add(new LocalDate[] {from, to});
            }
            return DashboardData.builder(SampleDashboards.NODE, DashboardServer.NOW, from, to)
                    .build();
        });
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    private static HttpResponse<String> get(String query) throws IOException, InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(URI.create(server.url("/secure-delivery/dashboard" + query)))
                .build();
        return CLIENT.send(request, HttpResponse.BodyHandlers.ofString());
    }

    private static LocalDate[] lastLoaded() {
        synchronized (LOADED) {
            return LOADED.get(LOADED.size() - 1);
        }
    }

    @Test
    void withoutDatesThePageShowsTheLastThirtyDaysUpToToday() throws Exception {
        HttpResponse<String> response = get("");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Type")).hasValue("text/html;charset=utf-8");
        assertThat(response.headers().firstValue("Content-Security-Policy"))
                .hasValueSatisfying(policy -> assertThat(policy).startsWith("default-src 'none'"));
        assertThat(lastLoaded()).containsExactly(LocalDate.of(2026, 11, 2), LocalDate.of(2026, 12, 1));
        assertThat(response.body()).startsWith("<!DOCTYPE html>").contains("2026-11-02 to 2026-12-01");
    }

    @Test
    void aPeriodIsTheDaysAsked() throws Exception {
        HttpResponse<String> response = get("?from=2026-10-01&to=2026-10-31");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(lastLoaded()).containsExactly(LocalDate.of(2026, 10, 1), LocalDate.of(2026, 10, 31));
    }

    @Test
    void aFormsEmptyFieldsGiveTheDefaultPeriod() throws Exception {
        assertThat(get("?from=&to=2026-03-01").statusCode()).isEqualTo(200);
        assertThat(lastLoaded()).containsExactly(LocalDate.of(2026, 1, 31), LocalDate.of(2026, 3, 1));
    }

    @Test
    void onlyAnEndGivesTheThirtyDaysBeforeIt() throws Exception {
        assertThat(get("?to=2026-03-01").statusCode()).isEqualTo(200);
        assertThat(lastLoaded()).containsExactly(LocalDate.of(2026, 1, 31), LocalDate.of(2026, 3, 1));
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "?from=yesterday                      | from: expected a day as YYYY-MM-DD, such as 2026-01-31, got \\\"yesterday\\\"",
                "?from=2026-11-01&to=2026-02-30       | to: expected a day as YYYY-MM-DD, such as 2026-01-31, got \\\"2026-02-30\\\"",
                "?from=2026-11-02&to=2026-11-01       | from (2026-11-02) is after to (2026-11-01)",
                "?from=2024-01-01&to=2026-01-01       | from (2024-01-01) to (2026-01-01) is 732 days, more than 367",
                "?to=%2B999999999-12-31               | to is outside the years 1970 to 9999: +999999999-12-31",
                "?from=1969-12-31&to=1970-01-02       | from is outside the years 1970 to 9999: 1969-12-31",
            })
    void badDatesGetAPreciseBadRequest(String query, String message) throws Exception {
        HttpResponse<String> response = get(query.trim());

        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(response.body()).contains("\"statusCode\":400").contains(message.trim());
    }
}
