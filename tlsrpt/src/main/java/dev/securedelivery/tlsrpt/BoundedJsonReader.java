package dev.securedelivery.tlsrpt;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads JSON (RFC 8259) that a peer wrote, within bounds: nesting depth, the number of values, the
 * length of a string and of a number. Objects become {@link LinkedHashMap}s (a repeated member name is
 * an error: RFC 8259 4 leaves its meaning open), arrays {@link ArrayList}s, numbers {@link BigInteger}
 * or {@link BigDecimal} (never a double that rounds a count), {@code null} a Java null. Every failure
 * is a {@link MalformedReportException} that says where, in the reader's own words.
 */
final class BoundedJsonReader {
    /** Objects within arrays within objects: a report is 4 deep, so 16 is plenty and bounds the stack. */
    static final int MAX_DEPTH = 16;
    /** Values in one document (members and items): bounds the memory a 16 MiB document can take. */
    static final int MAX_VALUES = 200_000;
    /** Characters in one string: no field of a report is anywhere near. */
    static final int MAX_STRING_LENGTH = 65_536;
    /** Characters in one number: beyond, no count is meant (and BigInteger's work stays small). */
    static final int MAX_NUMBER_LENGTH = 64;

    private final String text;
    private int position;
    private int values;

    private BoundedJsonReader(String text) {
        this.text = text;
    }

    /** The one value {@code text} holds, with nothing but white space around it. */
    static Object read(String text) throws MalformedReportException {
        BoundedJsonReader reader = new BoundedJsonReader(text);
        reader.skipWhiteSpace();
        Object value = reader.value(0);
        reader.skipWhiteSpace();
        if (reader.position != text.length()) {
            throw reader.error("unexpected text after the JSON value");
        }
        return value;
    }

    private Object value(int depth) throws MalformedReportException {
        if (++values > MAX_VALUES) {
            throw error("more than " + MAX_VALUES + " JSON values");
        }
        if (position >= text.length()) {
            throw error("the JSON ends early");
        }
        char c = text.charAt(position);
        switch (c) {
            case '{':
                return object(depth + 1);
            case '[':
                return array(depth + 1);
            case '"':
                return string();
            case 't':
                return literal("true", Boolean.TRUE);
            case 'f':
                return literal("false", Boolean.FALSE);
            case 'n':
                return literal("null", null);
            default:
                if (c == '-' || (c >= '0' && c <= '9')) {
                    return number();
                }
                throw error("unexpected character " + describe(c));
        }
    }

    private Map<String, Object> object(int depth) throws MalformedReportException {
        checkDepth(depth);
        position++;
        Map<String, Object> members = new LinkedHashMap<>();
        skipWhiteSpace();
        if (peek() == '}') {
            position++;
            return members;
        }
        while (true) {
            skipWhiteSpace();
            if (peek() != '"') {
                throw error("expected a member name");
            }
            String name = string();
            skipWhiteSpace();
            expect(':');
            skipWhiteSpace();
            Object value = value(depth);
            if (members.containsKey(name)) {
                throw error("the member \"" + name + "\" appears twice");
            }
            members.put(name, value);
            skipWhiteSpace();
            char next = peek();
            position++;
            if (next == '}') {
                return members;
            }
            if (next != ',') {
                position--;
                throw error("expected , or } in an object");
            }
        }
    }

    private List<Object> array(int depth) throws MalformedReportException {
        checkDepth(depth);
        position++;
        List<Object> items = new ArrayList<>();
        skipWhiteSpace();
        if (peek() == ']') {
            position++;
            return items;
        }
        while (true) {
            skipWhiteSpace();
            items.add(value(depth));
            skipWhiteSpace();
            char next = peek();
            position++;
            if (next == ']') {
                return items;
            }
            if (next != ',') {
                position--;
                throw error("expected , or ] in an array");
            }
        }
    }

    private void checkDepth(int depth) throws MalformedReportException {
        if (depth > MAX_DEPTH) {
            throw error("JSON nested deeper than " + MAX_DEPTH);
        }
    }

    private String string() throws MalformedReportException {
        position++;
        StringBuilder out = new StringBuilder();
        while (true) {
            if (position >= text.length()) {
                throw error("a string is not closed");
            }
            if (out.length() > MAX_STRING_LENGTH) {
                throw error("a string longer than " + MAX_STRING_LENGTH + " characters");
            }
            char c = text.charAt(position++);
            if (c == '"') {
                return paired(out);
            }
            if (c < 0x20) {
                // RFC 8259 7: control characters are escaped in strings.
                position--;
                throw error("an unescaped control character in a string");
            }
            if (c != '\\') {
                out.append(c);
                continue;
            }
            if (position >= text.length()) {
                throw error("a string is not closed");
            }
            char escape = text.charAt(position++);
            switch (escape) {
                case '"':
                case '\\':
                case '/':
                    out.append(escape);
                    break;
                case 'b':
                    out.append('\b');
                    break;
                case 'f':
                    out.append('\f');
                    break;
                case 'n':
                    out.append('\n');
                    break;
                case 'r':
                    out.append('\r');
                    break;
                case 't':
                    out.append('\t');
                    break;
                case 'u':
                    out.append(unicodeEscape());
                    break;
                default:
                    position--;
                    throw error("an unknown escape \\" + describe(escape));
            }
        }
    }

    /**
     * The string, if every surrogate in it is half of a pair: a lone one (only a \\u escape can make
     * it) is no character, and would not survive being written as UTF-8 and read back.
     */
    private String paired(StringBuilder out) throws MalformedReportException {
        for (int i = 0; i < out.length(); i++) {
            char c = out.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < out.length() && Character.isLowSurrogate(out.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                throw error("a string with an unpaired surrogate \\u" + Integer.toHexString(c));
            }
        }
        return out.toString();
    }

    private char unicodeEscape() throws MalformedReportException {
        if (position + 4 > text.length()) {
            throw error("a \\u escape ends early");
        }
        int code = 0;
        for (int i = 0; i < 4; i++) {
            int digit = Character.digit(text.charAt(position + i), 16);
            if (digit < 0) {
                throw error("a \\u escape with a character that is not a hexadecimal digit");
            }
            code = code * 16 + digit;
        }
        position += 4;
        return (char) code;
    }

    private Number number() throws MalformedReportException {
        int start = position;
        if (peek() == '-') {
            position++;
        }
        int integerStart = position;
        digits();
        if (position == integerStart) {
            throw error("a number without digits");
        }
        if (text.charAt(integerStart) == '0' && position - integerStart > 1) {
            throw error("a number with a leading zero");
        }
        boolean integer = true;
        if (position < text.length() && text.charAt(position) == '.') {
            integer = false;
            position++;
            int fraction = position;
            digits();
            if (position == fraction) {
                throw error("a number without digits after its point");
            }
        }
        if (position < text.length() && (text.charAt(position) == 'e' || text.charAt(position) == 'E')) {
            integer = false;
            position++;
            if (position < text.length() && (text.charAt(position) == '+' || text.charAt(position) == '-')) {
                position++;
            }
            int exponent = position;
            digits();
            if (position == exponent) {
                throw error("a number without digits in its exponent");
            }
        }
        if (position - start > MAX_NUMBER_LENGTH) {
            throw error("a number longer than " + MAX_NUMBER_LENGTH + " characters");
        }
        String number = text.substring(start, position);
        return integer ? new BigInteger(number) : new BigDecimal(number);
    }

    private void digits() {
        // Counted against the cap only once read, so no more than the document's length is scanned.
        while (position < text.length() && text.charAt(position) >= '0' && text.charAt(position) <= '9') {
            position++;
        }
    }

    private Object literal(String word, Object value) throws MalformedReportException {
        if (!text.startsWith(word, position)) {
            throw error("unexpected word");
        }
        position += word.length();
        return value;
    }

    private void expect(char c) throws MalformedReportException {
        if (peek() != c) {
            throw error("expected " + c);
        }
        position++;
    }

    // The character at the position, or NUL at the end (never valid where peek is used).
    private char peek() {
        return position < text.length() ? text.charAt(position) : '\0';
    }

    private void skipWhiteSpace() {
        while (position < text.length()) {
            char c = text.charAt(position);
            if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
                return;
            }
            position++;
        }
    }

    private static String describe(char c) {
        return c < 0x20 || c > 0x7e ? String.format("U+%04X", (int) c) : "'" + c + "'";
    }

    private MalformedReportException error(String problem) {
        return new MalformedReportException("JSON: " + problem + " at character " + position);
    }
}
