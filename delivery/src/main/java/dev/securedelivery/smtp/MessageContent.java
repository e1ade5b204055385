package dev.securedelivery.smtp;

import java.io.IOException;
import java.io.OutputStream;

/**
 * A message as its bytes (RFC 5322 header and body), written on demand: the delivery core takes
 * messages in this form so that no mail API's types (javax or Jakarta) cross into it.
 */
@FunctionalInterface
public interface MessageContent {
    /** Writes the message to {@code out}; lines may end in CRLF or LF. May be called once per session. */
    void writeTo(OutputStream out) throws IOException;
}
