/**
 * Posture history: per UTC day and destination domain, how many messages left by which protection
 * ({@link dev.securedelivery.posture.Protection}), how many were deferred or bounced and why
 * ({@link dev.securedelivery.delivery.FailureCause}), and what the domain publishes. Kept on disk by
 * {@link dev.securedelivery.posture.PostureStore}, shown by {@link dev.securedelivery.posture.PostureViews}
 * (WebAdmin and the command line give the same JSON). Free of James.
 */
package dev.securedelivery.posture;
