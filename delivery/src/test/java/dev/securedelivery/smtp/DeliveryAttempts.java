package dev.securedelivery.smtp;

import dev.securedelivery.policy.TlsRequirement;
import dev.securedelivery.tlsrpt.ResultType;
import java.net.InetAddress;
import java.util.List;

/** Attempts as SmtpClient reports them, for tests of what consumes them (shared through this module's test jar). */
public final class DeliveryAttempts {
    private static final String RECIPIENT = "user@example.test";

    private DeliveryAttempts() {}

    public static DeliveryAttempt delivered(
            String host, TlsRequirement requirement, PeerAuthentication authentication, String matchedRecord) {
        DeliveryAttempt.Builder builder = DeliveryAttempt.builder(host, InetAddress.getLoopbackAddress(), requirement)
                .tls("TLSv1.3", "TLS_AES_128_GCM_SHA256")
                .authentication(authentication, matchedRecord);
        SmtpReply reply = SmtpReply.of(250, List.of("2.0.0 queued"));
        builder.recipient(RecipientResult.accepted(RECIPIENT, reply));
        return builder.completed(reply.toString());
    }

    public static DeliveryAttempt policyFailure(String host, TlsRequirement requirement, ResultType type) {
        return DeliveryAttempt.builder(host, InetAddress.getLoopbackAddress(), requirement)
                .failed(List.of(RECIPIENT), EnhancedStatus.transientFailure(7, 5), type, true, "refused by policy");
    }

    public static DeliveryAttempt unreachable(String host, TlsRequirement requirement) {
        return DeliveryAttempt.builder(host, InetAddress.getLoopbackAddress(), requirement)
                .failed(List.of(RECIPIENT), EnhancedStatus.transientFailure(4, 1), null, false, "connection refused");
    }
}
