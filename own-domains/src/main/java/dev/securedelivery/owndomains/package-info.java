/**
 * Our own domains, as the senders that deliver to them see them.
 *
 * <p>Other senders can protect mail to the domains this James receives for only if three things are
 * published and kept true: an MTA-STS record and policy that name every MX host (RFC 8461), TLSA
 * records that match the key each MX presents on port 25 (RFC 7672, DNSSEC-signed), and a
 * {@code _smtp._tls} record that asks for reports (RFC 8460). They fail by drift: a renewed key no
 * longer matches the TLSA records, a new MX is missing from the policy, the policy host's
 * certificate expires, a policy changes under the same {@code id}.
 *
 * <p>{@link DomainCheck} looks at one domain as an outside sender would (DNSSEC-validated lookups,
 * the policy fetched strictly, a STARTTLS session to each MX) and says what it finds as {@link
 * Finding}s: a severity, the evidence, and the fix. {@link PublishedRecords} gives the records to
 * publish from the MX names and the key the server holds; {@link TlsaRollover} the steps of a key
 * change, in the order RFC 7671 8.1 and RFC 7672 8.1 ask. {@link SelfCheck} runs the check over every
 * domain again and again and says what is new.
 */
package dev.securedelivery.owndomains;
