package dev.securedelivery.dashboard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.securedelivery.posture.Protection;
import dev.securedelivery.tlsrpt.PolicyType;
import dev.securedelivery.tlsrpt.ResultType;
import java.time.Instant;
import java.time.LocalDate;
import java.util.List;
import java.util.Map;
import java.util.regex.MatchResult;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class DashboardPageTest {
    private final String november = DashboardPage.render(SampleDashboards.november());

    @Test
    void peersStringsAreEscapedInTextAndInAttributes() {
        // Mustache.java's escaping: & < > " ' ` and = (so that not even an unquoted attribute could break).
        assertThat(november)
                .contains("&lt;script&gt;window.pwned&#61;1&lt;/script&gt;.example")
                .contains("data-domain=\"&lt;script&gt;window.pwned&#61;1&lt;/script&gt;.example\"")
                .contains(
                        "Evil &quot;onload&#61;&quot;window.pwned&#61;2&quot; &lt;img src&#61;x onerror&#61;alert(1)&gt;")
                .contains("mx.&lt;b&gt;bold&lt;/b&gt;&amp;amp;.example")
                .doesNotContain("<script")
                .doesNotContain("<img")
                .doesNotContain("<b>")
                .doesNotContain("\"onload=");
    }

    @Test
    void aPeersStringIsEscapedEverywhereItAppears() {
        DashboardData data = DashboardData.builder(
                        hostile("node"), Instant.EPOCH, SampleDashboards.FROM, SampleDashboards.TO)
                .sourceNote(hostile("note"))
                .domain(new DashboardData.Domain(hostile("domain"), ProtectionCounts.none(), 1, 0, Map.of()))
                .failure(new DashboardData.Failure(
                        SampleDashboards.FROM, hostile("failure"), ResultType.DANE_REQUIRED, 1, 0))
                .inboundReports(new DashboardData.InboundReports(
                        hostile("organisation"),
                        hostile("policy"),
                        PolicyType.STS,
                        1,
                        0,
                        1,
                        List.of(new DashboardData.MxFailures(hostile("mx"), hostile("result"), 1))))
                .build();

        String page = DashboardPage.render(data);

        assertThat(page).doesNotContainPattern("(?i)<script").doesNotContain("onload=");
        // Where each string appears: as text, in attributes, in titles; always escaped, never raw.
        Map<String, Integer> places = Map.of(
                "node", 3, // <title>, #node, the footer
                "note", 1, // #source-note
                "domain", 3, // data-domain, its <th>, its bar's <title>
                "failure", 2, // data-failure-domain, its cell
                "organisation", 2, // data-organisation, its <th>
                "policy", 2, // data-policy-domain, its cell
                "mx", 2, // data-mx, its cell
                "result", 2); // data-result-type, its <code>
        places.forEach((where, count) -> {
            assertThat(occurrences(page, escaped(where))).as(where).isEqualTo(count);
            assertThat(page).as(where).doesNotContain(where + " <");
        });
        // No attribute value ends early: outside the quoted values no quote and no new attribute is left.
        Matcher tag = Pattern.compile("<[a-zA-Z][^>]*>").matcher(page);
        while (tag.find()) {
            String outsideValues = tag.group().replaceAll("=\"[^\"]*\"", "");
            assertThat(outsideValues).doesNotContain("\"").doesNotContain("'").doesNotContain("onload");
        }
    }

    // A peer's string with markup, both quotes, an attribute breaking out of its value, and entities.
    private static String hostile(String where) {
        return where + " <script>alert('x')</script>\" onload=\"x\" & &amp;";
    }

    private static String escaped(String where) {
        return where
                + " &lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&quot; onload&#61;&quot;x&quot; &amp; &amp;amp;";
    }

    private static int occurrences(String text, String part) {
        int count = 0;
        for (int at = text.indexOf(part); at >= 0; at = text.indexOf(part, at + 1)) {
            count++;
        }
        return count;
    }

    @Test
    void controlCharactersInPeersStringsDoNotReachThePage() {
        DashboardData data = DashboardData.builder(
                        "node\r\n1", Instant.EPOCH, SampleDashboards.FROM, SampleDashboards.TO)
                .domain(new DashboardData.Domain("a\u0000b\u202e.example", ProtectionCounts.none(), 1, 0, Map.of()))
                .build();

        String page = DashboardPage.render(data);

        assertThat(page).contains("data-domain=\"a b .example\"").contains("<strong id=\"node\">node 1</strong>");
        assertThat(page).doesNotContain("\u0000").doesNotContain("\u202e").doesNotContain("node\r");
    }

    @Test
    void thePageLoadsNothingAndRunsNothing() {
        assertThat(november)
                .contains("<meta http-equiv=\"Content-Security-Policy\" content=\""
                        + DashboardPage.CONTENT_SECURITY_POLICY.replace("'", "&#39;") + "\">")
                .doesNotContainPattern("(?i)<(script|link|img|iframe|object|embed)\\b")
                .doesNotContain("url(")
                .doesNotContain("@import");
        // No attribute loads or runs anything; the hostile names' "src=" and "onerror=" sit in quoted values.
        Matcher tag = Pattern.compile("<[a-zA-Z][^>]*>").matcher(november);
        int tags = 0;
        while (tag.find()) {
            tags++;
            String attributeNames = tag.group().replaceAll("\"[^\"]*\"", "\"\"");
            assertThat(attributeNames).doesNotContainPattern("(?i)\\s(src|href|style|on[a-z]+)\\s*=");
        }
        assertThat(tags).isGreaterThan(500);
    }

    @Test
    void theTitleNamesTheNodeAndThePeriod() {
        assertThat(november)
                .contains("<title>Outbound mail security \u00b7 james-mx1 \u00b7 2026-11-01 to 2026-11-30</title>")
                .contains("2026-11-01 to 2026-11-30 (30 days, UTC)");
    }

    @Test
    void figuresArePlainDigitsBesideTheirDataAttributes() {
        // 1 November: DANE 43, MTA-STS 122, PKIX 16, TLS 59, plaintext 12: 252 delivered, 1 deferred.
        assertThat(november)
                .contains(
                        "<tr data-day=\"2026-11-01\"><th scope=\"row\">2026-11-01</th><td data-protection=\"dane\">43</td>"
                                + "<td data-protection=\"mta-sts\">122</td><td data-protection=\"pkix\">16</td>"
                                + "<td data-protection=\"tls\">59</td><td data-protection=\"plaintext\">12</td>"
                                + "<td data-count=\"delivered\">252</td><td class=\"share\">71.8%</td>"
                                + "<td data-count=\"deferred\">1</td><td data-count=\"bounced\" class=\"zero\">0</td></tr>")
                .contains("id=\"total-delivered\" data-value=\"8612\">8612<");
    }

    @Test
    void aShareIsNeverRoundedToAllOrNone() {
        assertThat(DashboardPage.percent(48210, 48222)).isEqualTo("99.9%");
        assertThat(DashboardPage.percent(1, 100_000)).isEqualTo("0.1%");
        assertThat(DashboardPage.percent(5, 5)).isEqualTo("100.0%");
        assertThat(DashboardPage.percent(0, 5)).isEqualTo("0.0%");
        assertThat(DashboardPage.percent(1, 3)).isEqualTo("33.3%");
    }

    @Test
    void everyDayOfThePeriodIsDrawnAndTheBarsOfADayFillIt() {
        assertThat(november.split("<g class=\"day\"", -1)).hasSize(31);
        assertThat(november).contains("<title>2026-11-08: no mail delivered</title>");
        // 1 November's DANE segment: 43 of 252 at the bottom of a plot 210 high, starting at y 10.
        assertThat(november).contains("<title>2026-11-01 \u00b7 DANE: 43 of 252 (17.1%)</title>");
    }

    @Test
    void consecutiveDaysWithoutMailFoldIntoOneRow() {
        LocalDate from = LocalDate.of(2026, 11, 1);
        DashboardData data = DashboardData.builder("n", Instant.EPOCH, from, from.plusDays(9))
                .day(new DashboardData.Day(from, SampleDashboards.counts(1, 0, 0, 0, 0), 0, 0))
                // 2 and 3 November: nothing.
                .day(new DashboardData.Day(from.plusDays(3), ProtectionCounts.none(), 2, 0)) // deferrals only
                .day(new DashboardData.Day(from.plusDays(4), ProtectionCounts.none(), 0, 0)) // given, but empty
                .day(new DashboardData.Day(from.plusDays(5), ProtectionCounts.none(), 0, 1)) // a bounce only
                // 7 November: nothing.
                .day(new DashboardData.Day(from.plusDays(7), SampleDashboards.counts(0, 0, 0, 3, 0), 0, 0))
                // 9 and 10 November, the end of the period: nothing.
                .build();

        String page = DashboardPage.render(data);

        String body = page.substring(page.indexOf("<table class=\"numbers\" id=\"days\">"));
        body = body.substring(body.indexOf("<tbody>"), body.indexOf("</tbody>"));
        List<String> rows = Pattern.compile("<tr [^>]*>")
                .matcher(body)
                .results()
                .map(MatchResult::group)
                .collect(Collectors.toList());
        assertThat(rows)
                .containsExactly(
                        "<tr data-day=\"2026-11-01\">",
                        "<tr class=\"no-mail\" data-days-from=\"2026-11-02\" data-days-to=\"2026-11-03\">",
                        "<tr data-day=\"2026-11-04\">",
                        "<tr class=\"no-mail\" data-days-from=\"2026-11-05\" data-days-to=\"2026-11-05\">",
                        "<tr data-day=\"2026-11-06\">",
                        "<tr class=\"no-mail\" data-days-from=\"2026-11-07\" data-days-to=\"2026-11-07\">",
                        "<tr data-day=\"2026-11-08\">",
                        "<tr class=\"no-mail\" data-days-from=\"2026-11-09\" data-days-to=\"2026-11-10\">");
        // A run says which days and that they had no mail, in one cell across the figures.
        assertThat(body)
                .contains("data-days-to=\"2026-11-03\"><th scope=\"row\">2026-11-02 \u2013 2026-11-03</th>"
                        + "<td class=\"no-mail\" colspan=\"9\">no mail</td></tr>")
                .contains("data-days-to=\"2026-11-05\"><th scope=\"row\">2026-11-05</th>"
                        + "<td class=\"no-mail\" colspan=\"9\">no mail</td></tr>")
                .contains("data-days-to=\"2026-11-10\"><th scope=\"row\">2026-11-09 \u2013 2026-11-10</th>");
        // A day with only deferrals or bounces keeps its figures.
        assertThat(body)
                .contains("<tr data-day=\"2026-11-04\"><th scope=\"row\">2026-11-04</th>")
                .contains("<td class=\"share\">\u2013</td><td data-count=\"deferred\">2</td>")
                .contains("<td data-count=\"deferred\" class=\"zero\">0</td><td data-count=\"bounced\">1</td></tr>");
        // The chart keeps a bar group for every day, and the total its row.
        assertThat(page.split("<g class=\"day\"", -1)).hasSize(11);
        assertThat(page).contains("<g class=\"day\" data-day=\"2026-11-02\"><rect class=\"empty\"");
        assertThat(page).contains("<tfoot><tr data-day=\"total\"><th scope=\"row\">Total</th>");
    }

    @Test
    void theDeferredCardSaysItCountsDeferralAttempts() {
        assertThat(november)
                .contains("<div class=\"card\"><div class=\"label\">Deferrals</div>"
                        + "<div class=\"value\" id=\"total-deferred\" data-value=\"53\">53</div>"
                        + "<div class=\"unit\">deferral attempts; a message deferred twice counts twice</div></div>")
                .doesNotContain(">Deferred<")
                .contains("<td data-count=\"deferred\">1</td>");
        // Every table's column of deferrals says so: per day, per domain, per failure.
        assertThat(occurrences(november, "<th scope=\"col\">Deferrals</th>")).isEqualTo(2);
        assertThat(november).contains("<th scope=\"col\" class=\"count\">Deferrals</th>");
    }

    @Test
    void anEmptyPeriodSaysSoInEachSection() {
        String page = DashboardPage.render(SampleDashboards.empty());

        assertThat(page)
                .contains("id=\"total-delivered\" data-value=\"0\">0<")
                .contains("<tr class=\"no-mail\" data-days-from=\"2026-11-01\" data-days-to=\"2026-11-30\">")
                .doesNotContain("<tr data-day=\"2026-11-")
                .contains("No mail to any domain in this period.")
                .contains("No policy failure in this period.")
                .contains("No TLS report received for this period.")
                .doesNotContain("NaN")
                .doesNotContain("Infinity");
    }

    @Test
    void longListsAreCutAndSaySo() {
        DashboardData.Builder data =
                DashboardData.builder("n", Instant.EPOCH, SampleDashboards.FROM, SampleDashboards.TO);
        for (int i = 0; i < DashboardPage.MAX_DOMAINS + 3; i++) {
            data.domain(new DashboardData.Domain("d" + i + ".example", ProtectionCounts.none(), 1, 0, Map.of()));
        }
        for (int i = 0; i < DashboardPage.MAX_FAILURES + 1; i++) {
            data.failure(new DashboardData.Failure(
                    SampleDashboards.FROM, "f" + i + ".example", ResultType.DANE_REQUIRED, 1, 0));
        }
        data.inboundReports(new DashboardData.InboundReports("o", "p.example", PolicyType.STS, 1, 1, 0, List.of()));

        String page = DashboardPage.render(data.build());

        assertThat(page)
                .contains("data-domain=\"d24.example\"")
                .doesNotContain("data-domain=\"d25.example\"")
                .contains("3 more domains not shown.")
                .contains("1 more failure rows not shown.");
    }

    @Test
    void theModelRefusesWhatCannotBe() {
        LocalDate from = SampleDashboards.FROM;
        assertThatThrownBy(() -> DashboardData.builder("n", Instant.EPOCH, from, from.minusDays(1)))
                .isInstanceOf(IllegalArgumentException.class);
        DashboardData.Builder data = DashboardData.builder("n", Instant.EPOCH, from, from);
        assertThatThrownBy(() -> data.day(new DashboardData.Day(from.plusDays(1), ProtectionCounts.none(), 0, 0)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("outside");
        data.day(new DashboardData.Day(from, ProtectionCounts.none(), 0, 0));
        assertThatThrownBy(() -> data.day(new DashboardData.Day(from, ProtectionCounts.none(), 0, 0)))
                .hasMessageContaining("given twice");
        assertThatThrownBy(() -> ProtectionCounts.of(Map.of(Protection.TLS, -1L)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new DashboardData.Failure(from, "d", ResultType.DANE_REQUIRED, 0, 0))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new DashboardData.Failure(from, "d", ResultType.DANE_REQUIRED, -1, 2))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new DashboardData.Failure(from, "d", ResultType.DANE_REQUIRED, Long.MAX_VALUE, 1))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
