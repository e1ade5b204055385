package dev.securedelivery.requiretls;

import java.util.Locale;
import java.util.Optional;

/**
 * A minimum transport security for one message, weakest first: whatever the destination publishes,
 * the connection that carries the message must achieve at least this.
 */
public enum SecurityLevel {
    /** STARTTLS, with any certificate: never plaintext. */
    TLS("tls"),
    /** STARTTLS, and the server authenticated: by DANE, or by a PKIX-valid chain for the MX host name. */
    AUTHENTICATED("authenticated"),
    /** STARTTLS, and the server authenticated by DANE TLSA records (RFC 7672). */
    DANE("dane");

    private final String keyword;

    SecurityLevel(String keyword) {
        this.keyword = keyword;
    }

    /** The name used in configuration and in attributes: {@code tls}, {@code authenticated}, {@code dane}. */
    public String keyword() {
        return keyword;
    }

    /** The level named {@code keyword}, case and surrounding blanks ignored. */
    public static Optional<SecurityLevel> fromKeyword(String keyword) {
        String wanted = keyword == null ? "" : keyword.trim().toLowerCase(Locale.ROOT);
        for (SecurityLevel level : values()) {
            if (level.keyword.equals(wanted)) {
                return Optional.of(level);
            }
        }
        return Optional.empty();
    }

    /** The stricter of the two; {@code other} may be null. */
    public SecurityLevel atLeast(SecurityLevel other) {
        return other == null || other.ordinal() <= ordinal() ? this : other;
    }

    @Override
    public String toString() {
        return keyword;
    }
}
