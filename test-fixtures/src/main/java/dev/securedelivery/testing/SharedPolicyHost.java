package dev.securedelivery.testing;

import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import javax.net.ssl.ExtendedSSLSession;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SNIServerName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLSession;
import javax.net.ssl.X509ExtendedKeyManager;

/**
 * One HTTPS server for many policy hosts, as a hosting provider's: certificates of {@value
 * #NAMES_PER_CERTIFICATE} names each, the one that names the requested host chosen by SNI (one
 * certificate of 10,000 names would make every handshake carry 300 KB).
 */
public final class SharedPolicyHost {
    public static final int NAMES_PER_CERTIFICATE = 100;

    private SharedPolicyHost() {}

    /** The TLS of one server for every host of {@code names}, each named by a certificate of {@code ca}. */
    public static SSLContext serverContext(TestCertificateAuthority ca, List<String> names)
            throws GeneralSecurityException, IOException {
        KeyStore all = KeyStore.getInstance("PKCS12");
        all.load(null, null);
        char[] password = "bench".toCharArray();
        Map<String, String> aliasByHost = new HashMap<>();
        Path file = Files.createTempFile("cold-plans", ".p12");
        try {
            for (int from = 0; from < names.size(); from += NAMES_PER_CERTIFICATE) {
                List<String> group = names.subList(from, Math.min(names.size(), from + NAMES_PER_CERTIFICATE));
                ca.issue(group.toArray(new String[0])).writePkcs12(file, "bench");
                KeyStore one = KeyStore.getInstance("PKCS12");
                try (InputStream in = Files.newInputStream(file)) {
                    one.load(in, password);
                }
                String alias = "group" + from;
                String original = Collections.list(one.aliases()).get(0);
                all.setEntry(
                        alias,
                        one.getEntry(original, new KeyStore.PasswordProtection(password)),
                        new KeyStore.PasswordProtection(password));
                for (String name : group) {
                    aliasByHost.put(name, alias);
                }
            }
        } finally {
            Files.deleteIfExists(file);
        }
        KeyManagerFactory factory = KeyManagerFactory.getInstance("SunX509");
        factory.init(all, password);
        X509ExtendedKeyManager keys = (X509ExtendedKeyManager) factory.getKeyManagers()[0];
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(new KeyManager[] {new BySni(keys, aliasByHost)}, null, new SecureRandom());
        return context;
    }

    /** Chooses the certificate that names the host the client asked for. */
    private static final class BySni extends X509ExtendedKeyManager {
        private final X509ExtendedKeyManager keys;
        private final Map<String, String> aliasByHost;

        BySni(X509ExtendedKeyManager keys, Map<String, String> aliasByHost) {
            this.keys = keys;
            this.aliasByHost = aliasByHost;
        }

        @Override
        public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
            SSLSession handshake = engine.getHandshakeSession();
            if (handshake instanceof ExtendedSSLSession) {
                for (SNIServerName name : ((ExtendedSSLSession) handshake).getRequestedServerNames()) {
                    if (name instanceof SNIHostName) {
                        String alias = aliasByHost.get(((SNIHostName) name).getAsciiName());
                        if (alias != null) {
                            return alias;
                        }
                    }
                }
            }
            return null;
        }

        @Override
        public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
            return null;
        }

        @Override
        public String[] getServerAliases(String keyType, Principal[] issuers) {
            return keys.getServerAliases(keyType, issuers);
        }

        @Override
        public String[] getClientAliases(String keyType, Principal[] issuers) {
            return null;
        }

        @Override
        public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
            return null;
        }

        @Override
        public X509Certificate[] getCertificateChain(String alias) {
            return keys.getCertificateChain(alias);
        }

        @Override
        public PrivateKey getPrivateKey(String alias) {
            return keys.getPrivateKey(alias);
        }
    }
}
