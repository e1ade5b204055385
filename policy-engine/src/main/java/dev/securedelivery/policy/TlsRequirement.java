package dev.securedelivery.policy;

/** What a connection to one MX host must achieve before any mail is sent, strictest first. */
public enum TlsRequirement {
    /** STARTTLS, and a chain its TLSA records accept (RFC 7672 3). */
    DANE("dane"),
    /** STARTTLS, a PKIX-valid chain and the MX host name in the certificate (RFC 8461 4.2). */
    PKIX("pkix"),
    /** STARTTLS, without authenticating the server (TLSA records all unusable, RFC 7672 3.1.3). */
    ENCRYPT("encrypt"),
    /** STARTTLS when offered, without authentication; plaintext when not. */
    OPPORTUNISTIC("opportunistic"),
    /** No STARTTLS: plaintext, for a peer whose TLS is known to be broken (a local override). */
    NO_TLS("none");

    private final String label;

    TlsRequirement(String label) {
        this.label = label;
    }

    /** Whether the connection must not go on without TLS. */
    public boolean requiresTls() {
        return this == DANE || this == PKIX || this == ENCRYPT;
    }

    @Override
    public String toString() {
        return label;
    }
}
