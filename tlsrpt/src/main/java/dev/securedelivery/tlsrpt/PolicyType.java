package dev.securedelivery.tlsrpt;

/** The {@code policy-type} of RFC 8460 4.4: which policy a group of sessions was held to. */
public enum PolicyType {
    /** DANE (RFC 7672): TLSA records of one MX host. */
    TLSA("tlsa"),
    /** MTA-STS (RFC 8461): the domain's policy. */
    STS("sts"),
    /** Neither: the sessions were opportunistic. */
    NO_POLICY_FOUND("no-policy-found");

    private final String reportName;

    PolicyType(String reportName) {
        this.reportName = reportName;
    }

    public String reportName() {
        return reportName;
    }

    @Override
    public String toString() {
        return reportName;
    }
}
