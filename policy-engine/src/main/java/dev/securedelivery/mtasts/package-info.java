/**
 * SMTP MTA Strict Transport Security, RFC 8461: what a sending MTA needs to honour a recipient
 * domain's MTA-STS policy.
 *
 * <ul>
 *   <li>{@link dev.securedelivery.mtasts.MtaStsRecord}: the {@code _mta-sts} TXT record (3.1).
 *   <li>{@link dev.securedelivery.mtasts.MtaStsPolicy}: the policy body (3.2) and MX host
 *       matching (4.1).
 *   <li>{@link dev.securedelivery.mtasts.MtaStsFetcher}: the HTTPS fetch (3.3).
 *   <li>{@link dev.securedelivery.mtasts.MtaStsEngine}: discovery, caching and refresh (3.3, 5,
 *       5.1) behind one call per delivery, {@link dev.securedelivery.mtasts.MtaStsEngine#lookup}.
 * </ul>
 *
 * <p>Every failure keeps its RFC 8460 4.3.2.2 result type ({@code sts-policy-fetch-error},
 * {@code sts-policy-invalid}, {@code sts-webpki-invalid}) for TLS reporting. A DNS failure is never
 * read as "no policy" (3.1), and a cached policy outlives failed refreshes until its
 * {@code max_age} (3.3).
 */
package dev.securedelivery.mtasts;
