package dev.securedelivery.tlsrpt;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * One kind of failed session in RFC 8460 4.4's {@code failure-details}: sessions that failed alike
 * (same result type, same sending and receiving ends) are counted together. {@code sending-mta-ip}
 * and {@code receiving-mx-hostname} are always reported; {@code receiving-ip} wherever a connection
 * was made (an MX a policy rules out is never connected to), the MX's HELO name, extra information
 * and a reason code only where there is one.
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
    public static Builder builder(String resultType, String sendingMtaIp, String receivingMxHostname,
            String receivingIp) {
        return new Builder(resultType, sendingMtaIp, receivingMxHostname, receivingIp);
    }

    public static Builder builder(ResultType resultType, String sendingMtaIp, String receivingMxHostname,
            String receivingIp) {
        return builder(resultType.reportName(), sendingMtaIp, receivingMxHostname, receivingIp);
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
        return resultType.equals(that.resultType) && sendingMtaIp.equals(that.sendingMtaIp)
                && receivingMxHostname.equals(that.receivingMxHostname)
                && Objects.equals(receivingMxHelo, that.receivingMxHelo) && Objects.equals(receivingIp, that.receivingIp)
                && Objects.equals(additionalInformation, that.additionalInformation)
                && Objects.equals(failureReasonCode, that.failureReasonCode);
    }

    @Override
    public int hashCode() {
        return Objects.hash(resultType, sendingMtaIp, receivingMxHostname, receivingMxHelo, receivingIp,
                additionalInformation, failureReasonCode);
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
