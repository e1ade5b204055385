/**
 * The SMTP client side of secure delivery: one connection to one address of one MX host, held to
 * the {@link dev.securedelivery.policy.TlsRequirement} its plan says, through javax.mail (the
 * version James 3.8.1 runs on). STARTTLS is required where TLS is; the server is authenticated by
 * its TLSA records (RFC 7672 3), by PKIX and its MX name (RFC 8461 4.2), or not at all; SNI names
 * the TLSA base domain or the MX host (RFC 7672 8.1, RFC 7671 10.2). Every attempt ends in a
 * {@link dev.securedelivery.smtp.DeliveryAttempt} that says how the peer was authenticated, or
 * why the policy stopped the connection, with the enhanced status code (RFC 3463) and the RFC 8460
 * result type.
 */
package dev.securedelivery.smtp;
