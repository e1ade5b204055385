package dev.securedelivery.smtp;

/** How the MX of one connection was authenticated, as a value (the trace header shows {@link #label()}). */
public enum PeerAuthentication {
    /** Its certificate matched a DANE-EE(3) TLSA record (RFC 7672 3.1.1). */
    DANE_EE("DANE-EE"),
    /** Its chain led to a trust anchor matched by a DANE-TA(2) TLSA record (RFC 7672 3.1.2). */
    DANE_TA("DANE-TA"),
    /** Its chain was validated by PKIX, the name checked (RFC 8461 4.2, a require-tls rule, REQUIRETLS). */
    PKIX("PKIX"),
    /** TLS without authentication (opportunistic STARTTLS). */
    NONE("none"),
    /** No TLS. */
    PLAINTEXT("plaintext"),
    /** A TLS handshake was tried and failed: nothing was sent in plaintext. */
    FAILED("failed");

    private final String label;

    PeerAuthentication(String label) {
        this.label = label;
    }

    /** {@code DANE-EE}, {@code DANE-TA}, {@code PKIX}, {@code none}, {@code plaintext} or {@code failed}. */
    public String label() {
        return label;
    }
}
