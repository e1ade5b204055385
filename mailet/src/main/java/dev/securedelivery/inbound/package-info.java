/**
 * The RFC 8460 TLS reports other MTAs send about mail to this James's domains: {@link
 * dev.securedelivery.inbound.InboundTlsReports} (the mailet that takes them from report mail) and
 * {@link dev.securedelivery.inbound.InboundReports} (where they are kept, and what WebAdmin and the
 * dashboard read). The parsing is James-free, in {@link dev.securedelivery.tlsrpt.ReceivedReportParser}.
 */
package dev.securedelivery.inbound;
