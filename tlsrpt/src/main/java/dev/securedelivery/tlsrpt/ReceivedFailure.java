package dev.securedelivery.tlsrpt;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * One entry of a received report's {@code failure-details} (RFC 8460 4.4): what failed, between which
 * ends, how many times. The result type is a {@link ResultType} where the report names one the RFC
 * registers; any other name is kept, cleaned, and counts as {@code unknown} (the IANA registry may
 * grow). Every text is a peer's, stripped of control characters and capped; addresses are in the form
 * {@link FailureDetail#address} writes.
 */
public final class ReceivedFailure {
    /** What {@link #resultTypeName()} says of a result type the registry does not have. */
    public static final String UNKNOWN = "unknown";

    private final String reportedResultType;
    private final String sendingMtaIp;
    private final String receivingMxHostname;
    private final String receivingMxHelo;
    private final String receivingIp;
    private final long failedSessions;
    private final String additionalInformation;
    private final String failureReasonCode;

    ReceivedFailure(
            String reportedResultType,
            String sendingMtaIp,
            String receivingMxHostname,
            String receivingMxHelo,
            String receivingIp,
            long failedSessions,
            String additionalInformation,
            String failureReasonCode) {
        this.reportedResultType = Objects.requireNonNull(reportedResultType, "reportedResultType");
        this.sendingMtaIp = sendingMtaIp;
        this.receivingMxHostname = receivingMxHostname;
        this.receivingMxHelo = receivingMxHelo;
        this.receivingIp = receivingIp;
        this.failedSessions = failedSessions;
        this.additionalInformation = additionalInformation;
        this.failureReasonCode = failureReasonCode;
    }

    /** The registered result type, or empty for one this server does not know (RFC 8460 4.3: the registry may grow). */
    public Optional<ResultType> resultType() {
        return ResultType.fromReportName(reportedResultType);
    }

    /** The registered name, or {@link #UNKNOWN}. */
    public String resultTypeName() {
        return resultType().map(ResultType::reportName).orElse(UNKNOWN);
    }

    /** The {@code result-type} as the report wrote it (cleaned, capped). */
    public String reportedResultType() {
        return reportedResultType;
    }

    public Optional<String> sendingMtaIp() {
        return Optional.ofNullable(sendingMtaIp);
    }

    /** The receiving MX, lower case; empty if the report did not say. */
    public Optional<String> receivingMxHostname() {
        return Optional.ofNullable(receivingMxHostname);
    }

    public Optional<String> receivingMxHelo() {
        return Optional.ofNullable(receivingMxHelo);
    }

    public Optional<String> receivingIp() {
        return Optional.ofNullable(receivingIp);
    }

    public long failedSessions() {
        return failedSessions;
    }

    public Optional<String> additionalInformation() {
        return Optional.ofNullable(additionalInformation);
    }

    public Optional<String> failureReasonCode() {
        return Optional.ofNullable(failureReasonCode);
    }

    /** The entry in RFC 8460 4.4's form; an unknown result type as the report wrote it. */
    public Map<String, Object> toJson() {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("result-type", resultType().map(ResultType::reportName).orElse(reportedResultType));
        putIfPresent(json, "sending-mta-ip", sendingMtaIp);
        putIfPresent(json, "receiving-mx-hostname", receivingMxHostname);
        putIfPresent(json, "receiving-mx-helo", receivingMxHelo);
        putIfPresent(json, "receiving-ip", receivingIp);
        json.put("failed-session-count", failedSessions);
        putIfPresent(json, "additional-information", additionalInformation);
        putIfPresent(json, "failure-reason-code", failureReasonCode);
        return json;
    }

    private static void putIfPresent(Map<String, Object> json, String name, String value) {
        if (value != null) {
            json.put(name, value);
        }
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof ReceivedFailure && toJson().equals(((ReceivedFailure) other).toJson());
    }

    @Override
    public int hashCode() {
        return toJson().hashCode();
    }

    @Override
    public String toString() {
        return resultTypeName() + " " + sendingMtaIp + " -> " + receivingMxHostname + " [" + receivingIp + "] x"
                + failedSessions;
    }
}
