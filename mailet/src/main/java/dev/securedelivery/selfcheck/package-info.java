/**
 * The self-check of the domains this James receives mail for, in James: the domains of its domain
 * list, the key of its SMTP server's keystore, the check at start and then every {@code
 * own-domains.check-interval}, a WARN line for each new finding, gauges for alerting, and what the
 * WebAdmin routes and the dashboard show. The check itself is the {@code own-domains} module's.
 */
package dev.securedelivery.selfcheck;
