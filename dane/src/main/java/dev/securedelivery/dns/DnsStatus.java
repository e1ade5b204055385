package dev.securedelivery.dns;

/** How far an answer can be trusted, in the terms of RFC 4035 4.3. */
public enum DnsStatus {
    /** Validated from a trust anchor: the records, or their proven absence, are authentic. */
    SECURE,
    /** Answered, but from a zone proven unsigned or by an upstream whose validation is not trusted. */
    INSECURE,
    /** The zone is signed but the answer failed validation: forged, stripped or expired. Never "no records". */
    BOGUS,
    /** No usable answer: timeout, SERVFAIL, REFUSED, a malformed response or a CNAME loop. */
    FAILED
}
