package dev.securedelivery.integration;

import javax.inject.Inject;
import org.apache.james.metrics.api.MetricFactory;
import org.apache.james.utils.GuiceProbe;

/** Reads the counters James's own {@link MetricFactory} holds, as WebAdmin's metrics would show them. */
public final class MetricsProbe implements GuiceProbe {
    private final MetricFactory metrics;

    @Inject
    MetricsProbe(MetricFactory metrics) {
        this.metrics = metrics;
    }

    long count(String name) {
        return metrics.generate(name).getCount();
    }
}
