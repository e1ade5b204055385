package dev.securedelivery.testing;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;

/** An end-entity key and the chain a server sends with it (leaf first, root left out). */
public final class IssuedCertificate {
    private static final char[] PASSWORD = "test".toCharArray();

    private final PrivateKey privateKey;
    private final List<X509Certificate> chain;
    private final X509Certificate root;

    IssuedCertificate(PrivateKey privateKey, List<X509Certificate> chain, X509Certificate root) {
        this.privateKey = privateKey;
        this.chain = List.copyOf(chain);
        this.root = root;
    }

    /** The same key and chain, with the root appended, as some servers send it. */
    public IssuedCertificate sendingRoot() {
        List<X509Certificate> withRoot = new ArrayList<>(chain);
        withRoot.add(root);
        return new IssuedCertificate(privateKey, withRoot, root);
    }

    /** The same key and leaf, sent with other issuer certificates: a misconfigured or forged chain. */
    public IssuedCertificate withIssuers(X509Certificate... issuers) {
        List<X509Certificate> replaced = new ArrayList<>();
        replaced.add(leaf());
        replaced.addAll(List.of(issuers));
        return new IssuedCertificate(privateKey, replaced, root);
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
            KeyStore store = keyStore(PASSWORD);
            KeyManagerFactory factory = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            factory.init(store, PASSWORD);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(factory.getKeyManagers(), null, new SecureRandom());
            return context;
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Writes the key and chain to {@code file} as a PKCS12 key store, as James's {@code <tls>} configuration reads one. */
    public void writePkcs12(Path file, String password) {
        try (OutputStream out = Files.newOutputStream(file)) {
            keyStore(password.toCharArray()).store(out, password.toCharArray());
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private KeyStore keyStore(char[] password) throws GeneralSecurityException, IOException {
        KeyStore store = KeyStore.getInstance("PKCS12");
        store.load(null, null);
        store.setKeyEntry("server", privateKey, password, chain.toArray(new X509Certificate[0]));
        return store;
    }
}
