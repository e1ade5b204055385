package dev.securedelivery.owndomains;

import dev.securedelivery.tlsrpt.ResultType;

/** What the owner of a destination can do about each kind of failure (RFC 8460 4.3 result types). */
public final class Fixes {
    private Fixes() {}

    /** For an {@code _mta-sts} record that is missing or invalid. */
    public static final String STS_RECORD = "publish \"v=STSv1; id=<1 to 32 letters or digits>\" (RFC 8461 3.1),"
            + " a new id whenever the policy changes";

    /** For an {@code _smtp._tls} record that is missing or invalid, with reports going to {@code address}. */
    public static String tlsRptRecord(String address) {
        return "publish \"v=TLSRPTv1; rua=mailto:" + address + "\" (RFC 8460 3); rua takes mailto: and https:"
                + " URIs, comma separated";
    }

    /**
     * For a host the plan left out, or a plan that left out every host: there a validation failure
     * is an MX host outside the domain's MTA-STS policy (RFC 8461 4.1), not a certificate.
     */
    public static String forExclusion(ResultType type) {
        if (type == ResultType.VALIDATION_FAILURE) {
            return "name the MX host in the MTA-STS policy's mx lines, or point the MX record at a host the policy"
                    + " names (RFC 8461 4.1); then publish a new id";
        }
        return forType(type);
    }

    /** For a session that failed with {@code type}. */
    public static String forType(ResultType type) {
        if (type == null) {
            return "check that the host accepts SMTP connections on port 25";
        }
        switch (type) {
            case STARTTLS_NOT_SUPPORTED:
                return "offer STARTTLS on port 25 (and check nothing on the path strips it)";
            case CERTIFICATE_HOST_MISMATCH:
                return "use a certificate that names the MX host (subjectAltName DNS entry)";
            case CERTIFICATE_EXPIRED:
                return "renew the certificate";
            case CERTIFICATE_NOT_TRUSTED:
                return "use a certificate from a CA that senders trust, and send the whole chain";
            case VALIDATION_FAILURE:
                return "check the certificate chain the server sends";
            case TLSA_INVALID:
                return "publish TLSA records at _25._tcp.<mx> that match the certificate (3 1 1 of its key"
                        + " survives renewals), or serve the certificate they describe";
            case DNSSEC_INVALID:
                return "fix the zone's DNSSEC: signatures, DS records at the parent, key rollover";
            case DANE_REQUIRED:
                return "publish TLSA records for every MX host";
            case STS_POLICY_FETCH_ERROR:
                return "serve the policy at https://mta-sts.<domain>/.well-known/mta-sts.txt with status 200,"
                        + " Content-Type text/plain, no redirect";
            case STS_POLICY_INVALID:
                return "follow the policy grammar of RFC 8461 3.2 (lint-policy checks a file)";
            case STS_WEBPKI_INVALID:
                return "serve mta-sts.<domain> with a certificate from a public CA that names it";
            default:
                return "see RFC 8460 4.3 for " + type.reportName();
        }
    }
}
