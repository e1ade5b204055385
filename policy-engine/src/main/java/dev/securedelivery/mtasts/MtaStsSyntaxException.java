package dev.securedelivery.mtasts;

/**
 * A TXT record or policy body that does not follow the grammar of RFC 8461 3.1 or 3.2. The message
 * says where (the line, for a policy) and what was expected.
 */
public final class MtaStsSyntaxException extends Exception {
    private static final long serialVersionUID = 1L;

    public MtaStsSyntaxException(String message) {
        super(message);
    }
}
