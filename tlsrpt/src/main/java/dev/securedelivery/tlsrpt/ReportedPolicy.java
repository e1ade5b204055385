package dev.securedelivery.tlsrpt;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The {@code policy} object of RFC 8460 4.4, which sessions are counted under: the policy type, its
 * text, the policy domain and the MX hosts it names. Two sessions held to the same policy count
 * together; a changed policy starts a group of its own.
 *
 * <p>The policy domain is always there, {@code no-policy-found} included (RFC 8460 4.4: "policy-domain"
 * is required). For MTA-STS it is the recipient domain and {@code mx-host} the policy's patterns; for
 * DANE it is the recipient domain too (the domain whose {@code _smtp._tls} record gets the report),
 * and {@code mx-host} the one MX host whose TLSA records the policy string lists.
 */
public final class ReportedPolicy {
    private final PolicyType type;
    private final List<String> policyStrings;
    private final String policyDomain;
    private final List<String> mxHosts;

    private ReportedPolicy(PolicyType type, List<String> policyStrings, String policyDomain, List<String> mxHosts) {
        this.type = Objects.requireNonNull(type, "type");
        this.policyStrings = List.copyOf(policyStrings);
        this.policyDomain = Objects.requireNonNull(policyDomain, "policyDomain");
        this.mxHosts = List.copyOf(mxHosts);
    }

    /** An MTA-STS policy: its text, one string per line (RFC 8460 4.4), and its {@code mx} patterns. */
    public static ReportedPolicy sts(String policyDomain, String policyText, List<String> mxPatterns) {
        List<String> lines = new ArrayList<>();
        for (String line : policyText.split("\r?\n")) {
            if (!line.isEmpty()) {
                lines.add(line);
            }
        }
        return new ReportedPolicy(PolicyType.STS, lines, policyDomain, mxPatterns);
    }

    /** The TLSA records of {@code mxHost}, in presentation form ({@code "3 1 1 ab12..."}). */
    public static ReportedPolicy tlsa(String policyDomain, String mxHost, List<String> tlsaRecords) {
        return new ReportedPolicy(PolicyType.TLSA, tlsaRecords, policyDomain, List.of(mxHost));
    }

    /** Sessions to {@code policyDomain} under no policy. */
    public static ReportedPolicy noPolicyFound(String policyDomain) {
        return new ReportedPolicy(PolicyType.NO_POLICY_FOUND, List.of(), policyDomain, List.of());
    }

    /** Rebuilt from its parts (a stored journal). */
    public static ReportedPolicy of(PolicyType type, List<String> policyStrings, String policyDomain,
            List<String> mxHosts) {
        return new ReportedPolicy(type, policyStrings, policyDomain, mxHosts);
    }

    public PolicyType type() {
        return type;
    }

    public List<String> policyStrings() {
        return policyStrings;
    }

    public String policyDomain() {
        return policyDomain;
    }

    public List<String> mxHosts() {
        return mxHosts;
    }

    /** The {@code policy} object; {@code policy-string} and {@code mx-host} only where they say something. */
    Map<String, Object> toJson() {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("policy-type", type.reportName());
        if (!policyStrings.isEmpty()) {
            json.put("policy-string", policyStrings);
        }
        json.put("policy-domain", policyDomain);
        if (!mxHosts.isEmpty()) {
            json.put("mx-host", mxHosts);
        }
        return json;
    }

    @Override
    public boolean equals(Object other) {
        if (!(other instanceof ReportedPolicy)) {
            return false;
        }
        ReportedPolicy that = (ReportedPolicy) other;
        return type == that.type && policyStrings.equals(that.policyStrings) && policyDomain.equals(that.policyDomain)
                && mxHosts.equals(that.mxHosts);
    }

    @Override
    public int hashCode() {
        return Objects.hash(type, policyStrings, policyDomain, mxHosts);
    }

    @Override
    public String toString() {
        return type + " " + policyDomain + " " + mxHosts + " " + policyStrings;
    }
}
