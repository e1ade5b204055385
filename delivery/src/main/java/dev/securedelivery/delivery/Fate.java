package dev.securedelivery.delivery;

import java.util.Locale;

/**
 * What became of a recipient after one delivery: exactly one of these, once. A deferred recipient
 * is tried again later (and bounced when its retries are spent); delivered and bounced are final.
 */
public enum Fate {
    /** A server took the message for the recipient (2xx to the end of DATA). */
    DELIVERED,
    /** Not now: try again later. */
    DEFERRED,
    /** Refused for good: a 5xx naming the recipient or its transaction, or a domain that takes no mail. */
    BOUNCED;

    /** As JSON and metric names write it: {@code delivered}, {@code deferred}, {@code bounced}. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
