package dev.securedelivery.webadmin;

import static org.assertj.core.api.Assertions.assertThat;

import dev.securedelivery.dashboard.DashboardData;
import dev.securedelivery.dashboard.DashboardPage;
import dev.securedelivery.dashboard.SampleDashboards;
import dev.securedelivery.posture.Protection;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.Pdf;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.json.Json;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.print.PageSize;
import org.openqa.selenium.print.PrintOptions;

/**
 * The dashboard in a real browser: Debian's {@code chromium}, headless, driven through
 * {@code chromedriver} (package {@code chromium-driver}) by Selenium. The page comes from the
 * WebAdmin route in a spark Service on 127.0.0.1, over a fixed {@link SampleDashboards#november()}.
 * Writes {@code target/dashboard.png} (the page on a laptop screen), {@code target/dashboard-print.png}
 * (as printed) and {@code target/dashboard.pdf} (A4) for a person to look at.
 *
 * <p>Skipped, saying why, where chromium or chromedriver is not installed, unless
 * {@code SECURE_DELIVERY_BROWSER=required} (as {@code .ci/run} sets), where that fails instead.
 */
class DashboardInBrowserTest {

    private static final DashboardData DATA = SampleDashboards.november();

    private static DashboardServer server;
    private static HeadlessChromium chromium;
    private static ChromeDriver browser;
    private static String pageUrl;
    private static List<LogEntry> consoleAtLoad;
    private static List<String> requestsAtLoad;

    @BeforeAll
    static void openThePage() throws IOException {
        chromium = HeadlessChromium.start();
        browser = chromium.browser;
        server = new DashboardServer((from, to) -> DATA);
        pageUrl = server.url("/secure-delivery/dashboard?from=" + SampleDashboards.FROM + "&to=" + SampleDashboards.TO);
        browser.get(pageUrl);
        consoleAtLoad = browser.manage().logs().get(LogType.BROWSER).getAll();
        requestsAtLoad =
                requestedUrls(browser.manage().logs().get(LogType.PERFORMANCE).getAll());
    }

    @AfterAll
    static void close() {
        if (chromium != null) {
            chromium.close();
        }
        if (server != null) {
            server.close();
        }
    }

    // The URLs of Network.requestWillBeSent events in chromedriver's performance log.
    @SuppressWarnings("unchecked")
    private static List<String> requestedUrls(List<LogEntry> performance) {
        List<String> urls = new ArrayList<>();
        for (LogEntry entry : performance) {
            Map<String, Object> message = (Map<String, Object>)
                    ((Map<String, Object>) new Json().toType(entry.getMessage(), Map.class)).get("message");
            if ("Network.requestWillBeSent".equals(message.get("method"))) {
                Map<String, Object> params = (Map<String, Object>) message.get("params");
                urls.add((String) ((Map<String, Object>) params.get("request")).get("url"));
            }
        }
        return urls;
    }

    @Test
    void thePageLoadsWithoutAConsoleMessage() {
        assertThat(browser.getTitle())
                .isEqualTo("Outbound mail security \u00b7 james-mx1 \u00b7 2026-11-01 to 2026-11-30");
        assertThat(consoleAtLoad).extracting(LogEntry::toString).isEmpty();
    }

    @Test
    void nothingIsRequestedButThePageItself() {
        assertThat(requestsAtLoad).containsExactly(pageUrl);
        assertThat(browser.findElement(By.cssSelector("meta[http-equiv='Content-Security-Policy']"))
                        .getAttribute("content"))
                .isEqualTo(DashboardPage.CONTENT_SECURITY_POLICY);
        Object resources = browser.executeScript("return performance.getEntriesByType('resource').length;");
        assertThat(resources).isEqualTo(0L);
        assertThat(browser.findElements(By.cssSelector("script, link, img, iframe, object, embed")))
                .isEmpty();
    }

    @Test
    void theTotalsAreTheData() {
        DashboardData.Day total = DATA.total();
        assertThat(number("#total-delivered")).isEqualTo(total.delivered().total());
        assertThat(number("#total-plaintext")).isEqualTo(total.delivered().get(Protection.PLAINTEXT));
        assertThat(number("#total-deferred")).isEqualTo(total.deferred());
        assertThat(number("#total-bounced")).isEqualTo(total.bounced());
        long authenticated = total.delivered().get(Protection.DANE)
                + total.delivered().get(Protection.MTA_STS)
                + total.delivered().get(Protection.PKIX);
        WebElement share = browser.findElement(By.id("share-authenticated"));
        assertThat(Long.parseLong(share.getAttribute("data-count"))).isEqualTo(authenticated);
        assertThat(share.getText())
                .isEqualTo(String.format(
                        java.util.Locale.ROOT,
                        "%.1f%%",
                        100.0 * authenticated / total.delivered().total()));
    }

    @Test
    void everyDayOfThePeriodShowsItsFiguresInTheTableAndTheChart() {
        int days = 0;
        int rows = 0;
        for (LocalDate day = DATA.from(); !day.isAfter(DATA.to()); day = day.plusDays(1), days++) {
            DashboardData.Day counts = DATA.day(day);
            for (Protection protection : Protection.values()) {
                List<WebElement> bar = browser.findElements(By.cssSelector(
                        "#share-chart g[data-day='" + day + "'] rect[data-protection='" + protection.label() + "']"));
                long charted = bar.isEmpty() ? 0 : Long.parseLong(bar.get(0).getAttribute("data-count"));
                assertThat(charted)
                        .as("chart %s %s", day, protection)
                        .isEqualTo(counts.delivered().get(protection));
            }
            if (noMail(counts)) {
                // Within a folded row of days without mail, which starts here if the day before had mail.
                if (day.equals(DATA.from()) || !noMail(DATA.day(day.minusDays(1)))) {
                    rows++;
                }
                assertThat(browser.findElements(By.cssSelector("#days tr[data-day='" + day + "']")))
                        .isEmpty();
                continue;
            }
            rows++;
            WebElement row = browser.findElement(By.cssSelector("#days tr[data-day='" + day + "']"));
            for (Protection protection : Protection.values()) {
                assertThat(cell(row, "[data-protection='" + protection.label() + "']"))
                        .as("%s %s", day, protection)
                        .isEqualTo(counts.delivered().get(protection));
            }
            assertThat(cell(row, "[data-count='delivered']"))
                    .isEqualTo(counts.delivered().total());
            assertThat(cell(row, "[data-count='deferred']")).isEqualTo(counts.deferred());
            assertThat(cell(row, "[data-count='bounced']")).isEqualTo(counts.bounced());
        }
        assertThat(browser.findElements(By.cssSelector("#days tbody tr"))).hasSize(rows);
        assertThat(browser.findElements(By.cssSelector("#share-chart g.day"))).hasSize(days);
        // The two days without mail are drawn as such, and are one row of the table.
        assertThat(browser.findElement(By.cssSelector("#share-chart g[data-day='2026-11-08'] title"))
                        .getAttribute("textContent"))
                .isEqualTo("2026-11-08: no mail delivered");
        List<WebElement> folded = browser.findElements(By.cssSelector("#days tbody tr.no-mail"));
        assertThat(folded).hasSize(1);
        assertThat(folded.get(0).getAttribute("data-days-from")).isEqualTo("2026-11-08");
        assertThat(folded.get(0).getAttribute("data-days-to")).isEqualTo("2026-11-09");
        assertThat(folded.get(0).findElement(By.cssSelector("th")).getText()).isEqualTo("2026-11-08 \u2013 2026-11-09");
        WebElement noMail = folded.get(0).findElement(By.cssSelector("td"));
        assertThat(noMail.getText()).isEqualTo("no mail");
        assertThat(noMail.getAttribute("colspan")).isEqualTo("9");
        // The row spans the table as the others do.
        assertThat(folded.get(0).getRect().getWidth())
                .isEqualTo(browser.findElement(By.cssSelector("#days tr[data-day='2026-11-07']"))
                        .getRect()
                        .getWidth());
    }

    private static boolean noMail(DashboardData.Day counts) {
        return counts.delivered().total() == 0 && counts.deferred() == 0 && counts.bounced() == 0;
    }

    @Test
    void theDeferralsSayWhatTheyCount() {
        WebElement card = browser.findElement(By.id("total-deferred")).findElement(By.xpath(".."));
        assertThat(card.findElement(By.cssSelector(".label")).getAttribute("textContent"))
                .isEqualTo("Deferrals");
        assertThat(card.findElement(By.cssSelector(".unit")).getText())
                .isEqualTo("deferral attempts; a message deferred twice counts twice");
        assertThat(browser.findElements(By.cssSelector("#days thead th")))
                .extracting(WebElement::getText)
                .contains("Deferrals")
                .doesNotContain("Deferred");
        assertThat(browser.findElements(By.cssSelector("#domain-table thead th")))
                .extracting(WebElement::getText)
                .contains("Deferrals");
    }

    @Test
    void theDomainsShowTheirFiguresAndHostileNamesAsText() {
        List<WebElement> rows = browser.findElements(By.cssSelector("#domain-table tbody tr"));
        assertThat(rows).hasSize(DATA.domains().size());
        for (int i = 0; i < rows.size(); i++) {
            DashboardData.Domain domain = DATA.domains().get(i);
            WebElement row = rows.get(i);
            assertThat(row.getAttribute("data-domain")).isEqualTo(domain.name());
            assertThat(row.findElement(By.cssSelector("th")).getText()).isEqualTo(domain.name());
            for (Protection protection : Protection.values()) {
                assertThat(cell(row, "[data-protection='" + protection.label() + "']"))
                        .isEqualTo(domain.delivered().get(protection));
            }
            assertThat(cell(row, "[data-count='deferred']")).isEqualTo(domain.deferred());
            assertThat(cell(row, "[data-count='bounced']")).isEqualTo(domain.bounced());
        }
        assertThat(rows.get(3).findElement(By.cssSelector("th")).getText()).isEqualTo(SampleDashboards.HOSTILE_DOMAIN);
        assertThat(rows.get(0)
                        .findElement(By.cssSelector("[data-publication='dane']"))
                        .getAttribute("data-value"))
                .isEqualTo("no");
        assertThat(rows.get(4)
                        .findElement(By.cssSelector("[data-publication='tls-rpt']"))
                        .getAttribute("data-value"))
                .isEqualTo("unknown");
    }

    @Test
    void failuresAndInboundReportsShowTheirFiguresAndHostileTextAsText() {
        List<WebElement> failures = browser.findElements(By.cssSelector("#failure-table tbody tr"));
        assertThat(failures).hasSize(DATA.failures().size());
        for (int i = 0; i < failures.size(); i++) {
            DashboardData.Failure failure = DATA.failures().get(i);
            assertThat(failures.get(i).getAttribute("data-failure-domain")).isEqualTo(failure.domain());
            assertThat(failures.get(i).getAttribute("data-cause"))
                    .isEqualTo(failure.cause().reportName());
            assertThat(failures.get(i).findElement(By.cssSelector("td.when")).getText())
                    .isEqualTo(failure.day().toString());
            assertThat(cell(failures.get(i), "[data-count='deferred']")).isEqualTo(failure.deferred());
            assertThat(cell(failures.get(i), "[data-count='bounced']")).isEqualTo(failure.bounced());
        }

        List<WebElement> reports = browser.findElements(By.cssSelector("#inbound-table tr.summary"));
        assertThat(reports).hasSize(DATA.inboundReports().size());
        for (int i = 0; i < reports.size(); i++) {
            DashboardData.InboundReports report = DATA.inboundReports().get(i);
            WebElement row = reports.get(i);
            assertThat(row.getAttribute("data-organisation")).isEqualTo(report.organisation());
            assertThat(row.findElement(By.cssSelector("th")).getText()).isEqualTo(report.organisation());
            assertThat(row.getAttribute("data-policy-type"))
                    .isEqualTo(report.policyType().reportName());
            assertThat(cell(row, "[data-count='reports']")).isEqualTo(report.reports());
            assertThat(cell(row, "[data-count='successes']")).isEqualTo(report.successes());
            assertThat(cell(row, "[data-count='failures']")).isEqualTo(report.failures());
        }
        List<WebElement> mxRows = browser.findElements(By.cssSelector("#inbound-table tr.mx"));
        assertThat(mxRows)
                .extracting(row -> row.getAttribute("data-mx"))
                .containsExactly("mx2.our-company.example", SampleDashboards.HOSTILE_MX, "");
        assertThat(mxRows.get(1).getText())
                .contains(SampleDashboards.HOSTILE_MX)
                .contains("<i>made-up-type</i>");
        assertThat(cell(mxRows.get(1), "[data-count='sessions']")).isEqualTo(5);

        // Nothing the peers wrote became markup, and nothing ran.
        assertThat(browser.findElements(By.cssSelector("main b, main i, main svg[onload], [onerror], [onload]")))
                .isEmpty();
        assertThat(browser.executeScript("return typeof window.pwned;")).isEqualTo("undefined");
    }

    @Test
    void screenshotsAndAnA4PrintAreWrittenForAPersonToLookAt() throws IOException {
        Path target = Paths.get("target");
        Files.createDirectories(target);
        // The whole page at laptop width, then as printed.
        Dimension window = browser.manage().window().getSize();
        try {
            // The window's size includes what is not the page (headless, a few pixels of frame).
            long frame = (Long) browser.executeScript("return window.outerHeight - window.innerHeight;");
            long height = (Long) browser.executeScript("return document.documentElement.scrollHeight;");
            browser.manage().window().setSize(new Dimension(1440, (int) (height + frame)));
            Path screen = target.resolve("dashboard.png");
            Files.write(screen, browser.getScreenshotAs(OutputType.BYTES));
            assertThat(Files.size(screen)).isGreaterThan(10_000);

            browser.executeCdpCommand("Emulation.setEmulatedMedia", Map.of("media", "print"));
            long printHeight = (Long) browser.executeScript("return document.documentElement.scrollHeight;");
            // A4's printable width at 96 dpi: 210 mm less the page margins.
            browser.manage().window().setSize(new Dimension(704, (int) (printHeight + frame)));
            Path print = target.resolve("dashboard-print.png");
            Files.write(print, browser.getScreenshotAs(OutputType.BYTES));
        } finally {
            browser.executeCdpCommand("Emulation.setEmulatedMedia", Map.of("media", ""));
            browser.manage().window().setSize(window);
        }

        PrintOptions a4 = new PrintOptions();
        a4.setPageSize(new PageSize(29.7, 21.0));
        a4.setBackground(true);
        Pdf pdf = browser.print(a4);
        byte[] bytes = Base64.getDecoder().decode(pdf.getContent());
        Files.write(target.resolve("dashboard.pdf"), bytes);
        assertThat(new String(bytes, 0, 5, StandardCharsets.US_ASCII)).isEqualTo("%PDF-");
    }

    private long number(String selector) {
        WebElement element = browser.findElement(By.cssSelector(selector));
        long shown = Long.parseLong(element.getText());
        assertThat(Long.parseLong(element.getAttribute("data-value"))).isEqualTo(shown);
        return shown;
    }

    private static long cell(WebElement row, String selector) {
        return Long.parseLong(row.findElement(By.cssSelector(selector)).getText());
    }
}
