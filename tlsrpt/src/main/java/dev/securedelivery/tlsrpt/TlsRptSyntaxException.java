package dev.securedelivery.tlsrpt;

import dev.securedelivery.peertext.PeerText;

/** A {@code _smtp._tls} record that breaks RFC 8460 3; the message says where. */
public final class TlsRptSyntaxException extends Exception {
    private static final long serialVersionUID = 1L;

    /** @param message what is wrong; it may quote the record, so it is made one printable line, capped */
    public TlsRptSyntaxException(String message) {
        super(PeerText.clean(message, 1000));
    }
}
