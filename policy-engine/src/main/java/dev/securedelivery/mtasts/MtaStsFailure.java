package dev.securedelivery.mtasts;

import dev.securedelivery.peertext.PeerText;
import dev.securedelivery.tlsrpt.ResultType;
import java.util.Objects;
import java.util.Optional;

/**
 * Why a policy could not be discovered, fetched or refreshed, with the RFC 8460 result type that a
 * TLS report files it under. A missing record, or a failure RFC 8460 4.3.4 calls transient, has
 * none.
 */
public final class MtaStsFailure {
    private final ResultType resultType;
    private final String detail;

    public MtaStsFailure(ResultType resultType, String detail) {
        this.resultType = resultType;
        // The detail often quotes what a peer sent (a record, a header, a body): it reaches logs and DSNs.
        this.detail = PeerText.clean(Objects.requireNonNull(detail, "detail"));
    }

    public Optional<ResultType> resultType() {
        return Optional.ofNullable(resultType);
    }

    public String detail() {
        return detail;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof MtaStsFailure
                && Objects.equals(resultType, ((MtaStsFailure) other).resultType)
                && detail.equals(((MtaStsFailure) other).detail);
    }

    @Override
    public int hashCode() {
        return Objects.hash(resultType, detail);
    }

    @Override
    public String toString() {
        return resultType == null ? detail : resultType.reportName() + ": " + detail;
    }
}
