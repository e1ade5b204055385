package dev.securedelivery.smtp;

import dev.securedelivery.policy.TlsRequirement;
import dev.securedelivery.tlsrpt.ResultType;
import java.net.InetAddress;

/** Attempts as SmtpClient reports them, for tests of what consumes them. */
public final class DeliveryAttempts {
    private DeliveryAttempts() {
    }

    public static DeliveryAttempt delivered(String host, TlsRequirement requirement, String authentication) {
        return DeliveryAttempt.builder(host, InetAddress.getLoopbackAddress(), requirement)
                .tls("TLSv1.3", "TLS_AES_128_GCM_SHA256").authentication(authentication).delivered();
    }

    public static DeliveryAttempt policyFailure(String host, TlsRequirement requirement, ResultType type) {
        return DeliveryAttempt.builder(host, InetAddress.getLoopbackAddress(), requirement)
                .detail("refused by policy").failed(DeliveryAttempt.Outcome.TEMPORARY_FAILURE, "4.7.5", type, true);
    }

    public static DeliveryAttempt unreachable(String host, TlsRequirement requirement) {
        return DeliveryAttempt.builder(host, InetAddress.getLoopbackAddress(), requirement)
                .detail("connection refused").failed(DeliveryAttempt.Outcome.TEMPORARY_FAILURE, "4.4.1", null, false);
    }
}
