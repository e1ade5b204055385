package dev.securedelivery.delivery;

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
    BOUNCED
}
