package dev.securedelivery.smtp;

import dev.securedelivery.dane.ReferenceIdentifiers;
import dev.securedelivery.tlsrpt.ResultType;
import java.security.cert.CertificateException;
import java.security.cert.CertificateExpiredException;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Optional;
import javax.net.ssl.X509TrustManager;

/**
 * Why a chain, taken as a server presented it, fails the check an MTA-STS policy asks for (RFC 8461
 * 4.2: PKIX-valid, and naming the MX host): for judging a connection after the fact (a testing
 * policy's TLS report, the command-line verify) rather than during the handshake.
 */
public final class PkixFailure {
    private final ResultType type;
    private final String detail;

    private PkixFailure(ResultType type, String detail) {
        this.type = type;
        this.detail = detail;
    }

    /** The failure of {@code chain} (leaf first) for {@code host}, if it fails. */
    public static Optional<PkixFailure> of(X509TrustManager pkix, String host, List<X509Certificate> chain) {
        if (chain.isEmpty()) {
            return Optional.of(new PkixFailure(ResultType.CERTIFICATE_NOT_TRUSTED, "no certificate"));
        }
        try {
            pkix.checkServerTrusted(chain.toArray(new X509Certificate[0]), "UNKNOWN");
        } catch (CertificateException e) {
            for (Throwable cause = e; cause != null; cause = cause.getCause()) {
                if (cause instanceof CertificateExpiredException) {
                    return Optional.of(new PkixFailure(ResultType.CERTIFICATE_EXPIRED, "expired: " + e.getMessage()));
                }
            }
            return Optional.of(new PkixFailure(ResultType.CERTIFICATE_NOT_TRUSTED, "not trusted: " + e.getMessage()));
        }
        if (ReferenceIdentifiers.of(host).matchingName(chain.get(0)) == null) {
            return Optional.of(
                    new PkixFailure(ResultType.CERTIFICATE_HOST_MISMATCH, "the certificate does not name " + host));
        }
        return Optional.empty();
    }

    public ResultType type() {
        return type;
    }

    public String detail() {
        return detail;
    }
}
