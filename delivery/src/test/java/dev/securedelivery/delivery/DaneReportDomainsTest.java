package dev.securedelivery.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import dev.securedelivery.tlsrpt.ReportedPolicy;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class DaneReportDomainsTest {
    private static final Instant NOON = Instant.parse("2026-11-30T12:00:00Z");

    private final DaneReportDomains domains = new DaneReportDomains(Duration.ofDays(1));

    @Test
    void aDestinationNamingNewMxHostsAtEachLookupIsReportedUnderAtMostItsShareOfNames() {
        for (int i = 0; i < DaneReportDomains.MAX_PER_DESTINATION; i++) {
            assertThat(domains.admits("hostile.example", dane("mx" + i + ".hostile.example"), NOON))
                    .isTrue();
        }

        assertThat(domains.admits("hostile.example", dane("mx-new.hostile.example"), NOON))
                .isFalse();
        assertThat(domains.admits("hostile.example", dane("mx-newer.hostile.example"), NOON))
                .isFalse();
        // Names it had before are still reported, and so is every other destination.
        assertThat(domains.admits("hostile.example", dane("mx0.hostile.example"), NOON))
                .isTrue();
        assertThat(domains.admits("honest.example", dane("mx.honest.example"), NOON))
                .isTrue();
        // Its MTA-STS and no-policy-found sessions go to its own report, which it cannot multiply.
        assertThat(domains.admits("hostile.example", ReportedPolicy.noPolicyFound("hostile.example"), NOON))
                .isTrue();
    }

    @Test
    void aNewPeriodStartsAnew() {
        for (int i = 0; i <= DaneReportDomains.MAX_PER_DESTINATION; i++) {
            domains.admits("hostile.example", dane("mx" + i + ".hostile.example"), NOON);
        }
        assertThat(domains.admits("hostile.example", dane("mx-new.hostile.example"), NOON))
                .isFalse();

        assertThat(domains.admits("hostile.example", dane("mx-new.hostile.example"), NOON.plus(Duration.ofDays(1))))
                .isTrue();
    }

    private static ReportedPolicy dane(String host) {
        return ReportedPolicy.tlsa(host, host, List.of("3 1 1 aa"));
    }
}
