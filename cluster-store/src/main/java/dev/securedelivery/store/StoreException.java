package dev.securedelivery.store;

import dev.securedelivery.peertext.PeerText;
import java.io.IOException;

/** The shared store cannot do what was asked: its message is one line, fit for an operator. */
public final class StoreException extends IOException {
    private static final long serialVersionUID = 1L;

    StoreException(String message, Throwable cause) {
        super(PeerText.clean(message), cause);
    }

    static StoreException unreachable(String database, Throwable cause) {
        return new StoreException("the shared store " + database + " cannot be reached: " + reason(cause), cause);
    }

    static StoreException failed(String what, Throwable cause) {
        return new StoreException("the shared store could not " + what + ": " + reason(cause), cause);
    }

    // The innermost message says most (a refused connection, a bad password); the driver's wrappers little.
    static String reason(Throwable failure) {
        Throwable cause = failure;
        String message = failure.getMessage();
        while (cause.getCause() != null && cause.getCause() != cause) {
            cause = cause.getCause();
            if (cause.getMessage() != null) {
                message = cause.getMessage();
            }
        }
        return message == null ? failure.getClass().getSimpleName() : message;
    }
}
