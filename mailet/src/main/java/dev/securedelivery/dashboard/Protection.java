package dev.securedelivery.dashboard;

/**
 * The protection a delivered message actually got, strongest first. Every delivered message has
 * exactly one, so the levels of a day add up to the messages delivered that day.
 */
public enum Protection {
    /** The MX was authenticated by its DNSSEC-signed TLSA records (RFC 7672). */
    DANE("dane", "DANE"),
    /** PKIX-authenticated under an MTA-STS policy in enforce mode (RFC 8461). */
    MTA_STS("mta-sts", "MTA-STS"),
    /** PKIX-authenticated for another reason: a require-tls override, REQUIRETLS (RFC 8689). */
    PKIX("pkix", "PKIX"),
    /** Encrypted, the server not authenticated (opportunistic TLS). */
    TLS("tls", "TLS only"),
    /** Sent without encryption. */
    PLAINTEXT("plaintext", "Plaintext");

    private final String key;
    private final String label;

    Protection(String key, String label) {
        this.key = key;
        this.label = label;
    }

    /** The name the JSON routes and the page's data attributes use: {@code dane}, {@code mta-sts}, ... */
    public String key() {
        return key;
    }

    /** The name a person reads. */
    public String label() {
        return label;
    }

    /** Whether the receiving server was authenticated (DANE, MTA-STS or PKIX). */
    public boolean authenticated() {
        return this == DANE || this == MTA_STS || this == PKIX;
    }
}
