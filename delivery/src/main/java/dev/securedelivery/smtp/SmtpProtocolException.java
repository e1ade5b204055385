package dev.securedelivery.smtp;

import java.io.IOException;

/** A server broke the SMTP protocol or one of our bounds on it: a malformed, endless or oversized reply. */
final class SmtpProtocolException extends IOException {
    private static final long serialVersionUID = 1L;

    SmtpProtocolException(String message) {
        super(message);
    }
}
