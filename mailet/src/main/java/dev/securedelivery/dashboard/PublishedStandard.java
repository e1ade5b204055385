package dev.securedelivery.dashboard;

/** What a destination domain publishes for senders. */
public enum PublishedStandard {
    /** An MTA-STS TXT record and policy (RFC 8461). */
    MTA_STS("mta-sts", "MTA-STS"),
    /** DNSSEC-signed TLSA records for its MX hosts (RFC 7672). */
    DANE("dane", "DANE"),
    /** A TLS-RPT record (RFC 8460). */
    TLS_RPT("tls-rpt", "TLS-RPT");

    private final String key;
    private final String label;

    PublishedStandard(String key, String label) {
        this.key = key;
        this.label = label;
    }

    public String key() {
        return key;
    }

    public String label() {
        return label;
    }
}
