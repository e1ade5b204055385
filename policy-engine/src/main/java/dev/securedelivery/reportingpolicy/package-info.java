/**
 * SMTP TLS Reporting's reporting policy, RFC 8460 3: a domain that wants to hear how other MTAs'
 * TLS sessions to it went publishes a TXT record at {@code _smtp._tls.<domain>}, naming where
 * reports go. {@link dev.securedelivery.reportingpolicy.TlsRptDiscovery} finds it: for sending a
 * day's report, and for the posture history's "publishes TLS-RPT".
 *
 * <p>The record's syntax is {@link dev.securedelivery.tlsrpt.TlsRptRecord}'s (tlsrpt module). No
 * record and an invalid one both mean the domain gets no report (3); a failed or DNSSEC-bogus lookup
 * is neither, since a forged answer must not be able to say "no reports" or redirect them.
 */
package dev.securedelivery.reportingpolicy;
