package dev.securedelivery.smtp;

import java.net.Socket;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.List;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;
import javax.net.ssl.X509TrustManager;

/**
 * A trust manager that decides as its delegate does and keeps, per thread (a handshake runs on the
 * thread that starts it), the chain the server presented: so that a failed handshake can be classified (expired, wrong name, untrusted) from the
 * chain itself rather than from an exception's wording, while the TLS context, and with it session
 * resumption, stays shared between connections.
 */
final class ChainRecordingTrustManager extends X509ExtendedTrustManager {
    private final X509TrustManager delegate;
    private final ThreadLocal<X509Certificate[]> chains = new ThreadLocal<>();

    /**
     * @param delegate the trust decision; where it is not an {@link X509ExtendedTrustManager} it
     *     judges the chain only, and the name is left to the check after the handshake
     */
    ChainRecordingTrustManager(X509TrustManager delegate) {
        this.delegate = delegate;
    }

    /** The chain the server of this thread's last handshake presented, if it got that far; then forgotten. */
    List<X509Certificate> takeChain() {
        X509Certificate[] chain = chains.get();
        chains.remove();
        return chain == null ? List.of() : List.of(chain);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
            throws CertificateException {
        chains.set(chain.clone());
        if (delegate instanceof X509ExtendedTrustManager) {
            ((X509ExtendedTrustManager) delegate).checkServerTrusted(chain, authType, socket);
        } else {
            delegate.checkServerTrusted(chain, authType);
        }
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        delegate.checkServerTrusted(chain, authType);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
            throws CertificateException {
        if (delegate instanceof X509ExtendedTrustManager) {
            ((X509ExtendedTrustManager) delegate).checkServerTrusted(chain, authType, engine);
        } else {
            delegate.checkServerTrusted(chain, authType);
        }
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        throw new CertificateException("this trust manager only judges servers");
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
            throws CertificateException {
        throw new CertificateException("this trust manager only judges servers");
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
            throws CertificateException {
        throw new CertificateException("this trust manager only judges servers");
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
        return delegate.getAcceptedIssuers();
    }
}
