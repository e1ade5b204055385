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
 * is required), and it is where the report goes ({@code _smtp._tls.<policy domain>}, RFC 8460 3):
 * <ul>
 *   <li>MTA-STS: the recipient domain; {@code policy-string} the policy as it was served, a string
 *       per line, and {@code mx-host} its {@code mx} patterns. A policy the domain publishes but that
 *       could not be had (4.3.2.2) has neither: nothing was applied.</li>
 *   <li>DANE: the TLSA base domain (RFC 8460 1.3, 4.4), which is the MX host name, or the name its
 *       CNAMEs lead to where the TLSA records were found there (RFC 7672 2.2.2); {@code mx-host} the MX
 *       host and {@code policy-string} its TLSA records. An MX host's operator gets its reports, not
 *       the domains it serves.</li>
 * </ul>
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

    /**
     * An MTA-STS policy: its text as served, one string per line (RFC 8460 4.4; a line ends in LF or
     * CRLF, RFC 8461 3.2, and the empty lines a body may end with are no lines), and its {@code mx}
     * patterns.
     */
    public static ReportedPolicy sts(String policyDomain, String policyText, List<String> mxPatterns) {
        List<String> lines = new ArrayList<>();
        for (String line : policyText.split("\r?\n")) {
            if (!line.isEmpty()) {
                lines.add(line);
            }
        }
        return new ReportedPolicy(PolicyType.STS, lines, policyDomain, mxPatterns);
    }

    /**
     * The MTA-STS policy {@code policyDomain} publishes (its TXT record says so) but that could not
     * be fetched, was invalid or came from a policy host whose certificate failed: sessions held to
     * it fail as RFC 8460 4.3.2.2 says, and there is no policy text to quote.
     */
    public static ReportedPolicy stsUnavailable(String policyDomain) {
        return new ReportedPolicy(PolicyType.STS, List.of(), policyDomain, List.of());
    }

    /**
     * The TLSA records of {@code mxHost}, in presentation form ({@code "3 1 1 ab12..."}), under the
     * TLSA base domain {@code baseDomain} (the MX host, or the name its CNAMEs lead to).
     */
    public static ReportedPolicy tlsa(String baseDomain, String mxHost, List<String> tlsaRecords) {
        return new ReportedPolicy(PolicyType.TLSA, tlsaRecords, baseDomain, List.of(mxHost));
    }

    /** Sessions to {@code policyDomain} under no policy. */
    public static ReportedPolicy noPolicyFound(String policyDomain) {
        return new ReportedPolicy(PolicyType.NO_POLICY_FOUND, List.of(), policyDomain, List.of());
    }

    /** Rebuilt from its parts (a stored journal). */
    public static ReportedPolicy of(
            PolicyType type, List<String> policyStrings, String policyDomain, List<String> mxHosts) {
        return new ReportedPolicy(type, policyStrings, policyDomain, mxHosts);
    }

    /**
     * This policy without its text: what sessions are counted under once a domain's report for a
     * period lists as many policies in full as it may ({@link SessionCounts}). A TLSA policy keeps its
     * MX host, which RFC 8460 4.4 asks for; an MTA-STS one drops its {@code mx} patterns with the text
     * they are part of.
     */
    ReportedPolicy withoutText() {
        return new ReportedPolicy(type, List.of(), policyDomain, type == PolicyType.TLSA ? mxHosts : List.of());
    }

    /** The characters of its {@code policy-string} and {@code mx-host} values: what listing it costs. */
    long textChars() {
        long chars = 0;
        for (String value : policyStrings) {
            chars += value.length();
        }
        for (String value : mxHosts) {
            chars += value.length();
        }
        return chars;
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
        return type == that.type
                && policyStrings.equals(that.policyStrings)
                && policyDomain.equals(that.policyDomain)
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
