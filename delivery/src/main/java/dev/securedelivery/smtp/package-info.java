/**
 * The SMTP client side of secure delivery: one session to one address of one MX host, held to the
 * {@link dev.securedelivery.policy.TlsRequirement} its plan says, bounded in bytes and time
 * ({@link dev.securedelivery.smtp.SmtpLimits}). STARTTLS is required where TLS is; the server is
 * authenticated by its TLSA records (RFC 7672 3), by PKIX and its MX name (RFC 8461 4.2), or not at
 * all; SNI names the TLSA base domain or the MX host (RFC 7672 8.1, RFC 7671 10.2).
 *
 * <p>Replies are values ({@link dev.securedelivery.smtp.SmtpReply}: the code, the enhanced status
 * code of RFC 3463 as an {@link dev.securedelivery.smtp.EnhancedStatus}, the text cleaned of control
 * characters and capped). Every session ends in a {@link dev.securedelivery.smtp.DeliveryAttempt}:
 * how far it got, how the peer was authenticated or why the policy stopped it (with its RFC 8460
 * result type), and per recipient whether the server took the message, refused it for good or it
 * was not sent.
 *
 * <p>Why our own client rather than javax.mail: javax.mail reads replies without bounds (an endless
 * multi-line reply exhausts the heap), has no write timeout, reports recipients through exceptions
 * whose codes must be sniffed from text, and ties the core to one of javax or Jakarta Mail.
 */
package dev.securedelivery.smtp;
