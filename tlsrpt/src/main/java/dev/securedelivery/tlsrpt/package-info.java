/**
 * SMTP TLS Reporting, RFC 8460.
 *
 * <ul>
 *   <li>{@link dev.securedelivery.tlsrpt.ResultType}: the result types of section 4.3, which every
 *       transport-security failure of the other packages is classified by;</li>
 *   <li>{@link dev.securedelivery.tlsrpt.TlsRptRecord}: the {@code _smtp._tls} record of section 3;</li>
 *   <li>{@link dev.securedelivery.tlsrpt.SessionCounts} and {@link dev.securedelivery.tlsrpt.SessionJournal}:
 *       sessions counted per period, policy domain and policy (section 4), kept across restarts;</li>
 *   <li>{@link dev.securedelivery.tlsrpt.TlsRptReport}: the aggregate report's JSON of section 4.4.</li>
 *   <li>{@link dev.securedelivery.tlsrpt.ReceivedReportParser}: the reports other MTAs send us (4.4, 5.3),
 *       read strictly and within bounds into {@link dev.securedelivery.tlsrpt.ReceivedReport}s.</li>
 * </ul>
 * Recording from the delivery mailet and sending reports (section 5) live with the mailet, in
 * {@code dev.securedelivery.reports}.
 */
package dev.securedelivery.tlsrpt;
