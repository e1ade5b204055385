package dev.securedelivery.mtasts;

/** The policy modes of RFC 8461 3.2 and what each asks of a sender (RFC 8461 5). */
public enum MtaStsMode {
    /** Deliver only to matching MX hosts over PKIX-authenticated TLS. */
    ENFORCE("enforce"),
    /** Deliver as usual, but report what enforce mode would have refused. */
    TESTING("testing"),
    /** The domain has withdrawn its policy (RFC 8461 8.3): apply nothing. */
    NONE("none");

    private final String keyword;

    MtaStsMode(String keyword) {
        this.keyword = keyword;
    }

    /** The value of the {@code mode} field for this mode. */
    public String keyword() {
        return keyword;
    }

    /** The mode {@code keyword} names, exactly (RFC 8461 3.2 uses case-sensitive %s strings); null if none. */
    static MtaStsMode fromKeyword(String keyword) {
        for (MtaStsMode mode : values()) {
            if (mode.keyword.equals(keyword)) {
                return mode;
            }
        }
        return null;
    }

    @Override
    public String toString() {
        return keyword;
    }
}
