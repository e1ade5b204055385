package dev.securedelivery.requiretls;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What one message demands of the connections that carry it: a minimum {@link SecurityLevel} set
 * by the administrator's rules, the REQUIRETLS tag (RFC 8689 4.1), or {@code TLS-Required: No}
 * (RFC 8689 3). Immutable.
 *
 * <p>REQUIRETLS wins over the header: a message received with the REQUIRETLS parameter ignores its
 * {@code TLS-Required} field (RFC 8689 4.1). REQUIRETLS implies {@link SecurityLevel#AUTHENTICATED}
 * (RFC 8689 4.2.1 step 4).
 */
public final class MessageSecurity {
    /** The name of the header field of RFC 8689 3. */
    public static final String TLS_REQUIRED_HEADER = "TLS-Required";
    /** The EHLO keyword and MAIL FROM parameter of RFC 8689 2. */
    public static final String REQUIRETLS = "REQUIRETLS";

    /** A message that demands nothing: the destination's policy alone decides. */
    public static final MessageSecurity NONE = new MessageSecurity(null, false, false);

    private final SecurityLevel level;
    private final boolean requireTls;
    private final boolean tlsOptional;

    private MessageSecurity(SecurityLevel level, boolean requireTls, boolean tlsOptional) {
        this.level = level;
        this.requireTls = requireTls;
        this.tlsOptional = tlsOptional && !requireTls;
    }

    /**
     * @param level the minimum an administrator's rule set, if any
     * @param requireTls whether the message is tagged REQUIRETLS (RFC 8689 4.2.1), whatever its
     *     return path
     * @param tlsOptional whether it carries {@code TLS-Required: No}
     */
    public static MessageSecurity of(Optional<SecurityLevel> level, boolean requireTls, boolean tlsOptional) {
        Objects.requireNonNull(level, "level");
        return new MessageSecurity(level.orElse(null), requireTls, tlsOptional);
    }

    /**
     * Whether the values of a message's {@code TLS-Required} fields say "No" (RFC 8689 3). A message
     * with more than one such field, which the RFC forbids, or another value, is read as having
     * none: its destination's policy holds.
     *
     * @param values the field's values, as javax.mail's {@code getHeader} returns them (null for none)
     */
    public static boolean saysTlsNotRequired(String[] values) {
        // "No" is an ABNF literal: case-insensitive (RFC 5234 2.3).
        return values != null
                && values.length == 1
                && values[0] != null
                && values[0].trim().equalsIgnoreCase("No");
    }

    /** The minimum level the connection must reach, REQUIRETLS's included. */
    public Optional<SecurityLevel> level() {
        return Optional.ofNullable(requireTls ? SecurityLevel.AUTHENTICATED.atLeast(level) : level);
    }

    /** Whether the message is to travel only to servers that offer REQUIRETLS, with the parameter (RFC 8689 4.2.1). */
    public boolean requireTls() {
        return requireTls;
    }

    /** Whether the sender asked that the destination's policy be ignored (RFC 8689 3); never with REQUIRETLS. */
    public boolean tlsOptional() {
        return tlsOptional;
    }

    /** Whether the message demands anything: otherwise the destination's plan applies as it is. */
    public boolean demandsAnything() {
        return level != null || requireTls || tlsOptional;
    }

    /** In words, for plans, logs and bounces: {@code "REQUIRETLS, level dane"}, {@code "TLS-Required: No"}. */
    @Override
    public String toString() {
        List<String> parts = new ArrayList<>();
        if (requireTls) {
            parts.add(REQUIRETLS);
        }
        if (level != null) {
            parts.add("level " + level);
        }
        if (tlsOptional) {
            parts.add(TLS_REQUIRED_HEADER + ": No");
        }
        return parts.isEmpty() ? "nothing" : String.join(", ", parts);
    }

    @Override
    public boolean equals(Object other) {
        if (!(other instanceof MessageSecurity)) {
            return false;
        }
        MessageSecurity that = (MessageSecurity) other;
        return level == that.level && requireTls == that.requireTls && tlsOptional == that.tlsOptional;
    }

    @Override
    public int hashCode() {
        return Objects.hash(level, requireTls, tlsOptional);
    }
}
