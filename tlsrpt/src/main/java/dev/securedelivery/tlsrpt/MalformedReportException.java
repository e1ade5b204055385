package dev.securedelivery.tlsrpt;

import dev.securedelivery.peertext.PeerText;

/**
 * A TLS report received from a peer that is not one (RFC 8460 4.4, 5.3): bad JSON, a missing or
 * mistyped field, a count out of range, a compressed body too large or broken. The message says
 * what and where; it may quote the report, so it is made one printable line, capped.
 */
public final class MalformedReportException extends Exception {
    private static final long serialVersionUID = 1L;

    public MalformedReportException(String message) {
        super(PeerText.clean(message, 300));
    }
}
