package dev.securedelivery.delivery;

import dev.securedelivery.policy.DeliveryPlan;
import dev.securedelivery.tlsrpt.ResultType;
import java.util.Optional;

/**
 * Why a message was deferred or bounced: the RFC 8460 result type where the TLS policy stopped it
 * (RFC 8460 4.3), else what else did.
 */
public enum FailureCause {
    STARTTLS_NOT_SUPPORTED(ResultType.STARTTLS_NOT_SUPPORTED),
    CERTIFICATE_HOST_MISMATCH(ResultType.CERTIFICATE_HOST_MISMATCH),
    CERTIFICATE_EXPIRED(ResultType.CERTIFICATE_EXPIRED),
    CERTIFICATE_NOT_TRUSTED(ResultType.CERTIFICATE_NOT_TRUSTED),
    VALIDATION_FAILURE(ResultType.VALIDATION_FAILURE),
    TLSA_INVALID(ResultType.TLSA_INVALID),
    DNSSEC_INVALID(ResultType.DNSSEC_INVALID),
    DANE_REQUIRED(ResultType.DANE_REQUIRED),
    STS_POLICY_FETCH_ERROR(ResultType.STS_POLICY_FETCH_ERROR),
    STS_POLICY_INVALID(ResultType.STS_POLICY_INVALID),
    STS_WEBPKI_INVALID(ResultType.STS_WEBPKI_INVALID),
    /** Not the TLS policy: no connection, a lost connection, an SMTP 4xx or 5xx reply. */
    CONNECTION_OR_SMTP("connection-or-smtp"),
    /** No MX host could be tried (DNS failed, every host ruled out) and no result type applies. */
    NO_USABLE_MX("no-usable-mx"),
    /** The domain does not exist (NXDOMAIN). */
    NO_SUCH_DOMAIN("no-such-domain"),
    /** The domain accepts no mail (a null MX, RFC 7505). */
    NULL_MX("null-mx"),
    /** The delivery itself failed unexpectedly (a bug, a resource exhausted): deferred, never lost. */
    INTERNAL_FAILURE("internal-failure");

    private final String label;
    private final ResultType resultType;

    FailureCause(ResultType type) {
        this.label = type.reportName();
        this.resultType = type;
    }

    FailureCause(String label) {
        this.label = label;
        this.resultType = null;
    }

    /** The name in JSON, CSV and files: the RFC 8460 result type, or {@code connection-or-smtp} and the like. */
    public String label() {
        return label;
    }

    /** The part of a metric name: the label with {@code _} for {@code -}. */
    public String metricName() {
        return label.replace('-', '_');
    }

    /** The RFC 8460 result type this cause is, if it is one. */
    public Optional<ResultType> resultType() {
        return Optional.ofNullable(resultType);
    }

    public static FailureCause of(ResultType type) {
        for (FailureCause cause : values()) {
            if (cause.resultType == type) {
                return cause;
            }
        }
        throw new IllegalArgumentException("no cause for " + type);
    }

    public static Optional<FailureCause> fromLabel(String label) {
        for (FailureCause cause : values()) {
            if (cause.label.equals(label)) {
                return Optional.of(cause);
            }
        }
        return Optional.empty();
    }

    /** Why {@code fate} (deferred or bounced) came about, under {@code plan} if one was made. */
    public static FailureCause of(RecipientFate fate, Optional<DeliveryPlan> plan) {
        if (fate.resultType().isPresent()) {
            return of(fate.resultType().get());
        }
        if (fate.attempt().isPresent()) {
            return CONNECTION_OR_SMTP;
        }
        if (plan.isPresent()) {
            switch (plan.get().outcome()) {
                case NO_SUCH_DOMAIN:
                    return NO_SUCH_DOMAIN;
                case NULL_MX:
                    return NULL_MX;
                case DEFER:
                    return plan.get().failureType().map(FailureCause::of).orElse(NO_USABLE_MX);
                default:
                    // A plan that allowed hosts, none of which was tried (the time budget ran out).
                    return CONNECTION_OR_SMTP;
            }
        }
        return NO_USABLE_MX;
    }

    @Override
    public String toString() {
        return label;
    }
}
