package dev.securedelivery.tlsrpt;

import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A counted session's policy and failure detail as text, and back: tab-separated fields, each
 * URL-encoded ({@code ~} for none). One form for every place counts are kept: the lines of a node's
 * journal ({@link SessionJournal}) and the rows of a store the nodes share, which also key a policy
 * or a detail by it.
 */
public final class SessionEncoding {
    /** The fields of a policy: type, policy domain, policy strings, MX hosts. */
    static final int POLICY_FIELDS = 4;
    /** The fields of a failure detail (RFC 8460 4.4's failure-details, in this order). */
    static final int DETAIL_FIELDS = 7;

    private static final String NULL = "~";

    private SessionEncoding() {}

    /** {@code policy} on one line. */
    public static String policy(ReportedPolicy policy) {
        return String.join("\t", policyFields(policy));
    }

    /** The policy {@link #policy(ReportedPolicy)} wrote; {@link IllegalArgumentException} for anything else. */
    public static ReportedPolicy policy(String text) {
        String[] fields = text.split("\t", -1);
        if (fields.length != POLICY_FIELDS) {
            throw new IllegalArgumentException("a policy has " + POLICY_FIELDS + " fields, got " + fields.length);
        }
        return policyOf(fields);
    }

    /** {@code detail} on one line. */
    public static String detail(FailureDetail detail) {
        return String.join("\t", detailFields(detail));
    }

    /** The detail {@link #detail(FailureDetail)} wrote; {@link IllegalArgumentException} for anything else. */
    public static FailureDetail detail(String text) {
        String[] fields = text.split("\t", -1);
        if (fields.length != DETAIL_FIELDS) {
            throw new IllegalArgumentException(
                    "a failure detail has " + DETAIL_FIELDS + " fields, got " + fields.length);
        }
        return detailOf(fields);
    }

    static String[] policyFields(ReportedPolicy policy) {
        return new String[] {
            policy.type().name(), encode(policy.policyDomain()), list(policy.policyStrings()), list(policy.mxHosts())
        };
    }

    static ReportedPolicy policyOf(String[] fields) {
        return ReportedPolicy.of(
                PolicyType.valueOf(fields[0]), unlist(fields[2]), decode(fields[1]), unlist(fields[3]));
    }

    // result-type, sending-mta-ip, receiving-mx-hostname, receiving-mx-helo, receiving-ip,
    // additional-information, failure-reason-code
    static String[] detailFields(FailureDetail detail) {
        return new String[] {
            encode(detail.resultType()),
            encode(detail.sendingMtaIp()),
            encode(detail.receivingMxHostname()),
            encode(detail.receivingMxHelo()),
            encode(detail.receivingIp()),
            encode(detail.additionalInformation()),
            encode(detail.failureReasonCode())
        };
    }

    static FailureDetail detailOf(String[] fields) {
        return FailureDetail.builder(decode(fields[0]), decode(fields[1]), decode(fields[2]), decode(fields[4]))
                .receivingMxHelo(decode(fields[3]))
                .additionalInformation(decode(fields[5]))
                .failureReasonCode(decode(fields[6]))
                .build();
    }

    private static String encode(String value) {
        return value == null ? NULL : URLEncoder.encode(value, StandardCharsets.UTF_8);
    }

    private static String decode(String field) {
        return field.equals(NULL) ? null : URLDecoder.decode(field, StandardCharsets.UTF_8);
    }

    private static String list(List<String> values) {
        List<String> encoded = new ArrayList<>();
        values.forEach(value -> encoded.add(encode(value)));
        return String.join(",", encoded);
    }

    private static List<String> unlist(String field) {
        List<String> values = new ArrayList<>();
        if (!field.isEmpty()) {
            for (String value : field.split(",", -1)) {
                values.add(decode(value));
            }
        }
        return values;
    }
}
