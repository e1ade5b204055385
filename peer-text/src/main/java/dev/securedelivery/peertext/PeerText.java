package dev.securedelivery.peertext;

/**
 * Text a peer chose (an SMTP reply, a DNS string, an exception message quoting either), made safe
 * for a log line, a header or a DSN: every control character (CR and LF included) becomes a space,
 * runs of spaces become one, and the result is capped. Whoever controls a recipient's DNS chooses
 * the peers, so their words are never written out as they came.
 */
public final class PeerText {
    /** The cap for one reply or reason: long enough for any real server's explanation. */
    public static final int MAX_LENGTH = 512;

    private PeerText() {}

    /** {@code text} on one line, at most {@link #MAX_LENGTH} characters; "" for null. */
    public static String clean(String text) {
        return clean(text, MAX_LENGTH);
    }

    /** {@code text} on one line, at most {@code max} characters (an ellipsis marks a cut); "" for null. */
    public static String clean(String text, int max) {
        if (text == null) {
            return "";
        }
        StringBuilder clean = new StringBuilder(Math.min(text.length(), max + 1));
        boolean space = false;
        for (int i = 0; i < text.length() && clean.length() <= max; i++) {
            char c = text.charAt(i);
            boolean control = Character.isISOControl(c)
                    || c == '\u2028'
                    || c == '\u2029'
                    || Character.getType(c) == Character.FORMAT;
            if (control || Character.isWhitespace(c)) {
                space = clean.length() > 0;
                continue;
            }
            if (space) {
                clean.append(' ');
                space = false;
            }
            clean.append(c);
        }
        if (clean.length() > max) {
            clean.setLength(max - 1);
            if (Character.isHighSurrogate(clean.charAt(clean.length() - 1))) {
                // Never half a character.
                clean.setLength(clean.length() - 1);
            }
            clean.append('\u2026');
        }
        return clean.toString();
    }
}
