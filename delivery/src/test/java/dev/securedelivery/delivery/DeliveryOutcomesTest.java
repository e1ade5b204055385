package dev.securedelivery.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import dev.securedelivery.policy.TlsRequirement;
import dev.securedelivery.smtp.DeliveryAttempt;
import dev.securedelivery.smtp.DeliveryAttempts;
import dev.securedelivery.smtp.PeerAuthentication;
import dev.securedelivery.tlsrpt.ResultType;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class DeliveryOutcomesTest {
    private static final Clock CLOCK = Clock.fixed(Instant.parse("2026-11-22T10:00:00Z"), ZoneOffset.UTC);

    @Test
    void attemptsAreCountedByAuthenticationAndOutcomeAndFailuresByType() {
        DeliveryOutcomes outcomes = new DeliveryOutcomes(CLOCK, 10);

        outcomes.attempt(
                "Example.TEST",
                DeliveryAttempts.policyFailure("mx1.example.test", TlsRequirement.DANE, ResultType.TLSA_INVALID));
        outcomes.attempt("example.test", DeliveryAttempts.unreachable("mx2.example.test", TlsRequirement.DANE));
        outcomes.attempt(
                "example.test",
                DeliveryAttempts.delivered(
                        "mx3.example.test", TlsRequirement.DANE, PeerAuthentication.DANE_EE, "3 1 1"));
        outcomes.message("example.test", Fate.DELIVERED);

        DeliveryOutcomes.DomainOutcomes counts = outcomes.of("example.test").orElseThrow();
        assertThat(counts.attempts())
                .containsExactlyInAnyOrderEntriesOf(Map.of(
                        new DeliveryOutcomes.AttemptKind(
                                PeerAuthentication.PLAINTEXT, DeliveryAttempt.Outcome.TEMPORARY_FAILURE),
                        2L,
                        new DeliveryOutcomes.AttemptKind(PeerAuthentication.DANE_EE, DeliveryAttempt.Outcome.DELIVERED),
                        1L));
        assertThat(counts.attempts().keySet())
                .extracting(DeliveryOutcomes.AttemptKind::label)
                .containsExactly("DANE-EE delivered", "plaintext temporary-failure");
        assertThat(counts.failures())
                .containsExactlyInAnyOrderEntriesOf(
                        Map.of(FailureCause.TLSA_INVALID, 1L, FailureCause.CONNECTION_OR_SMTP, 1L));
        assertThat(counts.messages()).containsExactly(Map.entry(Fate.DELIVERED, 1L));
        assertThat(counts.lastAttemptAt()).contains(CLOCK.instant());
        assertThat(counts.lastAttempt())
                .hasValueSatisfying(line ->
                        assertThat(line).startsWith("mx=mx3.example.test").contains("authentication=DANE-EE 3 1 1"));
    }

    @Test
    void aPlanThatAllowsNoHostIsAFailureOfItsType() {
        DeliveryOutcomes outcomes = new DeliveryOutcomes(CLOCK, 10);

        outcomes.planFailure("sts.test", Optional.of(ResultType.VALIDATION_FAILURE), "no MX host allowed");
        outcomes.planFailure("sts.test", Optional.empty(), "every host excluded");
        outcomes.message("sts.test", Fate.DEFERRED);

        DeliveryOutcomes.DomainOutcomes counts = outcomes.of("sts.test").orElseThrow();
        assertThat(counts.attempts()).isEmpty();
        assertThat(counts.failures())
                .containsExactlyInAnyOrderEntriesOf(
                        Map.of(FailureCause.VALIDATION_FAILURE, 1L, FailureCause.NO_USABLE_MX, 1L));
        assertThat(counts.lastAttempt()).contains("every host excluded");
        assertThat(counts.messages()).containsExactly(Map.entry(Fate.DEFERRED, 1L));
    }

    @Test
    void beyondItsBoundTheDomainUpdatedLeastRecentlyIsForgottenNotTheOneMerelyLookedAt() {
        DeliveryOutcomes outcomes = new DeliveryOutcomes(CLOCK, 2);
        outcomes.message("a.test", Fate.DELIVERED);
        outcomes.message("b.test", Fate.DELIVERED);
        outcomes.message("a.test", Fate.DELIVERED);
        outcomes.of("b.test");

        outcomes.message("c.test", Fate.BOUNCED);

        assertThat(outcomes.all()).containsOnlyKeys("a.test", "c.test");
    }

    @Test
    void theCountsHandedOutAreCopies() {
        DeliveryOutcomes outcomes = new DeliveryOutcomes(CLOCK, 10);
        outcomes.message("a.test", Fate.DELIVERED);
        DeliveryOutcomes.DomainOutcomes before = outcomes.of("a.test").orElseThrow();

        outcomes.message("a.test", Fate.DELIVERED);

        assertThat(before.messages()).containsExactly(Map.entry(Fate.DELIVERED, 1L));
        assertThat(outcomes.since()).isEqualTo(CLOCK.instant());
        assertThat(outcomes.of("unknown.test")).isEmpty();
    }
}
