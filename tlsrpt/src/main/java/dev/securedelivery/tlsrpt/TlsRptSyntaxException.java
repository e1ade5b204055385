package dev.securedelivery.tlsrpt;

/** A {@code _smtp._tls} record that breaks RFC 8460 3; the message says where. */
public final class TlsRptSyntaxException extends Exception {
    private static final long serialVersionUID = 1L;

    public TlsRptSyntaxException(String message) {
        super(message);
    }
}
