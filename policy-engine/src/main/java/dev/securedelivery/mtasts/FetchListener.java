package dev.securedelivery.mtasts;

import dev.securedelivery.tlsrpt.ResultType;

/** Told when each policy fetch starts and ends, for metrics such as fetch latency. */
@FunctionalInterface
public interface FetchListener {
    /** A fetch of {@code domain}'s policy starts; the returned callback is told when it ends. */
    Completion started(String domain);

    /** The end of one fetch. */
    @FunctionalInterface
    interface Completion {
        /** @param failure the failure's result type, or null for a fetched policy */
        void ended(ResultType failure);
    }

    FetchListener NONE = domain -> failure -> {};
}
