package dev.securedelivery.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import dev.securedelivery.policy.TlsRequirement;
import dev.securedelivery.smtp.DeliveryAttempt;
import dev.securedelivery.smtp.DeliveryAttempts;
import dev.securedelivery.smtp.PeerAuthentication;
import dev.securedelivery.testing.TestClock;
import dev.securedelivery.tlsrpt.ResultType;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import org.junit.jupiter.api.Test;

/**
 * What every {@link OutcomesByNode} does, whoever keeps it (this node alone, a store the nodes share):
 * each implementation's test extends it. This node's counts are read back whole and current, under its
 * name, with when it started counting and its last attempt.
 */
public abstract class OutcomesByNodeContract {
    protected final TestClock clock = new TestClock(Instant.parse("2026-03-10T12:00:00Z"));

    /** The outcomes of the nodes, this one ({@code node}) counting in {@code outcomes}. */
    protected abstract OutcomesByNode open(String node, DeliveryOutcomes outcomes) throws Exception;

    @Test
    public void thisNodesCountsAreReadBackWholeUnderItsName() throws Exception {
        DeliveryOutcomes outcomes = new DeliveryOutcomes(clock, 100);
        OutcomesByNode nodes = open("one", outcomes);
        outcomes.attempt(
                "a.example",
                DeliveryAttempts.delivered("mx.a.example", TlsRequirement.DANE, PeerAuthentication.DANE_EE, "3 1 1"));
        outcomes.attempt("a.example", DeliveryAttempts.unreachable("mx2.a.example", TlsRequirement.DANE));
        outcomes.message("a.example", Fate.DELIVERED);
        clock.advance(Duration.ofMinutes(1));
        outcomes.planFailure("b.example", Optional.of(ResultType.VALIDATION_FAILURE), "no MX host allowed");
        outcomes.message("b.example", Fate.DEFERRED);

        SortedMap<String, OutcomesByNode.NodeOutcomes> read = nodes.read();

        assertThat(read).containsKey("one");
        OutcomesByNode.NodeOutcomes one = read.get("one");
        assertThat(one.since()).isEqualTo(Instant.parse("2026-03-10T12:00:00Z"));
        assertThat(one.domains()).containsOnlyKeys("a.example", "b.example");
        DeliveryOutcomes.DomainOutcomes a = one.domains().get("a.example");
        assertThat(a.attempts())
                .containsExactlyInAnyOrderEntriesOf(Map.of(
                        new DeliveryOutcomes.AttemptKind(PeerAuthentication.DANE_EE, DeliveryAttempt.Outcome.DELIVERED),
                        1L,
                        new DeliveryOutcomes.AttemptKind(
                                PeerAuthentication.PLAINTEXT, DeliveryAttempt.Outcome.TEMPORARY_FAILURE),
                        1L));
        assertThat(a.failures()).containsExactly(Map.entry(FailureCause.CONNECTION_OR_SMTP, 1L));
        assertThat(a.messages()).containsExactly(Map.entry(Fate.DELIVERED, 1L));
        assertThat(a.lastAttemptAt()).contains(Instant.parse("2026-03-10T12:00:00Z"));
        DeliveryOutcomes.DomainOutcomes b = one.domains().get("b.example");
        assertThat(b.failures()).containsExactly(Map.entry(FailureCause.VALIDATION_FAILURE, 1L));
        assertThat(b.lastAttempt()).contains("no MX host allowed");
        assertThat(b.lastAttemptAt()).contains(Instant.parse("2026-03-10T12:01:00Z"));

        // Later counts are read too, not a copy taken once.
        outcomes.message("b.example", Fate.BOUNCED);
        assertThat(nodes.read().get("one").domains().get("b.example").messages())
                .containsEntry(Fate.BOUNCED, 1L)
                .containsEntry(Fate.DEFERRED, 1L);
        assertThat(OutcomesByNode.total(nodes.read()).keySet()).containsExactly("a.example", "b.example");
    }
}
