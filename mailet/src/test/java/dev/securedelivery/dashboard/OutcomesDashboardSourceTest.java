package dev.securedelivery.dashboard;

import static org.assertj.core.api.Assertions.assertThat;

import dev.securedelivery.delivery.DeliveryOutcomes;
import dev.securedelivery.mtasts.CachedMtaSts;
import dev.securedelivery.mtasts.MtaStsLookup;
import dev.securedelivery.mtasts.MtaStsMode;
import dev.securedelivery.policy.TlsRequirement;
import dev.securedelivery.smtp.DeliveryAttempts;
import dev.securedelivery.tlsrpt.ResultType;
import java.time.Clock;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class OutcomesDashboardSourceTest {
    private static final Instant NOW = Instant.parse("2026-11-30T10:00:00Z");
    private static final LocalDate TODAY = LocalDate.of(2026, 11, 30);

    private final DeliveryOutcomes outcomes = new DeliveryOutcomes(Clock.fixed(NOW, ZoneOffset.UTC), 100);
    private final List<MtaStsLookup> cache = List.of(
            CachedMtaSts.policy("enforced.example", MtaStsMode.ENFORCE),
            CachedMtaSts.policy("testing.example", MtaStsMode.TESTING),
            CachedMtaSts.noPolicy("plain.example"));
    private final OutcomesDashboardSource source =
            new OutcomesDashboardSource("node1", outcomes, () -> cache, Clock.fixed(NOW, ZoneOffset.UTC));

    @Test
    void deliveredAttemptsCountByTheProtectionTheyGot() {
        outcomes.attempt("dane.example", DeliveryAttempts.delivered("mx", TlsRequirement.DANE, "DANE-EE"));
        outcomes.attempt("dane.example", DeliveryAttempts.delivered("mx", TlsRequirement.DANE, "DANE-TA"));
        outcomes.attempt("enforced.example", DeliveryAttempts.delivered("mx", TlsRequirement.PKIX, "PKIX"));
        outcomes.attempt("testing.example", DeliveryAttempts.delivered("mx", TlsRequirement.PKIX, "PKIX"));
        outcomes.attempt("plain.example", DeliveryAttempts.delivered("mx", TlsRequirement.OPPORTUNISTIC, "none"));
        outcomes.attempt("plain.example", DeliveryAttempts.unreachable("mx", TlsRequirement.OPPORTUNISTIC));
        outcomes.message("plain.example", "deferred");
        outcomes.message("plain.example", "deferred");
        outcomes.message("testing.example", "bounced");

        DashboardData data = source.load(TODAY.minusDays(29), TODAY);

        assertThat(data.node()).isEqualTo("node1");
        assertThat(data.days()).hasSize(1);
        DashboardData.Day today = data.day(TODAY);
        assertThat(today.delivered().get(Protection.DANE)).isEqualTo(2);
        assertThat(today.delivered().get(Protection.MTA_STS)).isEqualTo(1);
        assertThat(today.delivered().get(Protection.PKIX)).isEqualTo(1);
        assertThat(today.delivered().get(Protection.TLS)).isEqualTo(1);
        assertThat(today.delivered().get(Protection.PLAINTEXT)).isZero();
        assertThat(today.deferred()).isEqualTo(2);
        assertThat(today.bounced()).isEqualTo(1);

        // Busiest first (delivered, deferred and bounced messages); dane.example and testing.example
        // have 2 each: by name.
        assertThat(data.domains())
                .extracting(DashboardData.Domain::name)
                .containsExactly("plain.example", "dane.example", "testing.example", "enforced.example");
        DashboardData.Domain plain = data.domains().get(0);
        assertThat(plain.publishes(Publication.MTA_STS)).hasValue(false);
        assertThat(plain.publishes(Publication.DANE)).isEmpty();
        assertThat(plain.publishes(Publication.TLS_RPT)).isEmpty();
        assertThat(data.domains().get(1).publishes(Publication.DANE)).hasValue(true);
        assertThat(data.domains().get(2).publishes(Publication.MTA_STS)).hasValue(true);
        assertThat(data.sourceNote())
                .hasValueSatisfying(note -> assertThat(note).contains("since James started"));
    }

    @Test
    void policyFailuresAreListedWithTheirTypeAndOtherFailuresAreNot() {
        outcomes.attempt(
                "strict.example", DeliveryAttempts.policyFailure("mx", TlsRequirement.DANE, ResultType.TLSA_INVALID));
        outcomes.attempt(
                "strict.example", DeliveryAttempts.policyFailure("mx", TlsRequirement.DANE, ResultType.TLSA_INVALID));
        outcomes.attempt("down.example", DeliveryAttempts.unreachable("mx", TlsRequirement.OPPORTUNISTIC));
        outcomes.planFailure("nomx.example", Optional.empty(), "no MX host allowed");

        DashboardData data = source.load(TODAY, TODAY);

        assertThat(data.failures()).hasSize(1);
        DashboardData.Failure failure = data.failures().get(0);
        assertThat(failure.domain()).isEqualTo("strict.example");
        assertThat(failure.cause()).isEqualTo(ResultType.TLSA_INVALID);
        assertThat(failure.count()).isEqualTo(2);
        assertThat(failure.lastSeen()).isEqualTo(NOW);
        assertThat(failure.detail()).startsWith("The domain's last attempt: ");
    }

    @Test
    void aPeriodWithoutTodayHasNoFigures() {
        outcomes.attempt("dane.example", DeliveryAttempts.delivered("mx", TlsRequirement.DANE, "DANE-EE"));

        DashboardData data = source.load(LocalDate.of(2026, 10, 1), LocalDate.of(2026, 10, 31));

        assertThat(data.days()).isEmpty();
        assertThat(data.domains()).isEmpty();
        assertThat(data.total().delivered().total()).isZero();
    }
}
