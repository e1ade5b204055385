/**
 * Text a peer chose, made safe before we write it anywhere.
 *
 * <p>Every peer this server talks to for outbound mail is chosen by whoever controls a recipient
 * domain's DNS: the MX servers, the MTA-STS policy host, the TLS-RPT report endpoints, the DNS answers
 * themselves. Their words (an SMTP reply, a TXT string, an HTTP header, the part of a record that
 * failed to parse) reach our log lines, the headers we add and the DSNs we send. Written as they came,
 * a CR or LF forges a log line or a header, an escape sequence rewrites an operator's terminal, and a
 * megabyte of text fills a log. {@link dev.securedelivery.peertext.PeerText} turns any such text into
 * one line of printable characters of bounded length, at the point where it enters one of our values.
 */
package dev.securedelivery.peertext;
