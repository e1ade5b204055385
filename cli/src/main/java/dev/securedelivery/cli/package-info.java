/**
 * The command-line tool, {@code bin/secure-delivery}: {@code check} and {@code probe} show what the
 * delivery mailet would do for a destination (the same engine and configuration file), {@code verify}
 * checks a domain's published MTA-STS (RFC 8461), DANE (RFC 7672) and TLS-RPT (RFC 8460) set-up for
 * its owner, and {@code lint-policy} / {@code lint-txt} check a policy or a TXT record offline.
 * Exit codes: {@link dev.securedelivery.cli.Report}.
 */
package dev.securedelivery.cli;
