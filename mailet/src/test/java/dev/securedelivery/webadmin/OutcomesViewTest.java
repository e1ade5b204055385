package dev.securedelivery.webadmin;

import static org.assertj.core.api.Assertions.assertThat;

import dev.securedelivery.delivery.DeliveryOutcomes;
import dev.securedelivery.delivery.Fate;
import dev.securedelivery.smtp.DeliveryAttempt;
import dev.securedelivery.smtp.PeerAuthentication;
import dev.securedelivery.testing.TestClock;
import dev.securedelivery.tlsrpt.ResultType;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The JSON names of {@code /secure-delivery/outcomes}, which the counts' typed keys are turned into. */
class OutcomesViewTest {
    @Test
    void failuresAndMessagesAreNamedAsTheJsonAlwaysNamedThem() {
        DeliveryOutcomes outcomes = new DeliveryOutcomes(new TestClock(Instant.parse("2026-11-30T08:00:00Z")), 10);
        outcomes.planFailure("a.test", Optional.of(ResultType.STS_POLICY_FETCH_ERROR), "no policy");
        outcomes.planFailure("a.test", Optional.empty(), "every host excluded");
        outcomes.planFailure("a.test", Optional.empty(), "every host excluded");
        outcomes.message("a.test", Fate.DEFERRED);
        outcomes.message("a.test", Fate.BOUNCED);
        outcomes.message("a.test", Fate.DELIVERED);

        Map<String, Object> view =
                SecureDeliveryViews.outcomes("a.test", outcomes.of("a.test").orElseThrow());

        assertThat(view).containsOnlyKeys("domain", "messages", "attempts", "failures", "lastAttemptAt", "lastAttempt");
        assertThat(view.get("failures")).isEqualTo(Map.of("no-usable-mx", 2L, "sts-policy-fetch-error", 1L));
        // In the names' order, as the JSON always listed them.
        assertThat(List.copyOf(((Map<?, ?>) view.get("messages")).keySet()))
                .isEqualTo(List.of("bounced", "deferred", "delivered"));
        assertThat(view.get("attempts")).isEqualTo(Map.of());
        assertThat(view.get("lastAttempt")).isEqualTo("every host excluded");
    }

    @Test
    void anAttemptKindIsNamedByItsAuthenticationAndOutcome() {
        assertThat(new DeliveryOutcomes.AttemptKind(
                                PeerAuthentication.DANE_TA, DeliveryAttempt.Outcome.PERMANENT_FAILURE)
                        .label())
                .isEqualTo("DANE-TA permanent-failure");
    }
}
