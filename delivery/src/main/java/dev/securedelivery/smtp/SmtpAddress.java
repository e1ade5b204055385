package dev.securedelivery.smtp;

import java.util.Objects;

/**
 * An envelope address as SMTP carries it in {@code MAIL FROM:<...>} and {@code RCPT TO:<...>} (RFC
 * 5321 4.1.2): a local part and a domain, parsed once from the address James gives (a local part
 * quoted or not), and written back in the one form the grammar allows: a Dot-string where the local
 * part is one, else a Quoted-string with {@code "} and {@code \} escaped.
 *
 * <p>No control character can be in an SMTP address: {@code qtextSMTP} and {@code quoted-pairSMTP}
 * allow only %d32-126. An address with a CR, LF, NUL or another control character in its local part,
 * quoted or escaped, or in its domain, is refused here, before it could end a command line and start
 * another (command injection: James's {@code MailAddress} accepts {@code "a\<LF>RSET"@x.test}).
 * Characters beyond ASCII are passed as they are (SMTPUTF8's business, RFC 6531).
 */
public final class SmtpAddress {
    private final String localPart;
    private final String domain;

    private SmtpAddress(String localPart, String domain) {
        this.localPart = localPart;
        this.domain = domain;
    }

    /** Why an address cannot go into an SMTP command; its message never repeats the address. */
    public static final class InvalidAddressException extends Exception {
        private static final long serialVersionUID = 1L;

        InvalidAddressException(String message) {
            super(message);
        }
    }

    /**
     * {@code address} ({@code local@domain}, the local part possibly quoted with backslash escapes
     * inside, as James writes it).
     */
    public static SmtpAddress parse(String address) throws InvalidAddressException {
        Objects.requireNonNull(address, "address");
        int at = address.lastIndexOf('@');
        if (at < 0) {
            throw new InvalidAddressException("no @ between local part and domain");
        }
        String local = address.substring(0, at);
        String domain = address.substring(at + 1);
        if (domain.isEmpty()) {
            throw new InvalidAddressException("an empty domain");
        }
        for (int i = 0; i < domain.length(); i++) {
            char c = domain.charAt(i);
            if (isControl(c) || c == ' ' || c == '<' || c == '>') {
                throw new InvalidAddressException("a control character, a space or an angle bracket in the domain");
            }
        }
        String value = local.length() >= 2 && local.startsWith("\"") && local.endsWith("\"") ? unquote(local) : local;
        if (value.isEmpty()) {
            throw new InvalidAddressException("an empty local part");
        }
        for (int i = 0; i < value.length(); i++) {
            if (isControl(value.charAt(i))) {
                // RFC 5321 4.1.2: neither quoted nor escaped may a control character be.
                throw new InvalidAddressException("a control character (CR, LF, NUL or other) in the local part");
            }
        }
        return new SmtpAddress(value, domain);
    }

    private static String unquote(String quoted) throws InvalidAddressException {
        StringBuilder value = new StringBuilder(quoted.length());
        for (int i = 1; i < quoted.length() - 1; i++) {
            char c = quoted.charAt(i);
            if (c == '\\') {
                if (i + 1 >= quoted.length() - 1) {
                    throw new InvalidAddressException("a quoted local part that ends in a lone backslash");
                }
                c = quoted.charAt(++i);
            } else if (c == '"') {
                throw new InvalidAddressException("an unescaped quote inside a quoted local part");
            }
            value.append(c);
        }
        return value.toString();
    }

    private static boolean isControl(char c) {
        return c < 0x20 || c == 0x7f;
    }

    /** The local part's value, unquoted. */
    public String localPart() {
        return localPart;
    }

    public String domain() {
        return domain;
    }

    /** {@code <local@domain>}, the local part as a Dot-string or a Quoted-string (RFC 5321 4.1.2). */
    public String path() {
        return "<" + (isDotString(localPart) ? localPart : quoted(localPart)) + "@" + domain + ">";
    }

    // Dot-string = Atom *("." Atom); Atom = 1*atext (RFC 5321 4.1.2, RFC 5322 3.2.3).
    private static boolean isDotString(String value) {
        if (value.startsWith(".") || value.endsWith(".") || value.contains("..")) {
            return false;
        }
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c != '.' && !isAtext(c)) {
                return false;
            }
        }
        return true;
    }

    private static boolean isAtext(char c) {
        return (c >= 'a' && c <= 'z')
                || (c >= 'A' && c <= 'Z')
                || (c >= '0' && c <= '9')
                || "!#$%&'*+-/=?^_`{|}~".indexOf(c) >= 0
                // UTF8-non-ascii (RFC 6531 3.3): passed as it is.
                || c > 0x7f;
    }

    // Quoted-string = DQUOTE *QcontentSMTP DQUOTE; only " and \ need a backslash.
    private static String quoted(String value) {
        StringBuilder quoted = new StringBuilder(value.length() + 2).append('"');
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == '"' || c == '\\') {
                quoted.append('\\');
            }
            quoted.append(c);
        }
        return quoted.append('"').toString();
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof SmtpAddress
                && ((SmtpAddress) other).localPart.equals(localPart)
                && ((SmtpAddress) other).domain.equals(domain);
    }

    @Override
    public int hashCode() {
        return localPart.hashCode() * 31 + domain.hashCode();
    }

    @Override
    public String toString() {
        return path();
    }
}
