/**
 * What James 3.8.1's SMTP server lacks to receive REQUIRETLS (RFC 8689 2, 4.1): one handler for
 * {@code smtpserver.xml}'s handler chain that offers the EHLO keyword over TLS, accepts the MAIL FROM
 * parameter over TLS only, and tags the received mail for the delivery mailet.
 */
package dev.securedelivery.smtpserver;
