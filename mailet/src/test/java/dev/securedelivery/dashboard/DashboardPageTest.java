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
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class DashboardPageTest {
    private final String november = DashboardPage.render(SampleDashboards.november());

    @Test
    void peersStringsAreEscapedInTextAndInAttributes() {
        assertThat(november)
                .contains("&lt;script&gt;window.pwned=1&lt;/script&gt;.example")
                .contains("data-domain=\"&lt;script&gt;window.pwned=1&lt;/script&gt;.example\"")
                .contains("Evil &quot;onload=&quot;window.pwned=2&quot; &lt;img src=x onerror=alert(1)&gt;")
                .contains("mx.&lt;b&gt;bold&lt;/b&gt;&amp;amp;.example")
                .doesNotContain("<script")
                .doesNotContain("<img")
                .doesNotContain("<b>")
                .doesNotContain("\"onload=");
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
                .contains("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none';")
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
    void anEmptyPeriodSaysSoInEachSection() {
        String page = DashboardPage.render(SampleDashboards.empty());

        assertThat(page)
                .contains("id=\"total-delivered\" data-value=\"0\">0<")
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
