package dev.securedelivery.tlsrpt;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * An IPv4 or IPv6 network in CIDR notation ({@code 10.1.0.0/16}, {@code fc00::/7}, or one address
 * without a prefix length): which addresses report uploads (RFC 8460 5.4) may go to, and which they
 * may not. Parsing never looks a name up: only address literals are accepted.
 */
public final class IpNetwork {
    private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");
    private static final Pattern IPV6 = Pattern.compile("[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*");

    private final byte[] base;
    private final int prefixLength;

    private IpNetwork(byte[] base, int prefixLength) {
        this.base = base;
        this.prefixLength = prefixLength;
    }

    /**
     * Parses {@code address/prefix-length}; the address is the network's first, with no bit set
     * beyond the prefix ({@code 10.1.0.0/16}, not {@code 10.1.2.3/16}, which is more likely a typo).
     *
     * @throws IllegalArgumentException saying what is wrong, for the configuration's error
     */
    public static IpNetwork parse(String text) {
        String trimmed = text.trim();
        int slash = trimmed.indexOf('/');
        String address = slash < 0 ? trimmed : trimmed.substring(0, slash);
        byte[] bytes = literal(address);
        if (bytes != null && bytes.length == 0) {
            throw new IllegalArgumentException("\"" + address + "\" is an IPv4-mapped address: write it as IPv4");
        }
        if (bytes == null) {
            throw new IllegalArgumentException("\"" + address + "\" is not an IPv4 or IPv6 address");
        }
        int length = bytes.length * 8;
        if (slash >= 0) {
            String prefix = trimmed.substring(slash + 1);
            if (!prefix.matches("\\d{1,3}") || Integer.parseInt(prefix) > bytes.length * 8) {
                throw new IllegalArgumentException("\"" + prefix + "\" is not a prefix length of 0 to "
                        + bytes.length * 8 + " in \"" + trimmed + "\"");
            }
            length = Integer.parseInt(prefix);
        }
        byte[] first = masked(bytes, length);
        if (!Arrays.equals(first, bytes)) {
            throw new IllegalArgumentException("\"" + trimmed + "\" has bits set beyond the prefix; the network is "
                    + new IpNetwork(first, length));
        }
        return new IpNetwork(bytes, length);
    }

    /** Whether {@code address} is in the network; an IPv4 address is never in an IPv6 network, nor the reverse. */
    public boolean contains(InetAddress address) {
        byte[] bytes = address.getAddress();
        return bytes.length == base.length && Arrays.equals(masked(bytes, prefixLength), base);
    }

    private static byte[] masked(byte[] bytes, int length) {
        byte[] masked = bytes.clone();
        for (int bit = length; bit < masked.length * 8; bit++) {
            masked[bit / 8] &= (byte) ~(0x80 >>> (bit % 8));
        }
        return masked;
    }

    /**
     * The address {@code text} writes (a dotted quad, or an IPv6 literal with or without brackets),
     * read without any lookup; empty for anything else, a host name included.
     */
    public static Optional<InetAddress> addressLiteral(String text) {
        String bare = text.startsWith("[") && text.endsWith("]") ? text.substring(1, text.length() - 1) : text;
        byte[] bytes = literal(bare);
        try {
            return bytes == null || bytes.length == 0 ? Optional.empty() : Optional.of(InetAddress.getByAddress(bytes));
        } catch (UnknownHostException e) {
            return Optional.empty();
        }
    }

    // An address literal's bytes, none for an IPv4-mapped IPv6 literal, or null; InetAddress.getByName only sees
    // strings it cannot mistake
    // for a name (a dotted quad checked here, an IPv6 literal in brackets), so it never resolves one.
    private static byte[] literal(String text) {
        try {
            if (IPV4.matcher(text).matches()) {
                for (String octet : text.split("\\.")) {
                    if (Integer.parseInt(octet) > 255) {
                        return null;
                    }
                }
                return InetAddress.getByName(text).getAddress();
            }
            if (IPV6.matcher(text).matches()) {
                InetAddress address = InetAddress.getByName("[" + text + "]");
                // An IPv4-mapped literal (::ffff:a.b.c.d) comes back as IPv4, whatever its prefix length.
                return address instanceof Inet4Address ? new byte[0] : address.getAddress();
            }
            return null;
        } catch (UnknownHostException e) {
            return null;
        }
    }

    private String firstAddress() {
        try {
            return InetAddress.getByAddress(base).getHostAddress();
        } catch (UnknownHostException e) {
            throw new IllegalStateException("4 or 16 bytes make an address", e);
        }
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof IpNetwork
                && prefixLength == ((IpNetwork) other).prefixLength
                && Arrays.equals(base, ((IpNetwork) other).base);
    }

    @Override
    public int hashCode() {
        return Objects.hash(Arrays.hashCode(base), prefixLength);
    }

    @Override
    public String toString() {
        return firstAddress() + "/" + prefixLength;
    }
}
