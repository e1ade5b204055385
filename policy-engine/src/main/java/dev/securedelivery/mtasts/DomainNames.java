package dev.securedelivery.mtasts;

import java.net.IDN;
import java.util.Locale;

/**
 * Host-name syntax as RFC 8461 uses it: the {@code Domain} production of RFC 5321 4.1.2 (letters,
 * digits and inner hyphens, labels of at most 63 octets, at most 253 in all), compared as
 * lower-case A-labels (RFC 8461 4.1).
 */
public final class DomainNames {
    static final int MAX_LENGTH = 253;
    static final int MAX_LABEL_LENGTH = 63;

    private DomainNames() {}

    /**
     * The name in the form names are compared and looked up in: lower case, A-labels, no trailing
     * dot. Null when it is not a host name (empty labels, bad characters, an IP address, too long).
     */
    public static String normalize(String name) {
        if (name == null || name.isEmpty()) {
            return null;
        }
        String ascii = name.endsWith(".") ? name.substring(0, name.length() - 1) : name;
        if (!isAscii(ascii)) {
            try {
                // RFC 8461 4.1: internationalised names are compared in their A-label form.
                ascii = IDN.toASCII(ascii, IDN.USE_STD3_ASCII_RULES);
            } catch (IllegalArgumentException e) {
                return null;
            }
        }
        String lower = ascii.toLowerCase(Locale.ROOT);
        return isHostName(lower) ? lower : null;
    }

    /** Whether {@code name} (no trailing dot) is an RFC 5321 Domain and not an IPv4 address. */
    static boolean isHostName(String name) {
        int length = name.length();
        if (length == 0 || length > MAX_LENGTH) {
            return false;
        }
        int labelStart = 0;
        boolean labelNumeric = true;
        for (int i = 0; i < length; i++) {
            char c = name.charAt(i);
            if (c == '.') {
                if (!isLabel(name, labelStart, i)) {
                    return false;
                }
                labelStart = i + 1;
                labelNumeric = true;
            } else if (isLetterOrDigit(c) || c == '-') {
                labelNumeric &= c >= '0' && c <= '9';
            } else {
                return false;
            }
        }
        // An all-numeric last label makes "192.0.2.1" an address, not a name: no top-level domain
        // is all digits (RFC 3696 2), and RFC 8461 3.2 patterns name hosts, not addresses.
        return isLabel(name, labelStart, length) && !labelNumeric;
    }

    // RFC 5321 4.1.2: sub-domain = Let-dig [Ldh-str]; a hyphen neither first nor last.
    private static boolean isLabel(String name, int start, int end) {
        int labelLength = end - start;
        return labelLength > 0
                && labelLength <= MAX_LABEL_LENGTH
                && name.charAt(start) != '-'
                && name.charAt(end - 1) != '-';
    }

    static boolean isLetterOrDigit(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    }

    static boolean isAscii(String text) {
        for (int i = 0; i < text.length(); i++) {
            if (text.charAt(i) > 0x7f) {
                return false;
            }
        }
        return true;
    }
}
