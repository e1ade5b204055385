package dev.securedelivery.configuration;

import java.nio.file.Path;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * A configuration that cannot be used: where (the file, and the key or the line) and what is wrong,
 * kept as separate values. {@link #getMessage()} is the one line an operator reads:
 * <ul>
 * <li>{@code bad configuration in <file>: <key>: <problem>} for a key's value;</li>
 * <li>{@code bad configuration in <file>: line <n>: <problem>} for text that is no key and value
 * (bad encoding, a malformed escape);</li>
 * <li>{@code bad configuration in <file>: <problem>} for the file itself (missing, a directory);</li>
 * <li>{@code bad configuration: <key>: <problem>} for properties that came from no file.</li>
 * </ul>
 * The file's name, the key and the problem are shown without control characters (each is written
 * as {@code \\uXXXX}) and capped, since they may quote whatever the file holds.
 */
public final class ConfigurationException extends Exception {
    private static final long serialVersionUID = 1L;

    /** The longest key, or quoted value, shown in a message. */
    static final int MAX_QUOTED = 100;
    /** The longest problem shown: an explanation, with at most a quoted value or two. */
    static final int MAX_PROBLEM = 400;

    private final transient Path file;
    private final String key;
    private final int line;
    private final String problem;

    /** {@code key}'s value is wrong; the properties came from no file, or the file is not known here. */
    public ConfigurationException(String key, String problem) {
        this(null, key, 0, problem, null);
    }

    public ConfigurationException(String key, String problem, Throwable cause) {
        this(null, key, 0, problem, cause);
    }

    /** {@code key}'s value in {@code file} (null: none) is wrong. */
    public ConfigurationException(Path file, String key, String problem, Throwable cause) {
        this(file, key, 0, problem, cause);
    }

    private ConfigurationException(Path file, String key, int line, String problem, Throwable cause) {
        super(cause);
        this.file = file;
        this.key = key;
        this.line = line;
        this.problem = printable(problem, MAX_PROBLEM);
    }

    /** Line {@code line} (from 1) of {@code file} is not a key and value the reader can take. */
    public static ConfigurationException atLine(Path file, int line, String problem) {
        return new ConfigurationException(file, null, line, problem, null);
    }

    /** {@code file} as a whole cannot be used (missing, a directory, unreadable, too large). */
    public static ConfigurationException ofFile(Path file, String problem, Throwable cause) {
        return new ConfigurationException(file, null, 0, problem, cause);
    }

    /** This problem, located in {@code file}; this exception itself if it already names a file. */
    public ConfigurationException inFile(Path file) {
        if (this.file != null) {
            return this;
        }
        return new ConfigurationException(file, key, line, problem, getCause());
    }

    /** The file the value came from; empty for properties that came from no file. */
    public Optional<Path> file() {
        return Optional.ofNullable(file);
    }

    /** The key, as written, whose value is wrong; empty for a problem at a line or with the whole file. */
    public Optional<String> key() {
        return Optional.ofNullable(key);
    }

    /** The line (from 1) of a problem that is not tied to a key. */
    public OptionalInt line() {
        return line > 0 ? OptionalInt.of(line) : OptionalInt.empty();
    }

    /** What is wrong: what was expected and what was found. */
    public String problem() {
        return problem;
    }

    @Override
    public String getMessage() {
        StringBuilder message = new StringBuilder("bad configuration");
        if (file != null) {
            message.append(" in ").append(printable(file.toString(), Integer.MAX_VALUE));
        }
        message.append(": ");
        if (key != null) {
            message.append(printable(key, MAX_QUOTED)).append(": ");
        } else if (line > 0) {
            message.append("line ").append(line).append(": ");
        }
        return message.append(problem).toString();
    }

    /** {@code text} in double quotes, shown as {@link #printable} and capped: for a value the file holds. */
    static String quote(String text) {
        return "\"" + printable(text, MAX_QUOTED) + "\"";
    }

    /**
     * {@code text} with every control character (line breaks, tabs, DEL, C1, Unicode format
     * characters such as a right-to-left override) written as {@code \\uXXXX}, cut to {@code max}
     * characters with an ellipsis: safe for one log line, and the operator sees what the file holds.
     */
    static String printable(String text, int max) {
        StringBuilder out = new StringBuilder(Math.min(text.length(), 128));
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (isControl(c)) {
                out.append(String.format("\\u%04X", (int) c));
            } else {
                out.append(c);
            }
            if (out.length() > max) {
                out.setLength(max - 1);
                out.append('\u2026');
                break;
            }
        }
        return out.toString();
    }

    static boolean isControl(char c) {
        return Character.isISOControl(c) || c == '\u2028' || c == '\u2029' || Character.getType(c) == Character.FORMAT;
    }
}
