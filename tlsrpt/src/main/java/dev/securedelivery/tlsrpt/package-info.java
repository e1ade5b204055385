/**
 * SMTP TLS Reporting, RFC 8460.
 *
 * <p>For now this package holds the vocabulary of section 4.3: the result types that every
 * transport-security failure of the other packages is classified by, so that a daily report can be
 * built from them later without re-interpreting error messages.
 */
package dev.securedelivery.tlsrpt;
