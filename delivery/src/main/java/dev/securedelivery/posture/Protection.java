package dev.securedelivery.posture;

import dev.securedelivery.policy.DeliveryPlan;
import dev.securedelivery.smtp.DeliveryAttempt;
import java.util.Optional;

/** The protection a delivered message actually had on its way to the destination's MX, strongest first. */
public enum Protection {
    /** TLS, the server authenticated by its DANE TLSA records (DANE-EE or DANE-TA). */
    DANE("dane", "DANE"),
    /** TLS, PKIX-authenticated, under an MTA-STS policy in enforce mode. */
    MTA_STS("mta-sts", "MTA-STS"),
    /** TLS, PKIX-authenticated for another reason: a {@code require-tls} override, REQUIRETLS, a message level. */
    PKIX("pkix", "PKIX"),
    /** TLS without authentication (opportunistic STARTTLS, or TLSA records all unusable). */
    TLS("tls", "TLS only"),
    /** No TLS. */
    PLAINTEXT("plaintext", "Plaintext");

    private final String label;
    private final String displayName;

    Protection(String label, String displayName) {
        this.label = label;
        this.displayName = displayName;
    }

    /** The name in JSON, CSV and files: {@code dane}, {@code mta-sts}, {@code pkix}, {@code tls}, {@code plaintext}. */
    public String label() {
        return label;
    }

    /** The name a person reads: {@code DANE}, {@code MTA-STS}, {@code PKIX}, {@code TLS only}, {@code Plaintext}. */
    public String displayName() {
        return displayName;
    }

    /** Whether the receiving server was authenticated (DANE, MTA-STS or PKIX). */
    public boolean authenticated() {
        return this == DANE || this == MTA_STS || this == PKIX;
    }

    /** The part of a metric name: the label with {@code _} for {@code -}, as Prometheus names allow. */
    public String metricName() {
        return label.replace('-', '_');
    }

    public static Optional<Protection> fromLabel(String label) {
        for (Protection protection : values()) {
            if (protection.label.equals(label)) {
                return Optional.of(protection);
            }
        }
        return Optional.empty();
    }

    /**
     * What {@code attempt}, which delivered, achieved under {@code plan}: DANE when TLSA records
     * authenticated the server; PKIX counts as MTA-STS when a policy in enforce mode shaped the plan
     * (whatever else also demanded PKIX), else as PKIX.
     */
    public static Protection of(DeliveryAttempt attempt, Optional<DeliveryPlan> plan) {
        switch (attempt.peerAuthentication()) {
            case DANE_EE:
            case DANE_TA:
                return DANE;
            case PKIX:
                return plan.map(DeliveryPlan::enforcesMtaSts).orElse(false) ? MTA_STS : PKIX;
            case NONE:
                return TLS;
            default:
                return PLAINTEXT;
        }
    }

    @Override
    public String toString() {
        return label;
    }
}
