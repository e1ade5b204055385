package dev.securedelivery.tlsrpt;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * What every {@link SessionCountStore} does, whoever keeps the counts (this node's journal, a
 * store the nodes share): each implementation's test extends it. Sessions counted are read back per
 * period and policy domain, across a reopening, and forgotten with their period.
 */
public abstract class SessionCountStoreContract {
    protected static final Duration DAY = Duration.ofDays(1);
    protected static final Instant MORNING = Instant.parse("2026-11-30T08:00:00Z");
    protected static final ReportedPolicy DEST = ReportedPolicy.sts(
            "dest.test", "version: STSv1\nmode: enforce\nmx: mx.dest.test\nmax_age: 86400", List.of("mx.dest.test"));
    protected static final ReportedPolicy OTHER = ReportedPolicy.noPolicyFound("other.test");
    protected static final FailureDetail EXPIRED = FailureDetail.builder(
                    ResultType.CERTIFICATE_EXPIRED.reportName(), "192.0.2.1", "mx.dest.test", "198.51.100.25")
            .build();

    /** A store of {@code node}'s counts; a second call for the same node is that node started again. */
    protected abstract SessionCountStore open(String node) throws Exception;

    @Test
    public void sessionsAreReadBackPerPeriodAndPolicyDomain() throws Exception {
        try (SessionCountStore store = open("one")) {
            store.success(DEST, MORNING);
            store.success(DEST, MORNING.plusSeconds(60));
            store.failure(DEST, EXPIRED, MORNING.plusSeconds(120));
            store.success(OTHER, MORNING);

            ReportPeriod period = ReportPeriod.containing(MORNING, DAY);
            assertThat(store.periods()).containsExactly(period);
            assertThat(store.domains(period)).containsExactlyInAnyOrder("dest.test", "other.test");
            Map<ReportedPolicy, PolicyResults> dest = store.of(period, "dest.test");
            assertThat(dest).containsOnlyKeys(DEST);
            assertThat(dest.get(DEST).successfulSessions()).isEqualTo(2);
            assertThat(dest.get(DEST).failureDetails()).containsExactly(Map.entry(EXPIRED, 1L));
            assertThat(store.uncounted(period)).isZero();
            assertThat(store.periodLength()).isEqualTo(DAY);
        }
    }

    @Test
    public void countsOutliveARestartAndGoWithTheirPeriod() throws Exception {
        ReportPeriod first = ReportPeriod.containing(MORNING, DAY);
        ReportPeriod second = ReportPeriod.containing(MORNING.plus(DAY), DAY);
        try (SessionCountStore store = open("one")) {
            store.success(DEST, MORNING);
            store.failure(DEST, EXPIRED, MORNING.plus(DAY));
        }
        try (SessionCountStore again = open("one")) {
            assertThat(again.periods()).containsExactly(first, second);
            assertThat(again.of(first, "dest.test").get(DEST).successfulSessions())
                    .isEqualTo(1);

            again.forget(first);

            assertThat(again.periods()).containsExactly(second);
            assertThat(again.of(first, "dest.test")).isEmpty();
            assertThat(again.of(second, "dest.test").get(DEST).failedSessions()).isEqualTo(1);
        }
    }

    @Test
    public void aPeriodWithoutSessionsHoldsNothing() throws Exception {
        try (SessionCountStore store = open("one")) {
            ReportPeriod period = ReportPeriod.containing(MORNING, DAY);
            assertThat(store.periods()).isEmpty();
            assertThat(store.domains(period)).isEmpty();
            assertThat(store.of(period, "dest.test")).isEmpty();
            assertThat(store.uncounted(period)).isZero();
        }
    }
}
