package dev.securedelivery.mailet;

import dev.securedelivery.posture.FailureCause;
import dev.securedelivery.posture.PostureStore;
import dev.securedelivery.posture.Protection;
import dev.securedelivery.posture.Publication;
import org.apache.james.metrics.api.MetricFactory;

/**
 * Counts each message's fate twice: in the posture history kept on disk (per day and domain), and
 * in James's metrics (per node, since start), named so that Prometheus can sum them across nodes:
 * {@code secureDelivery.posture.delivered.<protection>}, {@code secureDelivery.posture.deferred.<cause>},
 * {@code secureDelivery.posture.bounced.<cause>} ({@link Metrics#POSTURE}).
 */
final class PostureCounter {
    private final MetricFactory metrics;
    private final PostureStore store;

    /** @param store the history, or null to count in the metrics only */
    PostureCounter(MetricFactory metrics, PostureStore store) {
        this.metrics = metrics;
        this.store = store;
    }

    void delivered(String domain, Protection protection, Publication publication) {
        metrics.generate(Metrics.POSTURE + ".delivered." + protection.metricName())
                .increment();
        if (store != null) {
            store.delivered(domain, protection, publication);
        }
    }

    void deferred(String domain, FailureCause cause, Publication publication) {
        metrics.generate(Metrics.POSTURE + ".deferred." + cause.metricName()).increment();
        if (store != null) {
            store.deferred(domain, cause, publication);
        }
    }

    void bounced(String domain, FailureCause cause, Publication publication) {
        metrics.generate(Metrics.POSTURE + ".bounced." + cause.metricName()).increment();
        if (store != null) {
            store.bounced(domain, cause, publication);
        }
    }
}
