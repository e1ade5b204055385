package dev.securedelivery.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import javax.net.ssl.ExtendedSSLSession;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SNIServerName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;

/**
 * A TLS server on a loopback address that completes handshakes with whatever chain its context
 * presents, notes the SNI host name each client asked for, and closes.
 */
public final class TestTlsServer implements AutoCloseable {
    private final SSLServerSocket socket;
    private final Thread acceptor;
    private final List<String> serverNames = new CopyOnWriteArrayList<>();

    private TestTlsServer(SSLServerSocket socket) {
        this.socket = socket;
        this.acceptor = new Thread(this::serve, "test-tls-server");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    public static TestTlsServer start(InetAddress address, SSLContext tls) {
        try {
            SSLServerSocket socket =
                    (SSLServerSocket) tls.getServerSocketFactory().createServerSocket();
            socket.bind(new InetSocketAddress(address, 0));
            return new TestTlsServer(socket);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public InetSocketAddress address() {
        return (InetSocketAddress) socket.getLocalSocketAddress();
    }

    /** The SNI host names clients sent, in order; "" for a client that sent none. */
    public List<String> serverNames() {
        return List.copyOf(serverNames);
    }

    private void serve() {
        while (!socket.isClosed()) {
            try (SSLSocket client = (SSLSocket) socket.accept()) {
                client.setSoTimeout(5000);
                try {
                    client.startHandshake();
                    serverNames.add(requestedName(client));
                    client.getOutputStream().write('.');
                    client.getOutputStream().flush();
                } catch (IOException e) {
                    // The client refused the chain: what the test is about, not a server problem.
                }
            } catch (IOException e) {
                return;
            }
        }
    }

    private static String requestedName(SSLSocket client) {
        if (client.getSession() instanceof ExtendedSSLSession) {
            for (SNIServerName name : ((ExtendedSSLSession) client.getSession()).getRequestedServerNames()) {
                if (name instanceof SNIHostName) {
                    return ((SNIHostName) name).getAsciiName();
                }
            }
        }
        return "";
    }

    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException e) {
            // closing anyway
        }
    }
}
