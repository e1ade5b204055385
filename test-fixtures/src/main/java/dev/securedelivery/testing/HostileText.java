package dev.securedelivery.testing;

import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Tuple;

/**
 * Hostile text for the property tests of parsers: mostly valid inputs with a few random edits
 * (insertions of CR, LF, NUL, other controls, non-ASCII and delimiters, deletions, long
 * repetitions, truncation), so that most tries get past the first check; some unedited valid
 * inputs; some random text. And the check that a text is fit for a log line.
 */
public final class HostileText {
    /** What breaks parsers and logs: line ends, NUL, escapes, delimiters, non-ASCII, bidi controls, lone surrogates. */
    public static final String SPECIALS = "\r\n\u0000\t \u000b\u000c\u001b\u007f\u0085\u00a0\u00e9\u0130"
            + "\u2028\u202e\u200b\ufeff\uffff\ud800\udc00;=:,.*-_+/@\\\"[]%<>?#";
    /** The most a message about outside input may quote: it goes to a log line. */
    public static final int MAX_MESSAGE_LENGTH = 1024;

    private HostileText() {}

    /** Valid texts, mostly edited a little, sometimes left alone; and some random text. */
    public static Arbitrary<String> hostile(Arbitrary<String> valid, String... fragments) {
        return Arbitraries.frequencyOf(
                Tuple.of(7, mutationsOf(valid, fragments)), Tuple.of(2, valid), Tuple.of(1, randomText()));
    }

    /** {@code valid} texts with one to four random edits each. */
    public static Arbitrary<String> mutationsOf(Arbitrary<String> valid, String... fragments) {
        return Combinators.combine(valid, edits(fragments).list().ofMinSize(1).ofMaxSize(4))
                .as((text, edits) -> {
                    String edited = text;
                    for (UnaryOperator<String> edit : edits) {
                        edited = edit.apply(edited);
                    }
                    return edited;
                });
    }

    /** Random text from the special characters, ASCII, and now and then any character at all. */
    public static Arbitrary<String> randomText() {
        return Arbitraries.oneOf(
                Arbitraries.strings().withChars(SPECIALS).ascii().ofMaxLength(120),
                Arbitraries.strings().all().ofMaxLength(60));
    }

    private static Arbitrary<UnaryOperator<String>> edits(String... fragments) {
        Arbitrary<Integer> where = Arbitraries.integers().between(0, Integer.MAX_VALUE);
        List<String> specials = new ArrayList<>();
        for (char c : SPECIALS.toCharArray()) {
            specials.add(String.valueOf(c));
        }
        Arbitrary<String> insertion = fragments.length == 0
                ? Arbitraries.oneOf(
                        Arbitraries.of(specials), Arbitraries.chars().all().map(String::valueOf))
                : Arbitraries.oneOf(
                        Arbitraries.of(specials),
                        Arbitraries.of(fragments),
                        Arbitraries.chars().all().map(String::valueOf));
        Arbitrary<Integer> times = Arbitraries.frequencyOf(
                Tuple.of(6, Arbitraries.integers().between(2, 40)),
                Tuple.of(3, Arbitraries.integers().between(40, 1200)),
                Tuple.of(1, Arbitraries.integers().between(1200, 6000)));
        Arbitrary<UnaryOperator<String>> insert = Combinators.combine(where, insertion)
                .as((w, s) -> text -> {
                    int at = w % (text.length() + 1);
                    return text.substring(0, at) + s + text.substring(at);
                });
        Arbitrary<UnaryOperator<String>> replace = Combinators.combine(where, insertion)
                .as((w, s) -> text -> {
                    if (text.isEmpty()) {
                        return s;
                    }
                    int at = w % text.length();
                    return text.substring(0, at) + s + text.substring(at + 1);
                });
        Arbitrary<UnaryOperator<String>> delete = Combinators.combine(
                        where, Arbitraries.integers().between(1, 12))
                .as((w, length) -> text -> {
                    int at = w % (text.length() + 1);
                    return text.substring(0, at) + text.substring(Math.min(text.length(), at + length));
                });
        Arbitrary<UnaryOperator<String>> repeat = Combinators.combine(
                        where, Arbitraries.integers().between(1, 16), times)
                .as((w, length, count) -> text -> {
                    int at = w % (text.length() + 1);
                    String piece = text.substring(at, Math.min(text.length(), at + length));
                    return text.substring(0, at) + piece.repeat(count) + text.substring(at);
                });
        Arbitrary<UnaryOperator<String>> truncate = where.map(w -> text -> text.substring(0, w % (text.length() + 1)));
        Arbitrary<UnaryOperator<String>> swapCase = where.map(w -> text -> {
            if (text.isEmpty()) {
                return text;
            }
            int at = w % text.length();
            char c = text.charAt(at);
            char swapped = Character.isUpperCase(c) ? Character.toLowerCase(c) : Character.toUpperCase(c);
            return text.substring(0, at) + swapped + text.substring(at + 1);
        });
        return Arbitraries.frequencyOf(
                Tuple.of(5, insert),
                Tuple.of(3, replace),
                Tuple.of(3, delete),
                Tuple.of(2, repeat),
                Tuple.of(1, truncate),
                Tuple.of(1, swapCase));
    }

    /** Whether {@code text} can go into a log line as it is: no control, format or line-separator character. */
    public static boolean isLogSafe(String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (Character.isISOControl(c)
                    || c == '\u2028'
                    || c == '\u2029'
                    || Character.getType(c) == Character.FORMAT) {
                return false;
            }
        }
        return true;
    }

    /** Fails unless {@code text} is log-safe and, with {@code capped}, at most {@link #MAX_MESSAGE_LENGTH} long. */
    public static void assertLogSafe(String what, String text, boolean capped) {
        if (!isLogSafe(text)) {
            throw new AssertionError(what + " carries a control character: " + escaped(text));
        }
        if (capped && text.length() > MAX_MESSAGE_LENGTH) {
            throw new AssertionError(
                    what + " is " + text.length() + " characters long: " + escaped(text.substring(0, 200)) + "...");
        }
    }

    /** {@code text} with every character outside printable ASCII as a Java escape, for a failure message. */
    public static String escaped(String text) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < text.length() && out.length() < 600; i++) {
            char c = text.charAt(i);
            if (c >= 0x20 && c < 0x7f && c != '\\') {
                out.append(c);
            } else {
                out.append(String.format("\\u%04x", (int) c));
            }
        }
        return out.toString();
    }
}
