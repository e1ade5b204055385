package dev.securedelivery.mailet;

import dev.securedelivery.posture.FailureCause;
import dev.securedelivery.posture.PostureStore;
import dev.securedelivery.posture.Protection;
import dev.securedelivery.posture.Publication;
import org.apache.james.metrics.api.MetricFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Counts each message's fate twice: in the posture history kept on disk (per day and domain), and
 * in James's metrics (per node, since start), named so that Prometheus can sum them across nodes:
 * {@code secureDelivery.posture.delivered.<protection>}, {@code secureDelivery.posture.deferred.<cause>},
 * {@code secureDelivery.posture.bounced.<cause>} ({@link Metrics#POSTURE}).
 */
final class PostureCounter {
    private static final Logger LOGGER = LoggerFactory.getLogger(PostureCounter.class);

    private final MetricFactory metrics;
    private final PostureStore store;

    /** @param store the history, or null to count in the metrics only */
    PostureCounter(MetricFactory metrics, PostureStore store) {
        this.metrics = metrics;
        this.store = store;
    }

    void delivered(String domain, Protection protection, Publication publication) {
        count(".delivered." + protection.metricName(), () -> store.delivered(domain, protection, publication));
    }

    void deferred(String domain, FailureCause cause, Publication publication) {
        count(".deferred." + cause.metricName(), () -> store.deferred(domain, cause, publication));
    }

    void bounced(String domain, FailureCause cause, Publication publication) {
        count(".bounced." + cause.metricName(), () -> store.bounced(domain, cause, publication));
    }

    // Counting runs between the fates of one message's recipients: a failure here must not reach the
    // delivery, which would take it for a failed delivery and defer recipients that already have a fate.
    private void count(String metric, Runnable inStore) {
        try {
            if (store != null) {
                inStore.run();
            }
            metrics.generate(Metrics.POSTURE + metric).increment();
        } catch (RuntimeException e) {
            LOGGER.warn("secure-delivery: a message's posture ({}) could not be counted: {}", metric, e.toString());
        }
    }
}
