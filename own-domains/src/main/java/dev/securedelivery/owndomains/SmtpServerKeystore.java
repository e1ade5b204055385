package dev.securedelivery.owndomains;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilder;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;
import org.xml.sax.SAXException;

/**
 * The certificate James's SMTP server presents, as its {@code smtpserver.xml} configures it: the
 * {@code <tls>} of the server listening on port 25 (else the first that has one), its {@code
 * <keystore>} (a {@code file://} URL or a path, relative to James's working directory), {@code
 * <keystoreType>} (JKS by default, as James's) and {@code <secret>}; or its PEM {@code
 * <certificates>}. The chain of the first key entry, leaf first. Read-only; the XML is parsed with no
 * DTD and no external entity.
 */
public final class SmtpServerKeystore {
    private static final long MAX_FILE_BYTES = 1024 * 1024;

    private SmtpServerKeystore() {}

    /** Why a keystore could not be read, in one line. */
    public static final class UnreadableException extends Exception {
        private static final long serialVersionUID = 1L;

        UnreadableException(String message) {
            super(message);
        }
    }

    /**
     * The chain the server of {@code smtpServerXml} presents, {@code home} being James's working
     * directory.
     */
    public static List<X509Certificate> read(Path smtpServerXml, Path home) throws UnreadableException {
        Element tls = tlsOfPort25(parse(smtpServerXml));
        String keystore = text(tls, "keystore");
        String certificates = text(tls, "certificates");
        if (keystore == null && certificates == null) {
            throw new UnreadableException(smtpServerXml + " names no keystore and no certificates under <tls>");
        }
        if (keystore != null) {
            String type = text(tls, "keystoreType");
            String secret = text(tls, "secret");
            return fromKeystore(resolve(keystore, home), type == null ? "JKS" : type, secret);
        }
        return fromPem(resolve(certificates, home));
    }

    /** A PEM file of certificates (leaf first), as {@code <certificates>} or a next key's certificate. */
    public static List<X509Certificate> fromPem(Path file) throws UnreadableException {
        byte[] bytes = bytes(file);
        try {
            CertificateFactory factory = CertificateFactory.getInstance("X.509");
            List<X509Certificate> chain = new ArrayList<>();
            for (Certificate certificate : factory.generateCertificates(new ByteArrayInputStream(bytes))) {
                chain.add((X509Certificate) certificate);
            }
            if (chain.isEmpty()) {
                throw new UnreadableException(file + " holds no certificate");
            }
            return chain;
        } catch (GeneralSecurityException e) {
            throw new UnreadableException(file + " is not a PEM certificate file: " + e.getMessage());
        }
    }

    /** The chain of the first key entry of a keystore file. */
    public static List<X509Certificate> fromKeystore(Path file, String type, String secret) throws UnreadableException {
        byte[] bytes = bytes(file);
        try {
            KeyStore store = KeyStore.getInstance(type);
            try (InputStream in = new ByteArrayInputStream(bytes)) {
                store.load(in, secret == null ? null : secret.toCharArray());
            }
            for (String alias : Collections.list(store.aliases())) {
                if (store.isKeyEntry(alias)) {
                    Certificate[] chain = store.getCertificateChain(alias);
                    if (chain != null && chain.length > 0) {
                        List<X509Certificate> certificates = new ArrayList<>();
                        for (Certificate certificate : chain) {
                            certificates.add((X509Certificate) certificate);
                        }
                        return certificates;
                    }
                }
            }
            throw new UnreadableException(file + " holds no key entry with a certificate");
        } catch (GeneralSecurityException | IOException e) {
            throw new UnreadableException("cannot open the keystore " + file + " (" + type + "): " + e.getMessage());
        }
    }

    private static Document parse(Path file) throws UnreadableException {
        try {
            DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
            factory.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
            factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
            factory.setXIncludeAware(false);
            factory.setExpandEntityReferences(false);
            DocumentBuilder builder = factory.newDocumentBuilder();
            return builder.parse(new ByteArrayInputStream(bytes(file)));
        } catch (ParserConfigurationException | SAXException | IOException e) {
            throw new UnreadableException("cannot read " + file + ": " + e.getMessage());
        }
    }

    private static Element tlsOfPort25(Document document) throws UnreadableException {
        NodeList servers = document.getElementsByTagName("smtpserver");
        Element first = null;
        for (int i = 0; i < servers.getLength(); i++) {
            Element server = (Element) servers.item(i);
            NodeList tls = server.getElementsByTagName("tls");
            if (tls.getLength() == 0) {
                continue;
            }
            String bind = text(server, "bind");
            if (bind != null && bind.trim().endsWith(":25")) {
                return (Element) tls.item(0);
            }
            if (first == null) {
                first = (Element) tls.item(0);
            }
        }
        if (first == null) {
            throw new UnreadableException("no <smtpserver> with <tls>");
        }
        return first;
    }

    private static String text(Element parent, String name) {
        NodeList found = parent.getElementsByTagName(name);
        if (found.getLength() == 0) {
            return null;
        }
        String text = found.item(0).getTextContent();
        return text == null || text.isBlank() ? null : text.trim();
    }

    // James's URLs: file://conf/keystore is conf/keystore under its working directory.
    private static Path resolve(String location, Path home) {
        String path = location.startsWith("file://") ? location.substring("file://".length()) : location;
        Path file = Path.of(path);
        return file.isAbsolute() ? file : home.resolve(file);
    }

    private static byte[] bytes(Path file) throws UnreadableException {
        try {
            if (Files.size(file) > MAX_FILE_BYTES) {
                throw new UnreadableException(file + " is larger than " + MAX_FILE_BYTES + " bytes");
            }
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new UnreadableException("cannot read " + file + ": " + e.getMessage());
        }
    }
}
