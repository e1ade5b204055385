package dev.securedelivery.configuration;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;

/**
 * Reads a configuration file in the syntax of {@link Properties#load(java.io.Reader)} (comments
 * with {@code #} or {@code !}, {@code key = value}, {@code key: value} or {@code key value}, a
 * backslash at the end of a line to continue it, the escapes {@code \t \n \r \f \\uXXXX}), but
 * strictly: the file must be UTF-8 (a byte-order mark is skipped), a malformed {@code \\u} escape
 * and a key set twice are errors, and every error names the file and the line or the key, where
 * {@code Properties} throws "Input length = 1" or an unlocated IllegalArgumentException, or keeps the
 * last of two values without a word.
 */
public final class ConfigurationFile {
    /** The largest file read: some thousands of keys; a larger one is a mistake, not a configuration. */
    public static final int MAX_BYTES = 1024 * 1024;

    private final Path file;
    private final String text;
    private final Properties properties = new Properties();
    private final Map<String, Integer> lines = new HashMap<>();
    private int position;
    private int lineNumber = 1;

    private ConfigurationFile(Path file, String text) {
        this.file = file;
        this.text = text;
    }

    /** The keys and values of {@code file}. */
    public static Properties read(Path file) throws ConfigurationException {
        return read(file, file);
    }

    /** The keys and values of {@code path}, which errors call {@code file}. */
    static Properties read(Path path, Path file) throws ConfigurationException {
        String text = decode(file, bytes(path, file));
        if (text.startsWith("\uFEFF")) {
            // Some editors start a UTF-8 file with a byte-order mark; it is no part of the first key.
            text = text.substring(1);
        }
        ConfigurationFile parsed = new ConfigurationFile(file, text);
        parsed.parse();
        return parsed.properties;
    }

    private static byte[] bytes(Path path, Path file) throws ConfigurationException {
        if (Files.isDirectory(path)) {
            throw ConfigurationException.ofFile(file, "is a directory, not a file", null);
        }
        try (InputStream in = Files.newInputStream(path)) {
            byte[] bytes = in.readNBytes(MAX_BYTES + 1);
            if (bytes.length > MAX_BYTES) {
                throw ConfigurationException.ofFile(file, "is larger than " + MAX_BYTES + " bytes", null);
            }
            return bytes;
        } catch (IOException e) {
            throw ConfigurationException.ofFile(file, "cannot be read: " + ConfiguredFiles.describe(e), e);
        }
    }

    private static String decode(Path file, byte[] bytes) throws ConfigurationException {
        CharsetDecoder decoder = StandardCharsets.UTF_8
                .newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        CharBuffer out = CharBuffer.allocate(bytes.length);
        CoderResult result = decoder.decode(in, out, true);
        if (!result.isError()) {
            result = decoder.flush(out);
        }
        if (result.isError()) {
            int offset = in.position();
            throw ConfigurationException.atLine(
                    file,
                    lineOf(bytes, offset),
                    "not UTF-8: byte "
                            + columnOf(bytes, offset) + " of the line (0x" + String.format("%02X", bytes[offset] & 0xff)
                            + ") begins no valid UTF-8 character; save the file as UTF-8");
        }
        out.flip();
        return out.toString();
    }

    // Lines end at LF, CR or CR LF, as for Properties; all three are ASCII, so bytes can be counted.
    private static int lineOf(byte[] bytes, int offset) {
        int line = 1;
        for (int i = 0; i < offset; i++) {
            if (bytes[i] == '\n' || (bytes[i] == '\r' && (i + 1 >= bytes.length || bytes[i + 1] != '\n'))) {
                line++;
            }
        }
        return line;
    }

    private static int columnOf(byte[] bytes, int offset) {
        int start = offset;
        while (start > 0 && bytes[start - 1] != '\n' && bytes[start - 1] != '\r') {
            start--;
        }
        return offset - start + 1;
    }

    private void parse() throws ConfigurationException {
        while (position < text.length()) {
            skipBlanks();
            if (position >= text.length()) {
                break;
            }
            char first = text.charAt(position);
            if (isLineEnd(first)) {
                endLine();
            } else if (first == '#' || first == '!') {
                // A comment runs to the end of its line: a final backslash does not continue it.
                while (position < text.length() && !isLineEnd(text.charAt(position))) {
                    position++;
                }
            } else {
                entry();
            }
        }
    }

    /** One logical line: key, separator, value, continued over lines ending in an odd number of backslashes. */
    private void entry() throws ConfigurationException {
        int startLine = lineNumber;
        StringBuilder key = new StringBuilder();
        boolean inKey = true;
        boolean separatorSeen = false;
        StringBuilder value = new StringBuilder();
        while (position < text.length() && !isLineEnd(text.charAt(position))) {
            char c = text.charAt(position);
            if (inKey) {
                if (c == '=' || c == ':' || isBlank(c)) {
                    inKey = false;
                    separatorSeen = c != ' ' && c != '\t' && c != '\f';
                    position++;
                    skipSeparator(separatorSeen);
                    continue;
                }
            }
            StringBuilder target = inKey ? key : value;
            if (c == '\\') {
                if (!escape(target)) {
                    continue;
                }
            } else {
                target.append(c);
                position++;
            }
        }
        String name = key.toString();
        if (name.isEmpty()) {
            throw ConfigurationException.atLine(
                    file, startLine, "a value without a key: " + ConfigurationException.quote(value.toString()));
        }
        Integer earlier = lines.putIfAbsent(name, startLine);
        if (earlier != null) {
            throw new ConfigurationException(
                    file, name, "set twice, on line " + earlier + " and on line " + startLine + "; keep one", null);
        }
        properties.setProperty(name, value.toString());
    }

    // After the key: blanks, then at most one = or :, then blanks, possibly over continued lines.
    private void skipSeparator(boolean separatorSeen) {
        boolean seen = separatorSeen;
        while (position < text.length()) {
            char c = text.charAt(position);
            if (isBlank(c)) {
                position++;
            } else if (!seen && (c == '=' || c == ':')) {
                seen = true;
                position++;
            } else if (c == '\\' && continuesLine()) {
                position++;
                endLine();
                skipBlanks();
            } else {
                return;
            }
        }
    }

    /**
     * At a backslash: appends what the escape stands for and returns true, or, for a line
     * continuation, moves to the next line's first non-blank and returns false.
     */
    private boolean escape(StringBuilder target) throws ConfigurationException {
        if (continuesLine()) {
            position++;
            endLine();
            skipBlanks();
            return false;
        }
        char next = text.charAt(position + 1);
        switch (next) {
            case 't':
                target.append('\t');
                break;
            case 'n':
                target.append('\n');
                break;
            case 'r':
                target.append('\r');
                break;
            case 'f':
                target.append('\f');
                break;
            case 'u':
                target.append(unicodeEscape());
                position += 6;
                return true;
            default:
                // As Properties: a backslash before any other character stands for that character.
                target.append(next);
        }
        position += 2;
        return true;
    }

    // A backslash that ends its line (or the file) joins the next line to this one.
    private boolean continuesLine() {
        return position + 1 >= text.length() || isLineEnd(text.charAt(position + 1));
    }

    private char unicodeEscape() throws ConfigurationException {
        String digits = text.substring(position + 2, Math.min(position + 6, text.length()));
        int end = 0;
        while (end < digits.length() && Character.digit(digits.charAt(end), 16) >= 0 && digits.charAt(end) < 0x80) {
            end++;
        }
        if (end < 4) {
            int cut = 0;
            while (cut < digits.length() && !isLineEnd(digits.charAt(cut))) {
                cut++;
            }
            throw ConfigurationException.atLine(
                    file,
                    lineNumber,
                    "malformed escape "
                            + ConfigurationException.quote("\\u" + digits.substring(0, cut))
                            + ": \\u must be followed by four hexadecimal digits");
        }
        return (char) Integer.parseInt(digits, 16);
    }

    private void skipBlanks() {
        while (position < text.length() && isBlank(text.charAt(position))) {
            position++;
        }
    }

    private void endLine() {
        if (position < text.length() && text.charAt(position) == '\r') {
            position++;
            if (position < text.length() && text.charAt(position) == '\n') {
                position++;
            }
        } else if (position < text.length()) {
            position++;
        }
        lineNumber++;
    }

    private static boolean isBlank(char c) {
        return c == ' ' || c == '\t' || c == '\f';
    }

    private static boolean isLineEnd(char c) {
        return c == '\n' || c == '\r';
    }
}
