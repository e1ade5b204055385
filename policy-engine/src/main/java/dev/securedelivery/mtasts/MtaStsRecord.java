package dev.securedelivery.mtasts;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * The {@code _mta-sts} TXT record of RFC 8461 3.1: a version, a policy {@code id} that changes
 * whenever the policy does, and extension fields.
 */
public final class MtaStsRecord {
    private static final String VERSION = "v=STSv1";
    private static final int MAX_ID_LENGTH = 32;
    private static final int MAX_EXTENSION_NAME_LENGTH = 32;

    private final String id;
    private final Map<String, String> extensions;

    private MtaStsRecord(String id, Map<String, String> extensions) {
        this.id = id;
        this.extensions = Collections.unmodifiableMap(extensions);
    }

    /**
     * Whether a TXT record (its character-strings already joined) is an MTA-STS record at all,
     * valid or not: it begins with {@code v=STSv1} and a field delimiter. RFC 8461 3.1 discards
     * every other record, so an SPF record or {@code v=STSv10} does not count as a second record.
     */
    public static boolean isStsRecord(String text) {
        if (!text.startsWith(VERSION)) {
            return false;
        }
        int i = VERSION.length();
        while (i < text.length() && isWsp(text.charAt(i))) {
            i++;
        }
        return i < text.length() && text.charAt(i) == ';';
    }

    /**
     * Parses a record by the grammar of RFC 8461 3.1 (the error quotes the record only through
     * {@link MtaStsPolicy#printable}, so that it is fit for a log line):
     * <pre>
     * sts-text-record = sts-version 1*(sts-field-delim sts-field) [sts-field-delim]
     * sts-field-delim = *WSP ";" *WSP
     * sts-id          = %s"id=" 1*32(ALPHA / DIGIT)
     * sts-extension   = sts-ext-name "=" sts-ext-value
     * </pre>
     * {@code id} is required. A repeated field must be well-formed but is ignored after its first
     * occurrence (RFC 8461 3.2 says so for TXT records and policies alike).
     */
    public static MtaStsRecord parse(String text) throws MtaStsSyntaxException {
        Objects.requireNonNull(text, "text");
        if (!text.startsWith(VERSION)) {
            throw new MtaStsSyntaxException("the record does not begin with " + VERSION);
        }
        String id = null;
        Map<String, String> extensions = new LinkedHashMap<>();
        int pos = VERSION.length();
        while (pos < text.length()) {
            int delimiter = skipWsp(text, pos);
            if (delimiter == text.length()) {
                // Whitespace may only surround a ";", never end the record on its own.
                throw new MtaStsSyntaxException("whitespace at the end of the record without a \";\"");
            }
            if (text.charAt(delimiter) != ';') {
                throw new MtaStsSyntaxException("expected \";\" at position " + delimiter + ", got \""
                        + MtaStsPolicy.printable(text.substring(delimiter, delimiter + 1)) + "\"");
            }
            pos = skipWsp(text, delimiter + 1);
            if (pos == text.length()) {
                break;
            }
            int nameEnd = text.indexOf('=', pos);
            if (nameEnd < 0) {
                throw new MtaStsSyntaxException("expected \"name=value\" at position " + pos);
            }
            String name = text.substring(pos, nameEnd);
            int valueEnd = nameEnd + 1;
            while (valueEnd < text.length() && text.charAt(valueEnd) != ';' && !isWsp(text.charAt(valueEnd))) {
                valueEnd++;
            }
            String value = text.substring(nameEnd + 1, valueEnd);
            if (name.equals("id")) {
                String parsedId = checkId(value);
                // RFC 8461 3.2: a repeated field is ignored after its first occurrence.
                id = id == null ? parsedId : id;
            } else {
                extensions.putIfAbsent(checkExtensionName(name), checkExtensionValue(name, value));
            }
            pos = valueEnd;
        }
        if (id == null) {
            throw new MtaStsSyntaxException("the record has no id field");
        }
        return new MtaStsRecord(id, extensions);
    }

    private static String checkId(String value) throws MtaStsSyntaxException {
        if (!isValidId(value)) {
            throw new MtaStsSyntaxException(
                    "id must be 1 to 32 letters and digits, got \"" + MtaStsPolicy.printable(value) + "\"");
        }
        return value;
    }

    // sts-id = %s"id=" 1*32(ALPHA / DIGIT)
    static boolean isValidId(String value) {
        boolean valid = !value.isEmpty() && value.length() <= MAX_ID_LENGTH;
        for (int i = 0; valid && i < value.length(); i++) {
            valid = DomainNames.isLetterOrDigit(value.charAt(i));
        }
        return valid;
    }

    // sts-ext-name = (ALPHA / DIGIT) *31(ALPHA / DIGIT / "_" / "-" / ".")
    private static String checkExtensionName(String name) throws MtaStsSyntaxException {
        boolean valid = !name.isEmpty()
                && name.length() <= MAX_EXTENSION_NAME_LENGTH
                && DomainNames.isLetterOrDigit(name.charAt(0));
        for (int i = 1; valid && i < name.length(); i++) {
            char c = name.charAt(i);
            valid = DomainNames.isLetterOrDigit(c) || c == '_' || c == '-' || c == '.';
        }
        if (!valid) {
            throw new MtaStsSyntaxException("\"" + MtaStsPolicy.printable(name) + "\" is not a field name");
        }
        return name;
    }

    // sts-ext-value = 1*(%x21-3A / %x3C / %x3E-7E): visible ASCII but "=" and ";".
    private static String checkExtensionValue(String name, String value) throws MtaStsSyntaxException {
        boolean valid = !value.isEmpty();
        for (int i = 0; valid && i < value.length(); i++) {
            char c = value.charAt(i);
            valid = c >= 0x21 && c <= 0x7e && c != '=';
        }
        if (!valid) {
            throw new MtaStsSyntaxException(
                    "the value of " + name + " must be visible ASCII characters other than \"=\" and \";\"");
        }
        return value;
    }

    private static int skipWsp(String text, int pos) {
        while (pos < text.length() && isWsp(text.charAt(pos))) {
            pos++;
        }
        return pos;
    }

    private static boolean isWsp(char c) {
        return c == ' ' || c == '\t';
    }

    /** The policy id: when it differs from a cached policy's, the policy has changed. */
    public String id() {
        return id;
    }

    /** Extension fields, in record order. */
    public Map<String, String> extensions() {
        return extensions;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof MtaStsRecord
                && id.equals(((MtaStsRecord) other).id)
                && extensions.equals(((MtaStsRecord) other).extensions);
    }

    @Override
    public int hashCode() {
        return Objects.hash(id, extensions);
    }

    @Override
    public String toString() {
        return "MtaStsRecord{id=" + id + (extensions.isEmpty() ? "" : ", extensions=" + extensions) + "}";
    }
}
