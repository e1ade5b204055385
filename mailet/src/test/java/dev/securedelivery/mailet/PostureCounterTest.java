package dev.securedelivery.mailet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import dev.securedelivery.delivery.FailureCause;
import dev.securedelivery.posture.PostureStore;
import dev.securedelivery.posture.Protection;
import dev.securedelivery.posture.Publication;
import dev.securedelivery.testing.TestClock;
import java.lang.reflect.Proxy;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import org.apache.james.metrics.api.MetricFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PostureCounterTest {
    @TempDir
    Path directory;

    // Every method of this factory fails, as a broken metrics back end would.
    private static final MetricFactory BROKEN_METRICS = (MetricFactory) Proxy.newProxyInstance(
            MetricFactory.class.getClassLoader(), new Class<?>[] {MetricFactory.class}, (proxy, method, args) -> {
                throw new IllegalStateException("metrics are down");
            });

    @Test
    void aFailureToCountNeverReachesTheDeliveryAndTheHistoryStillCounts() throws Exception {
        TestClock clock = new TestClock(Instant.parse("2026-11-30T10:00:00Z"));
        try (PostureStore store = PostureStore.open(directory, 90, 1000, clock)) {
            PostureCounter counter = new PostureCounter(BROKEN_METRICS, store, null);

            assertThatCode(() -> {
                        counter.delivered(() -> "example.test", () -> Protection.DANE, () -> Publication.UNKNOWN);
                        counter.deferred(
                                () -> "example.test", () -> FailureCause.TLSA_INVALID, () -> Publication.UNKNOWN);
                        counter.bounced(() -> "example.test", () -> FailureCause.NULL_MX, () -> Publication.UNKNOWN);
                    })
                    .doesNotThrowAnyException();

            LocalDate today = LocalDate.parse("2026-11-30");
            assertThat(store.between(today, today)
                            .get(today)
                            .get("example.test")
                            .delivered(Protection.DANE))
                    .isEqualTo(1);
        }
    }
}
