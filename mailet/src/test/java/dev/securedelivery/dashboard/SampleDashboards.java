package dev.securedelivery.dashboard;

import dev.securedelivery.posture.Protection;
import dev.securedelivery.tlsrpt.PolicyType;
import dev.securedelivery.tlsrpt.ResultType;
import java.time.Instant;
import java.time.LocalDate;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/** Dashboards with known figures for the page's tests, peers' hostile names among them. */
public final class SampleDashboards {
    /** A domain name a hostile recipient domain could carry (DNS labels can hold any octet). */
    public static final String HOSTILE_DOMAIN = "<script>window.pwned=1</script>.example";

    /** An organisation name breaking out of an attribute. */
    public static final String HOSTILE_ORGANISATION = "Evil \"onload=\"window.pwned=2\" <img src=x onerror=alert(1)>";

    /** An MX host name with markup and an entity. */
    public static final String HOSTILE_MX = "mx.<b>bold</b>&amp;.example";

    public static final LocalDate FROM = LocalDate.of(2026, 11, 1);
    public static final LocalDate TO = LocalDate.of(2026, 11, 30);
    public static final String NODE = "james-mx1";

    private SampleDashboards() {}

    /** November 2026 on node {@value #NODE}: mail on every day but the 8th and 9th, hostile names included. */
    public static DashboardData november() {
        DashboardData.Builder data = DashboardData.builder(NODE, Instant.parse("2026-12-01T06:30:00Z"), FROM, TO);
        for (LocalDate day = FROM; !day.isAfter(TO); day = day.plusDays(1)) {
            int n = day.getDayOfMonth();
            if (n == 8 || n == 9) {
                continue;
            }
            // Varied, deterministic figures: DANE and MTA-STS grow over the month, plaintext shrinks.
            data.day(new DashboardData.Day(
                    day, counts(40 + 3 * n, 120 + 2 * n, 15 + n % 4, 60 - n, 12 - n / 3), n % 5, n % 7 == 0 ? 2 : 0));
        }
        data.domain(
                new DashboardData.Domain("gmail.com", counts(0, 1500, 0, 20, 0), 4, 1, publishes(true, false, true)));
        data.domain(new DashboardData.Domain("posteo.de", counts(900, 0, 0, 0, 0), 0, 0, publishes(true, true, true)));
        data.domain(new DashboardData.Domain(
                "example-partner.org", counts(0, 0, 120, 300, 0), 12, 3, Map.of(PublishedStandard.MTA_STS, false)));
        data.domain(new DashboardData.Domain(
                HOSTILE_DOMAIN, counts(0, 0, 0, 10, 25), 0, 0, publishes(false, false, false)));
        data.domain(new DashboardData.Domain("quiet.example", counts(0, 0, 0, 0, 0), 7, 0, Map.of()));
        data.failure(new DashboardData.Failure(
                LocalDate.of(2026, 11, 29), "example-partner.org", ResultType.CERTIFICATE_EXPIRED, 12, 0));
        data.failure(new DashboardData.Failure(
                LocalDate.of(2026, 11, 20), HOSTILE_DOMAIN, ResultType.STARTTLS_NOT_SUPPORTED, 1, 2));
        data.inboundReports(new DashboardData.InboundReports(
                "Google Inc.",
                "our-company.example",
                PolicyType.STS,
                30,
                48210,
                12,
                List.of(new DashboardData.MxFailures("mx2.our-company.example", "certificate-expired", 12))));
        data.inboundReports(new DashboardData.InboundReports(
                HOSTILE_ORGANISATION,
                "our-company.example",
                PolicyType.TLSA,
                2,
                0,
                7,
                List.of(
                        new DashboardData.MxFailures(HOSTILE_MX, "<i>made-up-type</i>", 5),
                        new DashboardData.MxFailures("", "validation-failure", 2))));
        return data.build();
    }

    /** A period with nothing at all. */
    public static DashboardData empty() {
        return DashboardData.builder(NODE, Instant.parse("2026-12-01T06:30:00Z"), FROM, TO)
                .build();
    }

    static ProtectionCounts counts(long dane, long mtaSts, long pkix, long tls, long plaintext) {
        Map<Protection, Long> counts = new EnumMap<>(Protection.class);
        counts.put(Protection.DANE, dane);
        counts.put(Protection.MTA_STS, mtaSts);
        counts.put(Protection.PKIX, pkix);
        counts.put(Protection.TLS, tls);
        counts.put(Protection.PLAINTEXT, plaintext);
        return ProtectionCounts.of(counts);
    }

    private static Map<PublishedStandard, Boolean> publishes(boolean mtaSts, boolean dane, boolean tlsRpt) {
        return Map.of(
                PublishedStandard.MTA_STS, mtaSts, PublishedStandard.DANE, dane, PublishedStandard.TLS_RPT, tlsRpt);
    }
}
