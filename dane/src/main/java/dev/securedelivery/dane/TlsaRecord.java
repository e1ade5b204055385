package dev.securedelivery.dane;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * One TLSA record (RFC 6698 2.1): certificate usage, selector, matching type and certificate
 * association data, with the SMTP rules of which records are usable (RFC 7672 3.1).
 */
public final class TlsaRecord {
    /** RFC 6698 2.1.1 and RFC 7218 2.1: what the record pins. */
    public static final int PKIX_TA = 0;

    public static final int PKIX_EE = 1;
    public static final int DANE_TA = 2;
    public static final int DANE_EE = 3;
    /** RFC 6698 2.1.2: what part of the certificate is matched. */
    public static final int SELECTOR_CERT = 0;

    public static final int SELECTOR_SPKI = 1;
    /** RFC 6698 2.1.3: how it is matched. */
    public static final int MATCH_FULL = 0;

    public static final int MATCH_SHA256 = 1;
    public static final int MATCH_SHA512 = 2;

    private final int usage;
    private final int selector;
    private final int matchingType;
    private final byte[] data;

    private TlsaRecord(int usage, int selector, int matchingType, byte[] data) {
        this.usage = usage;
        this.selector = selector;
        this.matchingType = matchingType;
        this.data = data.clone();
    }

    public static TlsaRecord of(int usage, int selector, int matchingType, byte[] data) {
        checkOctet(usage, "usage");
        checkOctet(selector, "selector");
        checkOctet(matchingType, "matching type");
        return new TlsaRecord(usage, selector, matchingType, Objects.requireNonNull(data, "data"));
    }

    /** The record that pins {@code certificate} with the given usage, selector and matching type. */
    public static TlsaRecord forCertificate(int usage, int selector, int matchingType, X509Certificate certificate) {
        if (selector != SELECTOR_CERT && selector != SELECTOR_SPKI) {
            throw new IllegalArgumentException("unknown selector " + selector);
        }
        byte[] selected;
        try {
            selected = selector == SELECTOR_CERT
                    ? certificate.getEncoded()
                    : certificate.getPublicKey().getEncoded();
        } catch (CertificateEncodingException e) {
            throw new IllegalArgumentException("cannot encode " + certificate.getSubjectX500Principal(), e);
        }
        byte[] data;
        switch (matchingType) {
            case MATCH_FULL:
                data = selected;
                break;
            case MATCH_SHA256:
                data = digest("SHA-256", selected);
                break;
            case MATCH_SHA512:
                data = digest("SHA-512", selected);
                break;
            default:
                throw new IllegalArgumentException("unknown matching type " + matchingType);
        }
        return of(usage, selector, matchingType, data);
    }

    /** The record as dnsjava parsed it from an answer. */
    public static TlsaRecord from(org.xbill.DNS.TLSARecord record) {
        return of(
                record.getCertificateUsage(),
                record.getSelector(),
                record.getMatchingType(),
                record.getCertificateAssociationData());
    }

    /**
     * A record in presentation format (RFC 6698 2.2): {@code "3 1 1 0123...ef"}, the data in hex,
     * possibly split by whitespace.
     *
     * @throws IllegalArgumentException if the text is not a TLSA record; its message quotes the
     *     text only escaped and shortened, fit for a log line
     */
    public static TlsaRecord parse(String text) {
        String[] fields = text.trim().split("\\s+", 4);
        if (fields.length != 4) {
            throw new IllegalArgumentException(
                    "expected \"usage selector matching-type data\", got \"" + quoted(text) + "\"");
        }
        try {
            return of(
                    Integer.parseInt(fields[0]),
                    Integer.parseInt(fields[1]),
                    Integer.parseInt(fields[2]),
                    hex(fields[3].replaceAll("\\s+", "")));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("not a TLSA record: \"" + quoted(text) + "\"");
        }
    }

    // Text from outside in a message: control, format and line separator characters escaped, cut after 80.
    private static String quoted(String text) {
        StringBuilder out = new StringBuilder();
        int i = 0;
        for (; i < text.length() && out.length() < 80; i++) {
            char c = text.charAt(i);
            if (Character.isISOControl(c)
                    || c == '\u2028'
                    || c == '\u2029'
                    || Character.getType(c) == Character.FORMAT) {
                out.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
            } else {
                out.append(c);
            }
        }
        return i < text.length() ? out.append("...").toString() : out.toString();
    }

    /** The certificate usage: {@link #PKIX_TA}, {@link #PKIX_EE}, {@link #DANE_TA} or {@link #DANE_EE}. */
    public int usage() {
        return usage;
    }

    public int selector() {
        return selector;
    }

    public int matchingType() {
        return matchingType;
    }

    public byte[] data() {
        return data.clone();
    }

    /**
     * Why an SMTP client cannot use this record, or empty if it can. RFC 7672 3.1.3 makes PKIX-TA(0)
     * and PKIX-EE(1) unusable for SMTP; unknown usages, selectors and matching types are unusable
     * (RFC 6698 4.1); so is a digest of the wrong length, which can match nothing.
     */
    public Optional<String> unusableReason() {
        if (usage == PKIX_TA || usage == PKIX_EE) {
            return Optional.of("usage " + usage + " (PKIX-" + (usage == PKIX_TA ? "TA" : "EE")
                    + ") is not usable with SMTP (RFC 7672 3.1.3)");
        }
        if (usage != DANE_TA && usage != DANE_EE) {
            return Optional.of("unknown usage " + usage);
        }
        if (selector != SELECTOR_CERT && selector != SELECTOR_SPKI) {
            return Optional.of("unknown selector " + selector);
        }
        switch (matchingType) {
            case MATCH_FULL:
                return data.length == 0 ? Optional.of("empty association data") : Optional.empty();
            case MATCH_SHA256:
                return data.length == 32
                        ? Optional.empty()
                        : Optional.of("a SHA-256 digest has 32 bytes, this one " + data.length);
            case MATCH_SHA512:
                return data.length == 64
                        ? Optional.empty()
                        : Optional.of("a SHA-512 digest has 64 bytes, this one " + data.length);
            default:
                return Optional.of("unknown matching type " + matchingType);
        }
    }

    public boolean isUsable() {
        return unusableReason().isEmpty();
    }

    /** Whether {@code certificate}'s selected part matches this record's data. */
    public boolean matches(X509Certificate certificate) {
        byte[] selected;
        try {
            selected = selector == SELECTOR_CERT
                    ? certificate.getEncoded()
                    : certificate.getPublicKey().getEncoded();
        } catch (CertificateEncodingException e) {
            return false;
        }
        return matchesSelected(selected);
    }

    /** Whether the DER of a certificate or SubjectPublicKeyInfo, as this record's selector picks it, matches. */
    boolean matchesSelected(byte[] selected) {
        switch (matchingType) {
            case MATCH_FULL:
                return MessageDigest.isEqual(selected, data);
            case MATCH_SHA256:
                return MessageDigest.isEqual(digest("SHA-256", selected), data);
            case MATCH_SHA512:
                return MessageDigest.isEqual(digest("SHA-512", selected), data);
            default:
                return false;
        }
    }

    static byte[] digest(String algorithm, byte[] input) {
        try {
            return MessageDigest.getInstance(algorithm).digest(input);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK lacks " + algorithm, e);
        }
    }

    private static void checkOctet(int value, String what) {
        if (value < 0 || value > 255) {
            throw new IllegalArgumentException(what + " must be 0 to 255, got " + value);
        }
    }

    private static byte[] hex(String text) {
        if (text.length() % 2 != 0) {
            throw new IllegalArgumentException("odd number of hex digits: \"" + quoted(text) + "\"");
        }
        byte[] bytes = new byte[text.length() / 2];
        for (int i = 0; i < bytes.length; i++) {
            int high = Character.digit(text.charAt(2 * i), 16);
            int low = Character.digit(text.charAt(2 * i + 1), 16);
            if (high < 0 || low < 0) {
                throw new IllegalArgumentException("not hex: \"" + quoted(text) + "\"");
            }
            bytes[i] = (byte) (high << 4 | low);
        }
        return bytes;
    }

    @Override
    public boolean equals(Object other) {
        if (!(other instanceof TlsaRecord)) {
            return false;
        }
        TlsaRecord that = (TlsaRecord) other;
        return usage == that.usage
                && selector == that.selector
                && matchingType == that.matchingType
                && Arrays.equals(data, that.data);
    }

    @Override
    public int hashCode() {
        return Objects.hash(usage, selector, matchingType, Arrays.hashCode(data));
    }

    /** Presentation format with all the data in lower-case hex, as a zone file has it (RFC 6698 2.2). */
    public String toPresentation() {
        StringBuilder text = new StringBuilder()
                .append(usage)
                .append(' ')
                .append(selector)
                .append(' ')
                .append(matchingType)
                .append(' ');
        for (byte octet : data) {
            text.append(String.format(Locale.ROOT, "%02x", octet));
        }
        return text.toString();
    }

    /** Presentation format, the data in lower-case hex (shortened past 32 bytes). */
    @Override
    public String toString() {
        StringBuilder text = new StringBuilder()
                .append(usage)
                .append(' ')
                .append(selector)
                .append(' ')
                .append(matchingType)
                .append(' ');
        int shown = Math.min(data.length, 32);
        for (int i = 0; i < shown; i++) {
            text.append(String.format(Locale.ROOT, "%02x", data[i]));
        }
        if (shown < data.length) {
            text.append("...(").append(data.length).append(" bytes)");
        }
        return text.toString();
    }
}
