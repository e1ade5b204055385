package dev.securedelivery.tlsrpt;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The {@code _smtp._tls.<domain>} TXT record of RFC 8460 3:
 * {@code v=TLSRPTv1; rua=mailto:tlsrpt@example.com,https://reports.example.com/v1}.
 *
 * <p>Strict where the RFC is: {@code v=TLSRPTv1} first (3), exactly one {@code rua} (3: "MUST"
 * have a rua), each URI {@code mailto:} or {@code https:} (3); extension fields of the
 * {@code tlsrpt-extension} grammar are kept, not interpreted. A record that breaks these rules is
 * invalid, and an invalid record means no reports (RFC 8460 3: "MUST ... ignore").
 *
 * <p>RFC 8460 3 sets no limit on the number of {@code rua} URIs. Ours is {@value #MAX_REPORT_URIS}
 * distinct URIs: every URI is a report mail or POST to a third party per period, so a record
 * naming thousands would turn one session into thousands of messages in our name. A duplicate
 * counts once; the URIs beyond the limit are kept out of {@link #reportUris()} and counted in
 * {@link #droppedReportUris()}.
 */
public final class TlsRptRecord {
    /** The most distinct {@code rua} URIs a record's reports go to: our choice, RFC 8460 3 has none. */
    public static final int MAX_REPORT_URIS = 5;

    private static final String VERSION = "v=TLSRPTv1";
    // RFC 8460 3: tlsrpt-ext-name = (ALPHA / DIGIT) *31(ALPHA / DIGIT / "_" / "-" / ".")
    private static final Pattern EXTENSION_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,31}");
    // tlsrpt-ext-value = 1*(%x21-3A / %x3C / %x3E-7E): visible ASCII but ";" and "=".
    private static final Pattern EXTENSION_VALUE = Pattern.compile("[\\x21-\\x3a\\x3c\\x3e-\\x7e]+");

    private final List<URI> reportUris;
    private final int droppedReportUris;
    private final Map<String, String> extensions;

    private TlsRptRecord(List<URI> reportUris, int droppedReportUris, Map<String, String> extensions) {
        this.reportUris = Collections.unmodifiableList(reportUris);
        this.droppedReportUris = droppedReportUris;
        this.extensions = Collections.unmodifiableMap(extensions);
    }

    /** Whether a TXT string is meant as a TLS-RPT record (starts with the version field, 3). */
    public static boolean isTlsRptRecord(String text) {
        return text.trim().startsWith(VERSION);
    }

    /**
     * The record among the TXT records at {@code _smtp._tls.<domain>} (each record's strings
     * concatenated): RFC 8460 3 discards the records that do not start with {@code v=TLSRPTv1}; if
     * then not exactly one is left, the domain does not implement TLS-RPT.
     *
     * @return empty if no record is a TLS-RPT record
     * @throws TlsRptSyntaxException if there are several, or the one is invalid: no reports either
     */
    public static Optional<TlsRptRecord> select(List<String> texts) throws TlsRptSyntaxException {
        List<String> records = new ArrayList<>();
        for (String text : texts) {
            if (isTlsRptRecord(text)) {
                records.add(text);
            }
        }
        if (records.isEmpty()) {
            return Optional.empty();
        }
        if (records.size() > 1) {
            throw new TlsRptSyntaxException(records.size() + " TLS-RPT records; exactly one is allowed (RFC 8460 3)");
        }
        return Optional.of(parse(records.get(0)));
    }

    /** Parses the text of one TXT record (its strings concatenated). */
    public static TlsRptRecord parse(String text) throws TlsRptSyntaxException {
        String[] fields = text.split(";", -1);
        if (!fields[0].trim().equals(VERSION)) {
            throw new TlsRptSyntaxException(
                    "the record must start with " + VERSION + " (RFC 8460 3), got \"" + fields[0].trim() + "\"");
        }
        List<URI> uris = null;
        Map<String, String> extensions = new LinkedHashMap<>();
        for (int i = 1; i < fields.length; i++) {
            String field = fields[i].trim();
            if (field.isEmpty()) {
                // A trailing ";" (tlsrpt-field-delim at the end) is allowed by the grammar.
                if (i == fields.length - 1) {
                    continue;
                }
                throw new TlsRptSyntaxException("empty field between \";\"");
            }
            int equals = field.indexOf('=');
            if (equals <= 0) {
                throw new TlsRptSyntaxException("field \"" + field + "\" is not name=value");
            }
            String name = field.substring(0, equals).trim();
            String value = field.substring(equals + 1).trim();
            if (name.equals("rua")) {
                if (uris != null) {
                    throw new TlsRptSyntaxException("more than one rua field (RFC 8460 3)");
                }
                uris = reportUris(value);
            } else if (name.equals("v")) {
                throw new TlsRptSyntaxException("v= may appear only first");
            } else {
                if (!EXTENSION_NAME.matcher(name).matches()
                        || !EXTENSION_VALUE.matcher(value).matches()) {
                    throw new TlsRptSyntaxException("field \"" + field + "\" is not a valid extension (RFC 8460 3)");
                }
                extensions.putIfAbsent(name, value);
            }
        }
        if (uris == null) {
            throw new TlsRptSyntaxException("no rua field: a record must name where reports go (RFC 8460 3)");
        }
        // Every URI was checked above: one bad URI makes the record invalid, wherever it stands.
        List<URI> distinct = new ArrayList<>(new LinkedHashSet<>(uris));
        int dropped = Math.max(0, distinct.size() - MAX_REPORT_URIS);
        return new TlsRptRecord(new ArrayList<>(distinct.subList(0, distinct.size() - dropped)), dropped, extensions);
    }

    private static List<URI> reportUris(String value) throws TlsRptSyntaxException {
        List<URI> uris = new ArrayList<>();
        for (String part : value.split(",", -1)) {
            String text = part.trim();
            if (text.isEmpty()) {
                throw new TlsRptSyntaxException("empty URI in rua");
            }
            for (int i = 0; i < text.length(); i++) {
                char c = text.charAt(i);
                if (c <= ' ' || c > '~') {
                    // RFC 3986 2: a URI is printable ASCII; java.net.URI would take other characters.
                    throw new TlsRptSyntaxException(
                            "rua URI \"" + text + "\" has a character that is not printable" + " ASCII (RFC 3986 2)");
                }
            }
            URI uri;
            try {
                uri = new URI(text);
            } catch (URISyntaxException e) {
                throw new TlsRptSyntaxException("rua URI \"" + text + "\" is not a URI: " + e.getReason());
            }
            String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
            if (scheme.equals("mailto")) {
                String address = uri.getSchemeSpecificPart();
                if (address == null || address.indexOf('@') <= 0 || address.endsWith("@")) {
                    throw new TlsRptSyntaxException("rua URI \"" + text + "\" has no mail address");
                }
            } else if (scheme.equals("https")) {
                if (uri.getHost() == null) {
                    throw new TlsRptSyntaxException("rua URI \"" + text + "\" has no host");
                }
            } else {
                throw new TlsRptSyntaxException("rua URI \"" + text + "\" must be mailto: or https: (RFC 8460 3)");
            }
            uris.add(uri);
        }
        return uris;
    }

    /**
     * Where reports go, in the record's order: at most {@value #MAX_REPORT_URIS}, each once (URIs
     * compared as {@link URI#equals} does: scheme and host in any case, the rest exactly).
     */
    public List<URI> reportUris() {
        return reportUris;
    }

    /** How many distinct {@code rua} URIs beyond {@value #MAX_REPORT_URIS} the record named: they get nothing. */
    public int droppedReportUris() {
        return droppedReportUris;
    }

    /** Extension fields, first occurrence of each name. */
    public Map<String, String> extensions() {
        return extensions;
    }

    @Override
    public String toString() {
        StringBuilder text = new StringBuilder(VERSION).append("; rua=");
        for (int i = 0; i < reportUris.size(); i++) {
            text.append(i == 0 ? "" : ",").append(reportUris.get(i));
        }
        extensions.forEach(
                (name, value) -> text.append("; ").append(name).append('=').append(value));
        return text.toString();
    }
}
