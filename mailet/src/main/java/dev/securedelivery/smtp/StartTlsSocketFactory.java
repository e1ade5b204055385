package dev.securedelivery.smtp;

import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import java.security.GeneralSecurityException;
import java.util.List;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;

/**
 * Turns one SMTP connection into TLS at STARTTLS, for javax.mail (which finds it as the object
 * under {@code mail.smtp.ssl.socketFactory}): SNI is {@code serverName} whatever address the
 * connection went to, the trust manager decides about the chain, and for PKIX the JSSE checks that
 * {@code serverName} is in the certificate (RFC 2818/6125 rules, as RFC 8461 4.2 asks). It keeps the
 * socket so that the attempt can report the protocol and cipher.
 */
final class StartTlsSocketFactory extends SSLSocketFactory {
    private static final String[] PROTOCOLS = {"TLSv1.3", "TLSv1.2"};

    private final SSLSocketFactory delegate;
    private final String serverName;
    private final boolean checkName;
    private volatile SSLSocket socket;

    /**
     * @param context the TLS context, whose trust manager decides about the chain; contexts shared
     *     between connections also share their session cache, so that TLS sessions resume
     */
    StartTlsSocketFactory(SSLContext context, String serverName, boolean checkName) {
        this.delegate = context.getSocketFactory();
        this.serverName = serverName;
        this.checkName = checkName;
    }

    /** A TLS context whose only trust decision is {@code trustManager}'s. */
    static SSLContext contextFor(X509TrustManager trustManager) {
        try {
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, new TrustManager[] {trustManager}, null);
            return context;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot set up TLS", e);
        }
    }

    /** The TLS socket of the connection, once STARTTLS happened. */
    SSLSocket socket() {
        return socket;
    }

    @Override
    public Socket createSocket(Socket plain, String host, int port, boolean autoClose) throws IOException {
        SSLSocket tls = (SSLSocket) delegate.createSocket(plain, serverName, port, autoClose);
        SSLParameters parameters = tls.getSSLParameters();
        parameters.setServerNames(List.of(new SNIHostName(serverName)));
        parameters.setProtocols(PROTOCOLS);
        // "HTTPS" is the JSSE's RFC 2818 name check; DANE does its own, and unauthenticated TLS none.
        parameters.setEndpointIdentificationAlgorithm(checkName ? "HTTPS" : null);
        tls.setSSLParameters(parameters);
        tls.setUseClientMode(true);
        this.socket = tls;
        return tls;
    }

    @Override
    public String[] getDefaultCipherSuites() {
        return delegate.getDefaultCipherSuites();
    }

    @Override
    public String[] getSupportedCipherSuites() {
        return delegate.getSupportedCipherSuites();
    }

    // Only the layering createSocket above is used, at STARTTLS; a direct TLS connection never is.
    @Override
    public Socket createSocket(String host, int port) throws IOException {
        throw new IOException("implicit TLS is not used for SMTP relay");
    }

    @Override
    public Socket createSocket(String host, int port, InetAddress localHost, int localPort) throws IOException {
        throw new IOException("implicit TLS is not used for SMTP relay");
    }

    @Override
    public Socket createSocket(InetAddress host, int port) throws IOException {
        throw new IOException("implicit TLS is not used for SMTP relay");
    }

    @Override
    public Socket createSocket(InetAddress address, int port, InetAddress localAddress, int localPort)
            throws IOException {
        throw new IOException("implicit TLS is not used for SMTP relay");
    }
}
