package dev.securedelivery.mailet;

import dev.securedelivery.delivery.FailureCause;
import dev.securedelivery.posture.PostureHistory;
import dev.securedelivery.posture.Protection;
import dev.securedelivery.posture.Publication;
import dev.securedelivery.posture.TlsRptProbe;
import java.util.function.Consumer;
import java.util.function.Supplier;
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
    private final PostureHistory store;
    private final TlsRptProbe tlsRpt;

    /**
     * @param store the history, or null to count in the metrics only
     * @param tlsRpt asks whether the domains publish TLS-RPT, for the history; null for no asking
     */
    PostureCounter(MetricFactory metrics, PostureHistory store, TlsRptProbe tlsRpt) {
        this.metrics = metrics;
        this.store = store;
        this.tlsRpt = tlsRpt;
    }

    // Each value is worked out inside the guard: it is read from the delivery's result, and a failure to
    // read it must not reach the delivery either.
    void delivered(Supplier<String> domain, Supplier<Protection> protection, Supplier<Publication> publication) {
        count(() -> {
            Protection by = protection.get();
            inHistory(domain, to -> store.delivered(to, by, publication.get()));
            return ".delivered." + by.metricName();
        });
    }

    void deferred(Supplier<String> domain, Supplier<FailureCause> cause, Supplier<Publication> publication) {
        count(() -> {
            FailureCause why = cause.get();
            inHistory(domain, to -> store.deferred(to, why, publication.get()));
            return ".deferred." + why.metricName();
        });
    }

    void bounced(Supplier<String> domain, Supplier<FailureCause> cause, Supplier<Publication> publication) {
        count(() -> {
            FailureCause why = cause.get();
            inHistory(domain, to -> store.bounced(to, why, publication.get()));
            return ".bounced." + why.metricName();
        });
    }

    // The message counted in the posture history, if there is one, and its domain's TLS-RPT record asked for.
    private void inHistory(Supplier<String> domain, Consumer<String> counting) {
        if (store == null) {
            return;
        }
        String to = domain.get();
        counting.accept(to);
        if (tlsRpt != null) {
            tlsRpt.messageCounted(to);
        }
    }

    // Counting runs between the fates of one message's recipients: a failure here must not reach the
    // delivery, which would take it for a failed delivery and defer recipients that already have a fate.
    private void count(Supplier<String> inStore) {
        try {
            metrics.generate(Metrics.POSTURE + inStore.get()).increment();
        } catch (RuntimeException | LinkageError e) {
            LOGGER.warn("secure-delivery: a message's posture could not be counted: {}", e.toString());
        }
    }
}
