package dev.securedelivery.webadmin;

import static org.assertj.core.api.Assertions.assertThat;

import dev.securedelivery.configuration.PolicyEngineConfiguration;
import dev.securedelivery.dashboard.PostureDashboardSource;
import dev.securedelivery.inbound.InboundReports;
import dev.securedelivery.inbound.InboundTlsReports;
import dev.securedelivery.owndomains.OwnDomainWorld;
import dev.securedelivery.owndomains.SelfCheck;
import dev.securedelivery.owndomains.TlsaRollover;
import dev.securedelivery.testing.IssuedCertificate;
import dev.securedelivery.testing.TlsReportMail;
import dev.securedelivery.waiting.InMemoryWaitingList;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import org.apache.mailet.Mail;
import org.apache.mailet.base.test.FakeMail;
import org.apache.mailet.base.test.FakeMailetConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;
import org.xbill.DNS.Type;

/**
 * A domain of ours whose MX presents an expired certificate, found by the self-check, and a TLS report
 * mail from a sender about the same MX, taken by the {@code InboundTlsReports} mailet: on the
 * dashboard, in a real browser, the finding stands beside the sessions the sender reported failing
 * for that MX and result type.
 */
class OwnDomainsInBrowserTest {
    @TempDir
    Path directory;

    private OwnDomainWorld world;
    private HeadlessChromium chromium;
    private DashboardServer server;

    @AfterEach
    void close() {
        if (chromium != null) {
            chromium.close();
        }
        if (server != null) {
            server.close();
        }
        if (world != null) {
            world.close();
        }
    }

    @Test
    void aReportedCertificateExpiryStandsBesideTheFindingOfTheSameMx() throws Exception {
        chromium = HeadlessChromium.start();
        world = OwnDomainWorld.published("127.0.0.91");
        IssuedCertificate expired = world.certificateUntil(Instant.now().minus(Duration.ofDays(2)), OwnDomainWorld.MX);
        world.startMx(expired);
        world.zone.remove("_25._tcp." + OwnDomainWorld.MX + ".", Type.TLSA);
        world.zone.add(
                "_25._tcp." + OwnDomainWorld.MX + ".",
                Type.TLSA,
                TlsaRollover.record(expired.leaf()).toPresentation());
        SelfCheck selfCheck = new SelfCheck(
                world.check(Clock.systemUTC()).build(),
                () -> List.of(OwnDomainWorld.DOMAIN),
                10,
                Clock.systemUTC(),
                new SelfCheck.Listener() {
                    @Override
                    public void found(String domain, dev.securedelivery.owndomains.Finding finding) {}

                    @Override
                    public void resolved(String domain, dev.securedelivery.owndomains.Finding finding) {}

                    @Override
                    public void notChecked(List<String> domains) {}
                });
        selfCheck.runNow();

        // A sender's report about the same MX, by mail, through the mailet.
        Properties properties = new Properties();
        properties.setProperty(
                "inbound-reports.directory", directory.resolve("inbound").toString());
        InboundReports store =
                new InboundReports(PolicyEngineConfiguration.from(properties).inboundReports(), Clock.systemUTC());
        InboundTlsReports mailet = new InboundTlsReports(store);
        mailet.init(FakeMailetConfig.builder().mailetName("InboundTlsReports").build());
        mailet.service(FakeMail.builder()
                .name("report")
                .sender("tlsrpt@reporter.example")
                .recipient("tlsrpt@" + OwnDomainWorld.DOMAIN)
                .mimeMessage(TlsReportMail.message(
                        "tlsrpt@reporter.example",
                        "tlsrpt@" + OwnDomainWorld.DOMAIN,
                        OwnDomainWorld.DOMAIN,
                        TlsReportMail.JSON,
                        report().getBytes(StandardCharsets.UTF_8)))
                .state(Mail.DEFAULT)
                .build());

        server = new DashboardServer(new PostureDashboardSource(
                "node1", Optional.empty(), store, new InMemoryWaitingList(), selfCheck::results, Clock.systemUTC()));
        chromium.browser.get(server.url("/secure-delivery/dashboard?from=2026-11-29&to=2026-11-29"));

        WebElement domain =
                chromium.browser.findElement(By.cssSelector("#own-domains-table tbody[data-own-domain='ours.test']"));
        assertThat(domain.findElement(By.cssSelector("tr.summary")).getText()).contains("problem");
        List<WebElement> expiredRows = domain.findElements(
                By.cssSelector("tr.finding[data-host='mx.ours.test'][data-result-type='certificate-expired']"));
        assertThat(expiredRows).isNotEmpty();
        assertThat(expiredRows).anySatisfy(row -> {
            assertThat(row.getText()).contains("the certificate expired");
            assertThat(row.findElement(By.cssSelector("td[data-count='reported']"))
                            .getText())
                    .isEqualTo("7");
        });
        // The sender's STARTTLS failure at an MX the check finds nothing wrong with now: shown apart.
        assertThat(domain.findElement(By.cssSelector("tr.reported[data-mx='mx.ours.test']"))
                        .getText())
                .contains("starttls-not-supported");
        // And in the inbound reports' table, as before.
        assertThat(chromium.browser.findElement(By.id("inbound-table")).getText())
                .contains("Reporter Inc.");
    }

    // certificate-expired at mx.ours.test: 7 sessions; starttls-not-supported there: 2.
    private static String report() {
        return "{\"organization-name\": \"Reporter Inc.\","
                + " \"date-range\": {\"start-datetime\": \"2026-11-29T00:00:00Z\","
                + " \"end-datetime\": \"2026-11-29T23:59:59Z\"},"
                + " \"contact-info\": \"tlsrpt@reporter.example\", \"report-id\": \"own-1\","
                + " \"policies\": [{\"policy\": {\"policy-type\": \"sts\", \"policy-string\": [\"version: STSv1\","
                + " \"mode: enforce\", \"mx: mx.ours.test\", \"max_age: 1209600\"], \"policy-domain\": \"ours.test\","
                + " \"mx-host\": [\"mx.ours.test\"]},"
                + " \"summary\": {\"total-successful-session-count\": 40, \"total-failure-session-count\": 9},"
                + " \"failure-details\": ["
                + "{\"result-type\": \"certificate-expired\", \"sending-mta-ip\": \"192.0.2.10\","
                + " \"receiving-mx-hostname\": \"mx.ours.test\", \"receiving-ip\": \"127.0.0.91\","
                + " \"failed-session-count\": 7},"
                + "{\"result-type\": \"starttls-not-supported\", \"sending-mta-ip\": \"192.0.2.10\","
                + " \"receiving-mx-hostname\": \"mx.ours.test\", \"receiving-ip\": \"127.0.0.91\","
                + " \"failed-session-count\": 2}]}]}";
    }
}
