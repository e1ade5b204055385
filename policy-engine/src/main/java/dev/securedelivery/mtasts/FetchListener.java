package dev.securedelivery.mtasts;

import dev.securedelivery.tlsrpt.ResultType;
import java.time.Duration;

/** Told of every policy fetch the engine makes, for metrics. */
@FunctionalInterface
public interface FetchListener {
    /**
     * @param failure the failure's result type, or null for a successful fetch
     */
    void fetched(String domain, Duration elapsed, ResultType failure);

    FetchListener NONE = (domain, elapsed, failure) -> { };
}
