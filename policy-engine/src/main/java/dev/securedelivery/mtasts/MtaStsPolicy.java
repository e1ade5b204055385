package dev.securedelivery.mtasts;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * An MTA-STS policy body (RFC 8461 3.2): its mode, its MX host patterns and its {@code max_age}.
 *
 * <p>Instances are immutable and compact: the patterns are kept as one array of lower-case ASCII
 * bytes, because an MTA caches one policy per destination domain and may cache very many.
 */
public final class MtaStsPolicy {
    /** The largest {@code max_age} RFC 8461 3.2 allows: about one year, in seconds. */
    public static final long MAX_AGE_LIMIT_SECONDS = 31_557_600L;

    private static final int MAX_FIELD_NAME_LENGTH = 32;
    private static final int MAX_AGE_MAX_DIGITS = 10;
    private static final byte PATTERN_SEPARATOR = ' ';

    private final MtaStsMode mode;
    /** The patterns, lower case, separated by single spaces; empty when there are none. */
    private final byte[] mx;

    private final int maxAgeSeconds;
    /** The body a parsed policy came from, UTF-8, as served; null for one built from its parts. */
    private final byte[] served;

    private MtaStsPolicy(MtaStsMode mode, byte[] mx, int maxAgeSeconds, byte[] served) {
        this.mode = mode;
        this.mx = mx;
        this.maxAgeSeconds = maxAgeSeconds;
        this.served = served;
    }

    /**
     * A policy from its parts, checked as a parsed one would be.
     *
     * @throws MtaStsSyntaxException if a pattern is malformed, {@code maxAgeSeconds} is negative or
     *     over {@link #MAX_AGE_LIMIT_SECONDS}, or enforce or testing mode has no pattern
     */
    public static MtaStsPolicy of(MtaStsMode mode, List<String> mxPatterns, long maxAgeSeconds)
            throws MtaStsSyntaxException {
        Objects.requireNonNull(mode, "mode");
        if (maxAgeSeconds < 0 || maxAgeSeconds > MAX_AGE_LIMIT_SECONDS) {
            throw new MtaStsSyntaxException(
                    "max_age must be between 0 and " + MAX_AGE_LIMIT_SECONDS + ", got " + maxAgeSeconds);
        }
        Set<String> patterns = new LinkedHashSet<>();
        for (String pattern : mxPatterns) {
            patterns.add(checkPattern(pattern, "mx"));
        }
        return build(mode, patterns, (int) maxAgeSeconds);
    }

    /** Parses a policy body; see {@link #parse(String, List)}. */
    public static MtaStsPolicy parse(String body) throws MtaStsSyntaxException {
        return parse(body, new ArrayList<>());
    }

    /**
     * Parses a policy body by the grammar of RFC 8461 3.2.
     *
     * <p>Lines end in LF or CRLF. {@code version}, {@code mode} and {@code max_age} are required;
     * {@code enforce} and {@code testing} need at least one {@code mx}. Field names are
     * case-sensitive, so {@code Mode} is an extension field. Extension fields are checked against
     * the grammar and otherwise ignored (RFC 8461 3.2). A repeated {@code version}, {@code mode} or
     * {@code max_age} is ignored after its first occurrence (RFC 8461 3.2), with a warning, but
     * must still be well-formed: a known field with a malformed value fails the policy rather than
     * being read as an extension field.
     *
     * <p>Two departures from the grammar are warnings rather than failures, because failing would
     * silently drop the domain's protection over a harmless slip: a {@code max_age} over {@link
     * #MAX_AGE_LIMIT_SECONDS} is capped to it, and empty lines at the very end are ignored.
     *
     * @param warnings receives one line per repeated field or departure
     * @throws MtaStsSyntaxException naming the line and what is wrong with it
     */
    public static MtaStsPolicy parse(String body, List<String> warnings) throws MtaStsSyntaxException {
        Objects.requireNonNull(body, "body");
        MtaStsMode mode = null;
        long maxAge = -1;
        int versionLine = 0;
        int modeLine = 0;
        int maxAgeLine = 0;
        Set<String> patterns = new LinkedHashSet<>();

        List<String> lines = splitLines(body);
        int last = lines.size();
        while (last > 0 && lines.get(last - 1).isEmpty()) {
            last--;
        }
        if (last == 0) {
            throw new MtaStsSyntaxException("the policy is empty");
        }
        // RFC 8461 3.2: a policy ends in at most one line terminator; splitLines leaves the text
        // after the last terminator, which is empty when the body ends in one.
        int emptyAtEnd = lines.size() - last - (body.endsWith("\n") ? 1 : 0);
        if (emptyAtEnd > 0) {
            warnings.add("ignored " + emptyAtEnd + " empty line(s) at the end of the policy");
        }

        for (int index = 0; index < last; index++) {
            int lineNumber = index + 1;
            String line = lines.get(index);
            if (line.isEmpty()) {
                throw new MtaStsSyntaxException("line " + lineNumber + " is empty");
            }
            int colon = line.indexOf(':');
            if (colon < 0) {
                throw new MtaStsSyntaxException(
                        "line " + lineNumber + ": expected \"name: value\", got \"" + printable(line) + "\"");
            }
            String name = line.substring(0, colon);
            checkFieldName(name, lineNumber);
            String value = fieldValue(line, colon + 1, lineNumber, name);
            String where = "line " + lineNumber + ": " + name;
            switch (name) {
                case "version":
                    if (!value.equals("STSv1")) {
                        throw new MtaStsSyntaxException(where + ": expected STSv1, got \"" + printable(value) + "\"");
                    }
                    versionLine = first(versionLine, lineNumber, name, warnings);
                    break;
                case "mode":
                    MtaStsMode parsedMode = MtaStsMode.fromKeyword(value);
                    if (parsedMode == null) {
                        throw new MtaStsSyntaxException(
                                where + ": expected enforce, testing or none, got \"" + printable(value) + "\"");
                    }
                    if (modeLine == 0) {
                        mode = parsedMode;
                    }
                    modeLine = first(modeLine, lineNumber, name, warnings);
                    break;
                case "max_age":
                    long parsedMaxAge = parseMaxAge(value, where);
                    if (maxAgeLine == 0) {
                        maxAge = parsedMaxAge;
                        if (maxAge > MAX_AGE_LIMIT_SECONDS) {
                            warnings.add(where + ": " + maxAge + " is over the limit of " + MAX_AGE_LIMIT_SECONDS
                                    + " seconds (RFC 8461 3.2); using " + MAX_AGE_LIMIT_SECONDS);
                            maxAge = MAX_AGE_LIMIT_SECONDS;
                        }
                    }
                    maxAgeLine = first(maxAgeLine, lineNumber, name, warnings);
                    break;
                case "mx":
                    patterns.add(checkPattern(value, where));
                    break;
                default:
                    checkExtensionValue(value, where);
            }
        }

        if (versionLine == 0) {
            throw new MtaStsSyntaxException("the policy has no version field");
        }
        if (mode == null) {
            throw new MtaStsSyntaxException("the policy has no mode field");
        }
        if (maxAge < 0) {
            throw new MtaStsSyntaxException("the policy has no max_age field");
        }
        MtaStsPolicy parsed = build(mode, patterns, (int) maxAge);
        // RFC 8460 4.4: TLS reports quote the policy as it was served, not as it was understood.
        return new MtaStsPolicy(parsed.mode, parsed.mx, parsed.maxAgeSeconds, body.getBytes(StandardCharsets.UTF_8));
    }

    private static MtaStsPolicy build(MtaStsMode mode, Set<String> patterns, int maxAgeSeconds)
            throws MtaStsSyntaxException {
        if (mode != MtaStsMode.NONE && patterns.isEmpty()) {
            // RFC 8461 3.2: "mx" is required at least once, except when mode is "none".
            throw new MtaStsSyntaxException("mode " + mode + " needs at least one mx field");
        }
        byte[] mx =
                String.join(String.valueOf((char) PATTERN_SEPARATOR), patterns).getBytes(StandardCharsets.US_ASCII);
        return new MtaStsPolicy(mode, mx, maxAgeSeconds, null);
    }

    // LF or CRLF; a CR anywhere else is a control character and fails the line's grammar.
    private static List<String> splitLines(String body) {
        List<String> lines = new ArrayList<>();
        int start = 0;
        for (int i = 0; i < body.length(); i++) {
            if (body.charAt(i) == '\n') {
                int end = i > start && body.charAt(i - 1) == '\r' ? i - 1 : i;
                lines.add(body.substring(start, end));
                start = i + 1;
            }
        }
        lines.add(body.substring(start));
        return lines;
    }

    // sts-policy-ext-name = (ALPHA / DIGIT) *31(ALPHA / DIGIT / "_" / "-" / ".")
    private static void checkFieldName(String name, int lineNumber) throws MtaStsSyntaxException {
        boolean valid = !name.isEmpty()
                && name.length() <= MAX_FIELD_NAME_LENGTH
                && DomainNames.isLetterOrDigit(name.charAt(0));
        for (int i = 1; valid && i < name.length(); i++) {
            char c = name.charAt(i);
            valid = DomainNames.isLetterOrDigit(c) || c == '_' || c == '-' || c == '.';
        }
        if (!valid) {
            throw new MtaStsSyntaxException("line " + lineNumber + ": \"" + printable(name)
                    + "\" is not a field name (letters, digits, _ - . and at most 32 characters)");
        }
    }

    // sts-policy-field-delim = ":" *WSP, and each field may be followed by *WSP before the line ends.
    private static String fieldValue(String line, int start, int lineNumber, String name) throws MtaStsSyntaxException {
        int begin = start;
        while (begin < line.length() && isWsp(line.charAt(begin))) {
            begin++;
        }
        int end = line.length();
        while (end > begin && isWsp(line.charAt(end - 1))) {
            end--;
        }
        if (begin == end) {
            throw new MtaStsSyntaxException("line " + lineNumber + ": " + name + " has no value");
        }
        return line.substring(begin, end);
    }

    // RFC 8461 3.2: "If any non-repeated field [...] is duplicated, all entries except for the
    // first SHALL be ignored."
    private static int first(int firstLine, int lineNumber, String name, List<String> warnings) {
        if (firstLine == 0) {
            return lineNumber;
        }
        warnings.add("line " + lineNumber + ": " + name + " repeats line " + firstLine + " and is ignored");
        return firstLine;
    }

    // sts-policy-max-age-value = 1*10(DIGIT)
    private static long parseMaxAge(String value, String where) throws MtaStsSyntaxException {
        boolean digits = value.length() <= MAX_AGE_MAX_DIGITS;
        for (int i = 0; digits && i < value.length(); i++) {
            digits = value.charAt(i) >= '0' && value.charAt(i) <= '9';
        }
        if (!digits) {
            throw new MtaStsSyntaxException(where + ": expected 1 to 10 digits, got \"" + printable(value) + "\"");
        }
        return Long.parseLong(value);
    }

    // sts-policy-mx-value = ["*."] Domain: a wildcard only as the whole leftmost label.
    private static String checkPattern(String value, String where) throws MtaStsSyntaxException {
        if (!DomainNames.isAscii(value)) {
            throw new MtaStsSyntaxException(where + ": \"" + printable(value)
                    + "\" must be written in A-labels (xn--...), as RFC 8461 3.2 asks for a Domain");
        }
        boolean wildcard = value.startsWith("*.");
        String host = wildcard ? value.substring(2) : value;
        if (!DomainNames.isHostName(host)) {
            throw new MtaStsSyntaxException(where + ": \"" + printable(value)
                    + "\" is not a host name or *. followed by one (no IP addresses, empty labels, trailing dots"
                    + " or characters other than letters, digits and inner hyphens)");
        }
        return value.toLowerCase(java.util.Locale.ROOT);
    }

    // sts-policy-ext-value = sts-policy-vchar [*(%x20 / sts-policy-vchar) sts-policy-vchar]:
    // visible characters, UTF-8 included, and spaces between them; no tabs or other controls.
    private static void checkExtensionValue(String value, String where) throws MtaStsSyntaxException {
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c < 0x20 || c == 0x7f) {
                throw new MtaStsSyntaxException(
                        where + ": control character 0x" + Integer.toHexString(c) + " in the value");
            }
        }
    }

    private static boolean isWsp(char c) {
        return c == ' ' || c == '\t';
    }

    /**
     * {@code text} fit to quote in a message that may reach a log: every control, format or line
     * separator character (C0, DEL, C1 such as NEL, U+2028, bidi overrides) as an escape, cut
     * after 80 characters.
     */
    static String printable(String text) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < text.length() && out.length() < 80; i++) {
            char c = text.charAt(i);
            if (Character.isISOControl(c)
                    || c == '\u2028'
                    || c == '\u2029'
                    || Character.getType(c) == Character.FORMAT) {
                out.append(c < 0x100 ? String.format("\\x%02x", (int) c) : String.format("\\u%04x", (int) c));
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }

    public MtaStsMode mode() {
        return mode;
    }

    public long maxAgeSeconds() {
        return maxAgeSeconds;
    }

    /** The {@code mx} patterns, lower case, in the order the policy lists them, duplicates removed. */
    /** Roughly what this policy holds on the heap, for caches bounded in bytes. */
    int estimatedBytes() {
        return 48 + mx.length + (served == null ? 0 : 16 + served.length);
    }

    /**
     * The body this policy was parsed from, exactly as served (line ends, order, spacing, extension
     * fields, a capped {@code max_age} as written): what a TLS report's {@code policy-string} quotes
     * (RFC 8460 4.4). Empty for a policy built from its parts ({@link #of}).
     */
    public Optional<String> servedText() {
        return served == null ? Optional.empty() : Optional.of(new String(served, StandardCharsets.UTF_8));
    }

    public List<String> mxPatterns() {
        if (mx.length == 0) {
            return List.of();
        }
        return List.of(new String(mx, StandardCharsets.US_ASCII).split(String.valueOf((char) PATTERN_SEPARATOR)));
    }

    /**
     * Whether {@code mxHost} matches one of the patterns (RFC 8461 4.1): ignoring case and a
     * trailing dot, comparing internationalised names as A-labels, and letting {@code *.example.com}
     * stand for exactly one label more than {@code example.com}.
     */
    public boolean matches(String mxHost) {
        String host = mxHost;
        if (!DomainNames.isAscii(host)) {
            host = DomainNames.normalize(host);
            if (host == null) {
                return false;
            }
        }
        int hostLength = host.endsWith(".") ? host.length() - 1 : host.length();
        int start = 0;
        while (start < mx.length) {
            int end = start;
            while (end < mx.length && mx[end] != PATTERN_SEPARATOR) {
                end++;
            }
            if (matchesPattern(host, hostLength, start, end)) {
                return true;
            }
            start = end + 1;
        }
        return false;
    }

    private boolean matchesPattern(String host, int hostLength, int start, int end) {
        if (mx[start] != '*') {
            return hostLength == end - start && equalsIgnoreCase(host, 0, start, end - start);
        }
        // "*." + suffix: the host is one non-empty label, then ".suffix".
        int suffixLength = end - start - 1;
        int labelLength = hostLength - suffixLength;
        if (labelLength < 1 || !equalsIgnoreCase(host, labelLength, start + 1, suffixLength)) {
            return false;
        }
        for (int i = 0; i < labelLength; i++) {
            if (host.charAt(i) == '.') {
                return false;
            }
        }
        return true;
    }

    private boolean equalsIgnoreCase(String host, int hostOffset, int patternOffset, int length) {
        for (int i = 0; i < length; i++) {
            char c = host.charAt(hostOffset + i);
            if (c >= 'A' && c <= 'Z') {
                c = (char) (c + ('a' - 'A'));
            }
            if (c != mx[patternOffset + i]) {
                return false;
            }
        }
        return true;
    }

    /** The policy in the body format of RFC 8461 3.2, LF-terminated, rebuilt from what was understood. */
    public String toPolicyText() {
        StringBuilder text = new StringBuilder("version: STSv1\nmode: ")
                .append(mode.keyword())
                .append('\n');
        for (String pattern : mxPatterns()) {
            text.append("mx: ").append(pattern).append('\n');
        }
        return text.append("max_age: ").append(maxAgeSeconds).append('\n').toString();
    }

    /** Policies that say the same are equal, however their bodies were written. */
    @Override
    public boolean equals(Object other) {
        if (!(other instanceof MtaStsPolicy)) {
            return false;
        }
        MtaStsPolicy that = (MtaStsPolicy) other;
        return mode == that.mode && maxAgeSeconds == that.maxAgeSeconds && Arrays.equals(mx, that.mx);
    }

    @Override
    public int hashCode() {
        return Objects.hash(mode, maxAgeSeconds, Arrays.hashCode(mx));
    }

    @Override
    public String toString() {
        return "MtaStsPolicy{mode=" + mode + ", mx=" + mxPatterns() + ", max_age=" + maxAgeSeconds + "}";
    }
}
