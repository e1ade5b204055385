package dev.securedelivery.testing;

import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.util.List;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;

/** An end-entity key and the chain a server sends with it (leaf first, root left out). */
public final class IssuedCertificate {
    private static final char[] PASSWORD = "test".toCharArray();

    private final PrivateKey privateKey;
    private final List<X509Certificate> chain;

    IssuedCertificate(PrivateKey privateKey, List<X509Certificate> chain) {
        this.privateKey = privateKey;
        this.chain = List.copyOf(chain);
    }

    public PrivateKey privateKey() {
        return privateKey;
    }

    public X509Certificate leaf() {
        return chain.get(0);
    }

    public List<X509Certificate> chain() {
        return chain;
    }

    /** A server TLS context that presents this certificate and chain. */
    public SSLContext serverContext() {
        try {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            store.setKeyEntry("server", privateKey, PASSWORD, chain.toArray(new X509Certificate[0]));
            KeyManagerFactory factory = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            factory.init(store, PASSWORD);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(factory.getKeyManagers(), null, new SecureRandom());
            return context;
        } catch (GeneralSecurityException | java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
