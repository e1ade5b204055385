package dev.securedelivery.tlsrpt;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * One kind of failed session in RFC 8460 4.4's {@code failure-details}: sessions that failed alike
 * (same result type, same sending and receiving ends) are counted together. {@code sending-mta-ip}
 * and {@code receiving-mx-hostname} are always reported; {@code receiving-ip} wherever a connection
 * was made (an MX a policy rules out is never connected to), the MX's HELO name, extra information
 * (a URI) and a reason code only where there is one. Addresses are written as {@link #address}
 * writes them.
 */
public final class FailureDetail {
    private final String resultType;
    private final String sendingMtaIp;
    private final String receivingMxHostname;
    private final String receivingMxHelo;
    private final String receivingIp;
    private final String additionalInformation;
    private final String failureReasonCode;

    private FailureDetail(Builder builder) {
        this.resultType = Objects.requireNonNull(builder.resultType, "resultType");
        this.sendingMtaIp = Objects.requireNonNull(builder.sendingMtaIp, "sendingMtaIp");
        this.receivingMxHostname = Objects.requireNonNull(builder.receivingMxHostname, "receivingMxHostname");
        this.receivingMxHelo = builder.receivingMxHelo;
        this.receivingIp = builder.receivingIp;
        this.additionalInformation = builder.additionalInformation;
        this.failureReasonCode = builder.failureReasonCode;
    }

    /**
     * @param resultType a {@link ResultType} report name, or one of RFC 8460 4.3.2.3's general ones
     *     ({@code validation-failure}); never free text
     * @param receivingIp null where no connection was made
     */
    public static Builder builder(
            String resultType, String sendingMtaIp, String receivingMxHostname, String receivingIp) {
        return new Builder(resultType, sendingMtaIp, receivingMxHostname, receivingIp);
    }

    public static Builder builder(
            ResultType resultType, String sendingMtaIp, String receivingMxHostname, String receivingIp) {
        return builder(resultType.reportName(), sendingMtaIp, receivingMxHostname, receivingIp);
    }

    /**
     * {@code address} as reports write it: dotted quad, or IPv6 in the canonical text form of RFC
     * 5952 4 (lower case, zeros compressed, {@code 2001:db8::1}), without a scope; what receivers
     * compare their own addresses with.
     */
    public static String address(InetAddress address) {
        if (!(address instanceof Inet6Address)) {
            return address.getHostAddress();
        }
        byte[] bytes = address.getAddress();
        int[] groups = new int[8];
        for (int i = 0; i < 8; i++) {
            groups[i] = ((bytes[2 * i] & 0xff) << 8) | (bytes[2 * i + 1] & 0xff);
        }
        // RFC 5952 4.2: the longest run of two or more zero groups becomes "::", the first if tied.
        int bestStart = -1;
        int bestLength = 1;
        for (int i = 0; i < 8; i++) {
            int length = 0;
            while (i + length < 8 && groups[i + length] == 0) {
                length++;
            }
            if (length > bestLength) {
                bestStart = i;
                bestLength = length;
            }
            i += length;
        }
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < 8; i++) {
            if (i == bestStart) {
                text.append("::");
                i += bestLength - 1;
                continue;
            }
            if (text.length() > 0 && text.charAt(text.length() - 1) != ':') {
                text.append(':');
            }
            text.append(Integer.toHexString(groups[i]));
        }
        return text.toString();
    }

    public String resultType() {
        return resultType;
    }

    public String sendingMtaIp() {
        return sendingMtaIp;
    }

    public String receivingMxHostname() {
        return receivingMxHostname;
    }

    public String receivingMxHelo() {
        return receivingMxHelo;
    }

    public String receivingIp() {
        return receivingIp;
    }

    public String additionalInformation() {
        return additionalInformation;
    }

    public String failureReasonCode() {
        return failureReasonCode;
    }

    /**
     * This kind of failure without what each connection may make different: the receiving address,
     * the MX's HELO name, the extra information and the reason. What sessions are counted under once
     * a policy's results list as many kinds in full as they may ({@link PolicyResults}).
     */
    public FailureDetail withoutConnectionFields() {
        return builder(resultType, sendingMtaIp, receivingMxHostname, null).build();
    }

    /** The {@code failure-details} entry, with its count. */
    Map<String, Object> toJson(long failedSessionCount) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("result-type", resultType);
        json.put("sending-mta-ip", sendingMtaIp);
        json.put("receiving-mx-hostname", receivingMxHostname);
        if (receivingMxHelo != null) {
            json.put("receiving-mx-helo", receivingMxHelo);
        }
        if (receivingIp != null) {
            json.put("receiving-ip", receivingIp);
        }
        json.put("failed-session-count", failedSessionCount);
        if (additionalInformation != null) {
            json.put("additional-information", additionalInformation);
        }
        if (failureReasonCode != null) {
            json.put("failure-reason-code", failureReasonCode);
        }
        return json;
    }

    @Override
    public boolean equals(Object other) {
        if (!(other instanceof FailureDetail)) {
            return false;
        }
        FailureDetail that = (FailureDetail) other;
        return resultType.equals(that.resultType)
                && sendingMtaIp.equals(that.sendingMtaIp)
                && receivingMxHostname.equals(that.receivingMxHostname)
                && Objects.equals(receivingMxHelo, that.receivingMxHelo)
                && Objects.equals(receivingIp, that.receivingIp)
                && Objects.equals(additionalInformation, that.additionalInformation)
                && Objects.equals(failureReasonCode, that.failureReasonCode);
    }

    @Override
    public int hashCode() {
        return Objects.hash(
                resultType,
                sendingMtaIp,
                receivingMxHostname,
                receivingMxHelo,
                receivingIp,
                additionalInformation,
                failureReasonCode);
    }

    @Override
    public String toString() {
        return resultType + " " + sendingMtaIp + " -> " + receivingMxHostname + " [" + receivingIp + "]";
    }

    public static final class Builder {
        private final String resultType;
        private final String sendingMtaIp;
        private final String receivingMxHostname;
        private final String receivingIp;
        private String receivingMxHelo;
        private String additionalInformation;
        private String failureReasonCode;

        private Builder(String resultType, String sendingMtaIp, String receivingMxHostname, String receivingIp) {
            this.resultType = resultType;
            this.sendingMtaIp = sendingMtaIp;
            this.receivingMxHostname = receivingMxHostname;
            this.receivingIp = receivingIp;
        }

        public Builder receivingMxHelo(String helo) {
            this.receivingMxHelo = helo;
            return this;
        }

        /** RFC 8460 4.4: a URI where the receiver can read more. */
        public Builder additionalInformation(String information) {
            this.additionalInformation = information;
            return this;
        }

        public Builder failureReasonCode(String code) {
            this.failureReasonCode = code;
            return this;
        }

        public FailureDetail build() {
            return new FailureDetail(this);
        }
    }
}
