package dev.securedelivery.mtasts;

import dev.securedelivery.tlsrpt.ResultType;
import java.util.Objects;

/**
 * A policy that could not be had over HTTPS, with the RFC 8460 4.3.2.2 result type that says why:
 * {@code sts-policy-fetch-error} (no usable response), {@code sts-webpki-invalid} (the server's
 * certificate failed PKIX validation or names another host) or {@code sts-policy-invalid} (a
 * response that is not a valid policy).
 */
public final class PolicyFetchException extends Exception {
    private static final long serialVersionUID = 1L;

    private final ResultType resultType;

    public PolicyFetchException(ResultType resultType, String message) {
        super(message);
        this.resultType = Objects.requireNonNull(resultType, "resultType");
    }

    public ResultType resultType() {
        return resultType;
    }
}
