/**
 * The delivery core, free of James and of any mail API: one message (an {@link
 * dev.securedelivery.delivery.Envelope}, its content as bytes) to the MX hosts of one domain, and a
 * {@link dev.securedelivery.delivery.RecipientFate} for every recipient: delivered, deferred or
 * bounced, exactly once, with an enhanced status code as a value (RFC 3463), the cause in words and
 * the RFC 8460 result type where the TLS policy was the cause. Here too: the sessions recorded for
 * TLS reports ({@link dev.securedelivery.delivery.TlsRptRecorder}) and the counts per domain
 * operators read ({@link dev.securedelivery.delivery.DeliveryOutcomes}).
 *
 * <p>The queue, retries and their delays, bounces and DSNs are the host's: James's, in the mailet.
 */
package dev.securedelivery.delivery;
