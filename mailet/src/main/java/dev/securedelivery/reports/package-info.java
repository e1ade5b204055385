/**
 * SMTP TLS Reporting, RFC 8460, in the delivery mailet: recording its sessions and sending the
 * aggregate reports (the counting and the report's JSON are in {@code dev.securedelivery.tlsrpt}):
 * <ul>
 *   <li>{@link dev.securedelivery.delivery.TlsRptRecorder} (in the delivery core): each session under the policy it was held
 *       to (4.3, 4.4);</li>
 *   <li>{@link dev.securedelivery.reports.TlsReports}: at the end of each period (a UTC day by
 *       default, 4.1) one report per policy domain, to the {@code rua} URIs of its
 *       {@code _smtp._tls} record (3), retried with back-off for 24 hours (5.5);</li>
 *   <li>{@link dev.securedelivery.reports.ReportMessage}: a {@code mailto:} report, the message of
 *       5.3, handed to James's mail pipeline so that the administrator's DKIMSign signs it (3);</li>
 *   <li>{@link dev.securedelivery.reports.ReportUpload}: an {@code https:} report, the POST of 5.4,
 *       within a deadline, to global unicast addresses only
 *       ({@link dev.securedelivery.reports.UploadAddressFilter});</li>
 *   <li>{@link dev.securedelivery.reports.ReportOutbox}: reports not sent yet, on disk, so that a
 *       restart loses none.</li>
 * </ul>
 */
package dev.securedelivery.reports;
