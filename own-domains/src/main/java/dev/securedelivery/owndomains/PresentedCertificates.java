package dev.securedelivery.owndomains;

import java.net.Socket;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;
import javax.net.ssl.X509TrustManager;

/**
 * A trust manager that judges as {@code pkix} does and keeps the last chain a server presented: how
 * the check sees the policy host's certificate (its expiry) through the very fetch a sender makes,
 * without a second connection.
 */
final class PresentedCertificates extends X509ExtendedTrustManager {
    private final X509TrustManager pkix;
    private final AtomicReference<List<X509Certificate>> presented = new AtomicReference<>();

    PresentedCertificates(X509TrustManager pkix) {
        this.pkix = pkix;
    }

    /** The chain the last server presented, if any did. */
    Optional<List<X509Certificate>> last() {
        return Optional.ofNullable(presented.get());
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
            throws CertificateException {
        presented.set(List.of(chain));
        if (pkix instanceof X509ExtendedTrustManager) {
            ((X509ExtendedTrustManager) pkix).checkServerTrusted(chain, authType, socket);
        } else {
            pkix.checkServerTrusted(chain, authType);
        }
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
            throws CertificateException {
        presented.set(List.of(chain));
        if (pkix instanceof X509ExtendedTrustManager) {
            ((X509ExtendedTrustManager) pkix).checkServerTrusted(chain, authType, engine);
        } else {
            pkix.checkServerTrusted(chain, authType);
        }
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        presented.set(List.of(chain));
        pkix.checkServerTrusted(chain, authType);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
            throws CertificateException {
        throw new CertificateException("a client is not ours to judge");
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
            throws CertificateException {
        throw new CertificateException("a client is not ours to judge");
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        throw new CertificateException("a client is not ours to judge");
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
        return pkix.getAcceptedIssuers();
    }
}
