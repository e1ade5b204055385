package dev.securedelivery.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;

/**
 * What an MX presents: connects, says EHLO, STARTTLS with SNI set to the MX name, and keeps the
 * chain without judging it (verify judges it afterwards, by PKIX and by TLSA, and says which fails).
 */
final class PeerCertificates {
    private static final int TIMEOUT_MILLIS = 15_000;

    /** The server could not be reached, or spoke no usable SMTP. */
    static final class UnreachableException extends Exception {
        private static final long serialVersionUID = 1L;

        UnreachableException(String message) {
            super(message);
        }
    }

    /** The server does not offer STARTTLS, or refuses it. */
    static final class NoStartTlsException extends Exception {
        private static final long serialVersionUID = 1L;

        NoStartTlsException(String message) {
            super(message);
        }
    }

    final List<X509Certificate> chain;
    final String protocol;
    final String cipherSuite;

    private PeerCertificates(List<X509Certificate> chain, String protocol, String cipherSuite) {
        this.chain = chain;
        this.protocol = protocol;
        this.cipherSuite = cipherSuite;
    }

    static PeerCertificates fetch(String host, InetAddress address, int port)
            throws UnreachableException, NoStartTlsException {
        try (Socket plain = new Socket()) {
            plain.connect(new InetSocketAddress(address, port), TIMEOUT_MILLIS);
            plain.setSoTimeout(TIMEOUT_MILLIS);
            BufferedReader in = new BufferedReader(new InputStreamReader(plain.getInputStream(), StandardCharsets.US_ASCII));
            OutputStream out = plain.getOutputStream();
            expect(reply(in), "2", "greeting");
            send(out, "EHLO " + localName());
            List<String> ehlo = reply(in);
            expect(ehlo, "2", "EHLO");
            boolean offered = ehlo.stream().anyMatch(line -> line.length() > 4
                    && line.substring(4).trim().toUpperCase(Locale.ROOT).equals("STARTTLS"));
            if (!offered) {
                send(out, "QUIT");
                throw new NoStartTlsException("STARTTLS is not offered in the EHLO reply");
            }
            send(out, "STARTTLS");
            List<String> ready = reply(in);
            if (!ready.get(ready.size() - 1).startsWith("220")) {
                throw new NoStartTlsException("STARTTLS was refused: " + String.join(" ", ready));
            }
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, new TrustManager[] {new Recording()}, new SecureRandom());
            try (SSLSocket tls = (SSLSocket) context.getSocketFactory().createSocket(plain, host, port, false)) {
                SSLParameters parameters = tls.getSSLParameters();
                parameters.setServerNames(List.of(new SNIHostName(host)));
                tls.setSSLParameters(parameters);
                tls.startHandshake();
                List<X509Certificate> chain = new ArrayList<>();
                for (Certificate certificate : tls.getSession().getPeerCertificates()) {
                    chain.add((X509Certificate) certificate);
                }
                PeerCertificates peer = new PeerCertificates(chain, tls.getSession().getProtocol(),
                        tls.getSession().getCipherSuite());
                try {
                    send(tls.getOutputStream(), "QUIT");
                } catch (IOException e) {
                    // The certificates are what we came for.
                }
                return peer;
            }
        } catch (IOException e) {
            throw new UnreachableException(address.getHostAddress() + " port " + port + ": " + e.getMessage());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("no TLS in this JVM", e);
        }
    }

    private static List<String> reply(BufferedReader in) throws IOException {
        List<String> lines = new ArrayList<>();
        String line;
        do {
            line = in.readLine();
            if (line == null) {
                throw new IOException("the server closed the connection");
            }
            lines.add(line);
        } while (line.length() > 3 && line.charAt(3) == '-');
        return lines;
    }

    private static void expect(List<String> reply, String first, String what) throws IOException {
        if (!reply.get(reply.size() - 1).startsWith(first)) {
            throw new IOException(what + " answered " + String.join(" ", reply));
        }
    }

    private static void send(OutputStream out, String command) throws IOException {
        out.write((command + "\r\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
    }

    private static String localName() {
        try {
            return InetAddress.getLocalHost().getCanonicalHostName();
        } catch (IOException e) {
            return "localhost";
        }
    }

    // Accepts any chain: judging it is the caller's job, with reasons it can report.
    private static final class Recording implements X509TrustManager {
        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) {
            throw new UnsupportedOperationException("a client certificate is never checked here");
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) {
            // Recorded by the session.
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[0];
        }
    }
}
