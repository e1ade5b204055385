package dev.securedelivery.smtp;

import dev.securedelivery.peertext.PeerText;

/** What a failure says, for a log line or a DSN: its messages and its causes', cleaned and capped. */
final class ExceptionText {
    private ExceptionText() {}

    /** The messages of {@code failure} and its causes, each once, cleaned ({@link PeerText}). */
    static String of(Throwable failure) {
        StringBuilder message = new StringBuilder();
        for (Throwable cause = failure;
                cause != null && message.length() < PeerText.MAX_LENGTH;
                cause = cause.getCause() == cause ? null : cause.getCause()) {
            String text = cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
            if (message.indexOf(text) < 0) {
                message.append(message.length() == 0 ? "" : ": ").append(text);
            }
        }
        return PeerText.clean(message.toString());
    }

    /** The first of {@code failure} and its causes that is a {@code type}, or null. */
    static <T extends Throwable> T causeOfType(Throwable failure, Class<T> type) {
        for (Throwable cause = failure; cause != null; cause = cause.getCause() == cause ? null : cause.getCause()) {
            if (type.isInstance(cause)) {
                return type.cast(cause);
            }
        }
        return null;
    }
}
