package dev.securedelivery.dane;

import dev.securedelivery.tlsrpt.ResultType;
import java.io.ByteArrayInputStream;
import java.security.GeneralSecurityException;
import java.security.InvalidAlgorithmParameterException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.cert.CertPathValidator;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateFactory;
import java.security.cert.CertificateNotYetValidException;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.security.spec.X509EncodedKeySpec;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Every DANE rule for checking a server's chain against its TLSA records, written once:
 * <ul>
 *   <li>Only usable records count (RFC 7672 3.1.3, {@link TlsaRecord#unusableReason()}), and of
 *       those, per usage and selector, only Full(0) records and the strongest digest present
 *       (RFC 7671 9: SHA2-512 over SHA2-256).
 *   <li>DANE-EE(3): the leaf certificate or its public key matches; no name, validity date or
 *       chain check (RFC 7672 3.1.1, RFC 7671 5.1).
 *   <li>DANE-TA(2): a certificate of the chain matches and is the trust anchor; or, when none
 *       does, a {@code 2 0 0} record's certificate or a {@code 2 1 0} record's public key is
 *       (RFC 7671 5.2.2, 5.2.3). The chain from the leaf to the anchor must then pass the JDK's
 *       PKIX validation at the given instant (signatures, validity dates, basic constraints, key
 *       usage; no revocation), and the leaf must carry a reference identifier (RFC 7672 3.2.2,
 *       RFC 6125). A trust anchor matched by selector SPKI(1) contributes only its key and name
 *       (RFC 7671 5.2.1).
 * </ul>
 * Every case ends in a {@link DaneVerification}, never an exception; its failures and detail are
 * single lines without control characters, at most {@link #MAX_LINE} characters each (and "...").
 */
public final class DaneVerifier {
    private static final int MAX_CHAIN = 16;
    /** The longest line of a verification's failures or detail. */
    static final int MAX_LINE = 512;

    private DaneVerifier() {}

    /**
     * Checks {@code chain} (as the server sent it, leaf first) against {@code records}.
     *
     * @param names the reference identifiers for DANE-TA(2) name checks
     * @param now the instant DANE-TA(2) chains must be valid at
     */
    public static DaneVerification verify(
            List<X509Certificate> chain, List<TlsaRecord> records, ReferenceIdentifiers names, Instant now) {
        List<String> failures = new ArrayList<>();
        if (chain.isEmpty()) {
            failures.add("the server sent no certificate");
            return DaneVerification.failure(ResultType.VALIDATION_FAILURE, oneLineEach(failures));
        }
        List<TlsaRecord> usable = usable(records, failures);
        if (usable.isEmpty()) {
            return DaneVerification.failure(ResultType.TLSA_INVALID, oneLineEach(failures));
        }
        X509Certificate leaf = chain.get(0);
        Set<ResultType> reasons = EnumSet.noneOf(ResultType.class);
        for (TlsaRecord record : usable) {
            if (record.usage() != TlsaRecord.DANE_EE) {
                continue;
            }
            if (record.matches(leaf)) {
                return DaneVerification.success(
                        DaneVerification.Method.DANE_EE,
                        record,
                        oneLine("leaf " + leaf.getSubjectX500Principal().getName()),
                        oneLineEach(failures));
            }
            failures.add(record + ": the leaf certificate does not match");
        }
        for (TlsaRecord record : usable) {
            if (record.usage() != TlsaRecord.DANE_TA) {
                continue;
            }
            DaneVerification verified = verifyTrustAnchor(record, chain, names, now, failures, reasons);
            if (verified != null) {
                return verified;
            }
        }
        return DaneVerification.failure(worst(reasons), oneLineEach(failures));
    }

    /** The usable records after digest algorithm agility (RFC 7671 9); the rest noted in {@code failures}. */
    static List<TlsaRecord> usable(List<TlsaRecord> records, List<String> failures) {
        List<TlsaRecord> usable = new ArrayList<>();
        Map<Integer, Integer> strongestDigest = new HashMap<>();
        for (TlsaRecord record : records) {
            String unusable = record.unusableReason().orElse(null);
            if (unusable != null) {
                failures.add(record + ": unusable: " + unusable);
                continue;
            }
            usable.add(record);
            if (record.matchingType() != TlsaRecord.MATCH_FULL) {
                strongestDigest.merge(group(record), record.matchingType(), Math::max);
            }
        }
        List<TlsaRecord> agile = new ArrayList<>();
        for (TlsaRecord record : usable) {
            if (record.matchingType() == TlsaRecord.MATCH_FULL
                    || record.matchingType() == strongestDigest.get(group(record))) {
                agile.add(record);
            } else {
                failures.add(record + ": ignored for a stronger digest of the same usage and selector (RFC 7671 9)");
            }
        }
        return agile;
    }

    // SHA2-512(2) is stronger than SHA2-256(1): the greater matching type is the stronger digest.
    private static int group(TlsaRecord record) {
        return record.usage() << 8 | record.selector();
    }

    private static DaneVerification verifyTrustAnchor(
            TlsaRecord record,
            List<X509Certificate> chain,
            ReferenceIdentifiers names,
            Instant now,
            List<String> failures,
            Set<ResultType> reasons) {
        TrustAnchor anchor = null;
        X509Certificate anchorCertificate = null;
        for (X509Certificate certificate : chain) {
            if (record.matches(certificate)) {
                anchorCertificate = certificate;
                anchor = record.selector() == TlsaRecord.SELECTOR_CERT
                        ? new TrustAnchor(certificate, null)
                        : new TrustAnchor(certificate.getSubjectX500Principal(), certificate.getPublicKey(), null);
                break;
            }
        }
        if (anchor == null && record.matchingType() == TlsaRecord.MATCH_FULL) {
            // RFC 7671 5.2.2 and 5.2.3: a full certificate or key from DNS can anchor a chain that
            // does not include it.
            anchor = anchorFromDns(record, chain, failures);
            if (anchor == null) {
                return null;
            }
        }
        if (anchor == null) {
            failures.add(record + ": no certificate of the chain matches");
            reasons.add(ResultType.TLSA_INVALID);
            return null;
        }
        List<X509Certificate> path = pathTo(chain, anchor, anchorCertificate);
        if (path == null) {
            failures.add(record + ": the chain does not lead from the leaf to the trust anchor " + anchorName(anchor));
            reasons.add(ResultType.VALIDATION_FAILURE);
            return null;
        }
        String invalid = validate(path, anchor, now, reasons);
        if (invalid != null) {
            failures.add(record + ": trust anchor " + anchorName(anchor) + ": " + invalid);
            return null;
        }
        X509Certificate leaf = chain.get(0);
        if (path.isEmpty()) {
            // The leaf is its own trust anchor: PKIX checked nothing, so check its dates here.
            String undated = checkDates(leaf, now, reasons);
            if (undated != null) {
                failures.add(record + ": " + undated);
                return null;
            }
        }
        String name = names.matchingName(leaf);
        if (name == null) {
            failures.add(record + ": the chain validates, but the leaf names "
                    + ReferenceIdentifiers.presentedNames(leaf) + ", none of " + names.names());
            reasons.add(ResultType.CERTIFICATE_HOST_MISMATCH);
            return null;
        }
        return DaneVerification.success(
                DaneVerification.Method.DANE_TA,
                record,
                oneLine("trust anchor " + anchorName(anchor) + ", leaf valid for " + name),
                oneLineEach(failures));
    }

    private static TrustAnchor anchorFromDns(TlsaRecord record, List<X509Certificate> chain, List<String> failures) {
        byte[] data = record.data();
        try {
            if (record.selector() == TlsaRecord.SELECTOR_CERT) {
                X509Certificate certificate = (X509Certificate)
                        CertificateFactory.getInstance("X.509").generateCertificate(new ByteArrayInputStream(data));
                return new TrustAnchor(certificate, null);
            }
            PublicKey key = publicKey(data);
            // The key has no name: it anchors the chain if it signed the topmost certificate.
            X509Certificate top = chain.get(chain.size() - 1);
            top.verify(key);
            return new TrustAnchor(top.getIssuerX500Principal(), key, null);
        } catch (CertificateException e) {
            failures.add(record + ": the record's data is not a certificate: " + e.getMessage());
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            failures.add(record + ": no certificate of the chain matches, and the record's key"
                    + " did not sign the topmost one (" + e.getMessage() + ")");
        }
        return null;
    }

    private static PublicKey publicKey(byte[] spki) throws GeneralSecurityException {
        X509EncodedKeySpec spec = new X509EncodedKeySpec(spki);
        GeneralSecurityException last = null;
        for (String algorithm : new String[] {"EC", "RSA", "Ed25519", "Ed448", "DSA"}) {
            try {
                return KeyFactory.getInstance(algorithm).generatePublic(spec);
            } catch (GeneralSecurityException e) {
                last = e;
            }
        }
        throw last;
    }

    /**
     * The certificates from the leaf up to, but not including, the anchor, following issuer names
     * through the chain in whatever order the server sent it; null if the chain never gets there.
     */
    static List<X509Certificate> pathTo(
            List<X509Certificate> chain, TrustAnchor anchor, X509Certificate anchorCertificate) {
        X509Certificate current = chain.get(0);
        List<X509Certificate> path = new ArrayList<>();
        for (int depth = 0; depth < MAX_CHAIN; depth++) {
            if (current.equals(anchorCertificate)) {
                return path;
            }
            path.add(current);
            if (current.getIssuerX500Principal().equals(anchorSubject(anchor))) {
                return path;
            }
            X509Certificate issuer = null;
            for (X509Certificate candidate : chain) {
                if (!path.contains(candidate)
                        && candidate.getSubjectX500Principal().equals(current.getIssuerX500Principal())) {
                    issuer = candidate;
                    break;
                }
            }
            if (issuer == null) {
                return null;
            }
            current = issuer;
        }
        return null;
    }

    private static javax.security.auth.x500.X500Principal anchorSubject(TrustAnchor anchor) {
        return anchor.getTrustedCert() != null ? anchor.getTrustedCert().getSubjectX500Principal() : anchor.getCA();
    }

    private static String anchorName(TrustAnchor anchor) {
        return anchorSubject(anchor).getName();
    }

    /** Null if {@code path} validates to {@code anchor} at {@code now}, else why not. */
    private static String validate(
            List<X509Certificate> path, TrustAnchor anchor, Instant now, Set<ResultType> reasons) {
        if (path.isEmpty()) {
            return null;
        }
        try {
            PKIXParameters parameters = new PKIXParameters(Set.of(anchor));
            parameters.setRevocationEnabled(false);
            parameters.setDate(Date.from(now));
            CertificateFactory factory = CertificateFactory.getInstance("X.509");
            CertPathValidator.getInstance("PKIX").validate(factory.generateCertPath(path), parameters);
            return null;
        } catch (CertPathValidatorException e) {
            boolean expired = e.getReason() == CertPathValidatorException.BasicReason.EXPIRED
                    || e.getReason() == CertPathValidatorException.BasicReason.NOT_YET_VALID;
            reasons.add(expired ? ResultType.CERTIFICATE_EXPIRED : ResultType.VALIDATION_FAILURE);
            int index = e.getIndex();
            String which = index >= 0 && index < path.size()
                    ? " (" + path.get(index).getSubjectX500Principal().getName() + ")"
                    : "";
            return "the chain does not validate" + which + ": " + e.getMessage();
        } catch (InvalidAlgorithmParameterException | CertificateException | java.security.NoSuchAlgorithmException e) {
            reasons.add(ResultType.VALIDATION_FAILURE);
            return "the chain cannot be validated: " + e.getMessage();
        }
    }

    private static String checkDates(X509Certificate certificate, Instant now, Set<ResultType> reasons) {
        try {
            certificate.checkValidity(Date.from(now));
            return null;
        } catch (CertificateExpiredException | CertificateNotYetValidException e) {
            reasons.add(ResultType.CERTIFICATE_EXPIRED);
            return "the leaf is not valid now: " + e.getMessage();
        }
    }

    /**
     * {@code text} fit for a log line and a TLS report: the names of the certificates the server
     * sent and the JDK's messages about them (which quote the data, line breaks included) can
     * carry any character, so every control, format or line separator character becomes a space,
     * and the line is capped.
     */
    static String oneLine(String text) {
        StringBuilder line = new StringBuilder(Math.min(text.length(), MAX_LINE));
        for (int i = 0; i < text.length() && line.length() < MAX_LINE; i++) {
            char c = text.charAt(i);
            boolean control = Character.isISOControl(c)
                    || c == '\u2028'
                    || c == '\u2029'
                    || Character.getType(c) == Character.FORMAT;
            line.append(control ? ' ' : c);
        }
        return line.length() < text.length() ? line.append("...").toString() : line.toString();
    }

    private static List<String> oneLineEach(List<String> texts) {
        List<String> lines = new ArrayList<>(texts.size());
        for (String text : texts) {
            lines.add(oneLine(text));
        }
        return lines;
    }

    // The failure nearest to success decides what is reported: a chain that validated but names
    // another host says more than one that never matched a record.
    private static ResultType worst(Set<ResultType> reasons) {
        for (ResultType type : List.of(
                ResultType.CERTIFICATE_HOST_MISMATCH, ResultType.CERTIFICATE_EXPIRED, ResultType.VALIDATION_FAILURE)) {
            if (reasons.contains(type)) {
                return type;
            }
        }
        return ResultType.TLSA_INVALID;
    }
}
