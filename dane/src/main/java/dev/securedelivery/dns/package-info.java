/**
 * DNS lookups that keep what a mail transfer agent has to tell apart: an answer from a secure,
 * insecure or bogus zone (RFC 4035 4.3), a name that does not exist, a name without records of
 * the asked type, and a lookup that failed.
 *
 * <p>Collapsing these is how senders get policy wrong: a timeout or SERVFAIL read as "no record"
 * turns off MTA-STS (RFC 8461 3.1 asks for a temporary failure), and a bogus answer read as
 * "no TLSA records" turns off DANE (RFC 7672 2.1.1). {@link dev.securedelivery.dns.DnsResolver}
 * sends the queries itself, follows CNAMEs itself (RFC 7672 2.2.2 needs every link's status) and
 * never lets an exception of the upstream escape as anything but a {@link
 * dev.securedelivery.dns.DnsStatus#FAILED} answer.
 */
package dev.securedelivery.dns;
