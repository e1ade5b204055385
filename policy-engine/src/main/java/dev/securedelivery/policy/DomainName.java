package dev.securedelivery.policy;

import dev.securedelivery.mtasts.DomainNames;
import java.net.IDN;
import java.util.Locale;
import java.util.Objects;

/**
 * A destination domain, normalised once where it enters (a recipient's address, a WebAdmin route, a
 * command line): lower-case
 * A-labels without a trailing dot, the form plans, policies, logs, outcomes and reports name it in
 * (RFC 8461 4.1, RFC 5890). Its U-label form is for people. A domain that is not a host name (an
 * address literal, bad syntax) keeps its lower-cased text and says so; its plan will find no MX.
 */
public final class DomainName {
    private final String ascii;
    private final boolean hostName;

    private DomainName(String ascii, boolean hostName) {
        this.ascii = ascii;
        this.hostName = hostName;
    }

    public static DomainName of(String name) {
        String trimmed = Objects.requireNonNull(name, "name").trim();
        String normalized = DomainNames.normalize(trimmed);
        if (normalized != null) {
            return new DomainName(normalized, true);
        }
        String withoutDot = trimmed.endsWith(".") ? trimmed.substring(0, trimmed.length() - 1) : trimmed;
        return new DomainName(withoutDot.toLowerCase(Locale.ROOT), false);
    }

    /** The A-label form: what DNS, policies and reports use. */
    public String asciiName() {
        return ascii;
    }

    /** The U-label form, for people; the A-label form where it has none or is not a host name. */
    public String unicodeName() {
        if (!hostName) {
            return ascii;
        }
        try {
            return IDN.toUnicode(ascii, IDN.USE_STD3_ASCII_RULES);
        } catch (IllegalArgumentException e) {
            return ascii;
        }
    }

    /** Whether this is a host name (RFC 5321 Domain) rather than an address literal or bad syntax. */
    public boolean isHostName() {
        return hostName;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof DomainName && ((DomainName) other).ascii.equals(ascii);
    }

    @Override
    public int hashCode() {
        return ascii.hashCode();
    }

    @Override
    public String toString() {
        return ascii;
    }
}
