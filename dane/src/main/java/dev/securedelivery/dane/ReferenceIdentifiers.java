package dev.securedelivery.dane;

import java.net.IDN;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;

/**
 * The names a server certificate must carry for DANE-TA(2) (RFC 7672 3.2.2, RFC 7671 10.2): the
 * TLSA base domain first, then the MX host name and the next-hop domain where RFC 7672 allows
 * them. Matching follows RFC 6125: DNS-ID subject alternative names, the subject's CN only when
 * there is no DNS-ID at all (6.4.4), and a wildcard only as the whole leftmost label, standing for
 * exactly one label (6.4.3).
 */
public final class ReferenceIdentifiers {
    private static final int SAN_DNS_NAME = 2;

    private final List<String> names;

    private ReferenceIdentifiers(List<String> names) {
        this.names = List.copyOf(names);
    }

    /** The names, in order of preference; duplicates, case and trailing dots do not count. */
    public static ReferenceIdentifiers of(String... names) {
        return of(List.of(names));
    }

    public static ReferenceIdentifiers of(Collection<String> names) {
        Set<String> normalized = new LinkedHashSet<>();
        for (String name : names) {
            String ascii = normalize(Objects.requireNonNull(name, "name"));
            if (!ascii.isEmpty()) {
                normalized.add(ascii);
            }
        }
        if (normalized.isEmpty()) {
            throw new IllegalArgumentException("no reference identifier");
        }
        return new ReferenceIdentifiers(new ArrayList<>(normalized));
    }

    public List<String> names() {
        return names;
    }

    /** The first name: the TLSA base domain, sent as SNI (RFC 7671 10.2). */
    public String primary() {
        return names.get(0);
    }

    /** The name of {@code certificate} that matches one of these, or null if none does. */
    public String matchingName(X509Certificate certificate) {
        for (String presented : presentedNames(certificate)) {
            for (String reference : names) {
                if (matches(presented, reference)) {
                    return presented;
                }
            }
        }
        return null;
    }

    /** The DNS-IDs of {@code certificate}, or its subject CNs if it has none (RFC 6125 6.4.4). */
    static List<String> presentedNames(X509Certificate certificate) {
        List<String> dnsIds = new ArrayList<>();
        try {
            Collection<List<?>> alternatives = certificate.getSubjectAlternativeNames();
            if (alternatives != null) {
                for (List<?> alternative : alternatives) {
                    if (alternative.size() >= 2
                            && Integer.valueOf(SAN_DNS_NAME).equals(alternative.get(0))
                            && alternative.get(1) instanceof String) {
                        dnsIds.add(((String) alternative.get(1)).toLowerCase(Locale.ROOT));
                    }
                }
            }
        } catch (CertificateParsingException e) {
            return List.of();
        }
        if (!dnsIds.isEmpty()) {
            return dnsIds;
        }
        List<String> commonNames = new ArrayList<>();
        try {
            for (Rdn rdn : new LdapName(certificate.getSubjectX500Principal().getName()).getRdns()) {
                if (rdn.getType().equalsIgnoreCase("CN") && rdn.getValue() instanceof String) {
                    commonNames.add(((String) rdn.getValue()).toLowerCase(Locale.ROOT));
                }
            }
        } catch (InvalidNameException e) {
            return List.of();
        }
        return commonNames;
    }

    // RFC 6125 6.4.3: "*" only as the complete leftmost label, matching exactly one label.
    static boolean matches(String presented, String reference) {
        String name = normalize(presented);
        if (name.isEmpty()) {
            return false;
        }
        if (!name.startsWith("*.")) {
            return name.indexOf('*') < 0 && name.equals(reference);
        }
        String suffix = name.substring(1);
        if (suffix.indexOf('*') >= 0 || suffix.indexOf('.', 1) < 0) {
            // No wildcards beyond the first label, and none directly under a top-level domain.
            return false;
        }
        int labelEnd = reference.indexOf('.');
        return labelEnd > 0 && reference.substring(labelEnd).equals(suffix);
    }

    private static String normalize(String name) {
        String trimmed = name.endsWith(".") ? name.substring(0, name.length() - 1) : name;
        if (trimmed.chars().allMatch(c -> c < 0x80)) {
            return trimmed.toLowerCase(Locale.ROOT);
        }
        try {
            return IDN.toASCII(trimmed, IDN.ALLOW_UNASSIGNED).toLowerCase(Locale.ROOT);
        } catch (IllegalArgumentException e) {
            return "";
        }
    }

    @Override
    public String toString() {
        return names.toString();
    }
}
