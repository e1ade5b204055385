package dev.securedelivery.dane;

import java.net.Socket;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * A trust manager for one connection to one MX host that accepts the server only as its TLSA
 * records say ({@link DaneVerifier}), and remembers the outcome so that the delivery can log and
 * report how the server was authenticated. The JSSE's own host-name check must stay off
 * (no endpoint identification algorithm): DANE-EE(3) does none, DANE-TA(2) its own.
 */
public final class DaneTrustManager extends X509ExtendedTrustManager {
    private final List<TlsaRecord> records;
    private final ReferenceIdentifiers names;
    private final Clock clock;
    private final AtomicReference<DaneVerification> outcome = new AtomicReference<>();

    public DaneTrustManager(List<TlsaRecord> records, ReferenceIdentifiers names, Clock clock) {
        this.records = List.copyOf(records);
        this.names = Objects.requireNonNull(names, "names");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /** The outcome of the last handshake's check; empty before the first. */
    public Optional<DaneVerification> verification() {
        return Optional.ofNullable(outcome.get());
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        DaneVerification verification =
                DaneVerifier.verify(chain == null ? List.of() : Arrays.asList(chain), records, names, clock.instant());
        outcome.set(verification);
        if (!verification.isVerified()) {
            throw new DaneCertificateException(verification);
        }
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
            throws CertificateException {
        checkServerTrusted(chain, authType);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
            throws CertificateException {
        checkServerTrusted(chain, authType);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        throw new CertificateException("a DANE trust manager authenticates servers only");
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
            throws CertificateException {
        checkClientTrusted(chain, authType);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
            throws CertificateException {
        checkClientTrusted(chain, authType);
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
        return new X509Certificate[0];
    }

    /** The handshake failure of a chain no TLSA record authenticates, carrying the verifier's outcome. */
    public static final class DaneCertificateException extends CertificateException {
        private static final long serialVersionUID = 1L;

        private final transient DaneVerification verification;

        DaneCertificateException(DaneVerification verification) {
            super("DANE: no TLSA record authenticates the server: " + verification);
            this.verification = verification;
        }

        public DaneVerification verification() {
            return verification;
        }
    }
}
