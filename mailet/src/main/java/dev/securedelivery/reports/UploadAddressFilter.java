package dev.securedelivery.reports;

import dev.securedelivery.configuration.TlsReportingConfiguration;
import dev.securedelivery.tlsrpt.IpNetwork;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.hc.client5.http.DnsResolver;

/**
 * The addresses an {@code https:} report may be uploaded to: global unicast ones only, unless the
 * administrator allows a network ({@code tls-reports.upload-allowed-networks}). A {@code rua} URI
 * is chosen by whoever controls the policy domain's DNS; without this, its host could resolve to
 * 127.0.0.1 or a private address and have this server POST into its own network.
 *
 * <p>It is the resolver HttpClient connects with, so the addresses checked are the addresses
 * connected to: a name that resolves to something else a moment later (DNS rebinding) gains
 * nothing.
 */
final class UploadAddressFilter implements DnsResolver {
    // IANA's special-purpose registries (RFC 6890), the blocks no report endpoint has any business in.
    private static final Map<IpNetwork, String> REFUSED = new LinkedHashMap<>();

    static {
        refuse("0.0.0.0/8", "\"this network\", unspecified (RFC 791)");
        refuse("10.0.0.0/8", "private (RFC 1918)");
        refuse("100.64.0.0/10", "shared address space, carrier-grade NAT (RFC 6598)");
        refuse("127.0.0.0/8", "loopback (RFC 1122)");
        refuse("169.254.0.0/16", "link-local (RFC 3927)");
        refuse("172.16.0.0/12", "private (RFC 1918)");
        refuse("192.0.0.0/24", "IETF protocol assignments (RFC 6890)");
        refuse("192.0.2.0/24", "documentation (RFC 5737)");
        refuse("192.88.99.0/24", "6to4 relay anycast (RFC 7526)");
        refuse("192.168.0.0/16", "private (RFC 1918)");
        refuse("198.18.0.0/15", "benchmarking (RFC 2544)");
        refuse("198.51.100.0/24", "documentation (RFC 5737)");
        refuse("203.0.113.0/24", "documentation (RFC 5737)");
        refuse("224.0.0.0/4", "multicast (RFC 5771)");
        refuse("240.0.0.0/4", "reserved, broadcast included (RFC 1112)");
        refuse("::/128", "unspecified (RFC 4291)");
        refuse("::1/128", "loopback (RFC 4291)");
        refuse("64:ff9b::/96", "NAT64 (RFC 6052)");
        refuse("64:ff9b:1::/48", "local-use NAT64 (RFC 8215)");
        refuse("100::/64", "discard-only (RFC 6666)");
        refuse("2001::/23", "IETF protocol assignments, Teredo included (RFC 2928)");
        refuse("2001:db8::/32", "documentation (RFC 3849)");
        refuse("2002::/16", "6to4 (RFC 3056)");
        refuse("3fff::/20", "documentation (RFC 9637)");
        refuse("fc00::/7", "unique local (RFC 4193)");
        refuse("fe80::/10", "link-local (RFC 4291)");
        refuse("fec0::/10", "site-local (RFC 3879)");
        refuse("ff00::/8", "multicast (RFC 4291)");
    }

    // RFC 4291 2.4: IPv6 global unicast is allocated from 2000::/3 only. An IPv4-mapped address
    // (::ffff:0:0/96) is an Inet4Address in Java, and judged as IPv4.
    private static final IpNetwork IPV6_GLOBAL_UNICAST = IpNetwork.parse("2000::/3");

    private final DnsResolver names;
    private final List<IpNetwork> allowed;

    /**
     * @param names resolves host names (the engine's DNS)
     * @param allowed networks uploads may go to though they are not global unicast
     */
    UploadAddressFilter(DnsResolver names, List<IpNetwork> allowed) {
        this.names = names;
        this.allowed = List.copyOf(allowed);
    }

    private static void refuse(String network, String why) {
        REFUSED.put(IpNetwork.parse(network), why);
    }

    /** Why an upload may not go to {@code address}, or empty if it may. */
    Optional<String> refusal(InetAddress address) {
        for (IpNetwork network : allowed) {
            if (network.contains(address)) {
                return Optional.empty();
            }
        }
        for (Map.Entry<IpNetwork, String> refused : REFUSED.entrySet()) {
            if (refused.getKey().contains(address)) {
                return Optional.of(refused.getValue());
            }
        }
        if (!(address instanceof Inet4Address) && !IPV6_GLOBAL_UNICAST.contains(address)) {
            return Optional.of("not global unicast (RFC 4291 2.4)");
        }
        return Optional.empty();
    }

    /**
     * The addresses of {@code host} an upload may go to, in the order resolved.
     *
     * @throws RefusedAddressException if it has some, but none an upload may go to
     */
    @Override
    public InetAddress[] resolve(String host) throws UnknownHostException {
        List<InetAddress> usable = new ArrayList<>();
        List<String> refused = new ArrayList<>();
        for (InetAddress address : names.resolve(host)) {
            Optional<String> why = refusal(address);
            if (why.isPresent()) {
                refused.add(address.getHostAddress() + " is " + why.get());
            } else {
                usable.add(address);
            }
        }
        if (usable.isEmpty()) {
            throw new RefusedAddressException(host + " has no address a report may be uploaded to: "
                    + String.join(", ", refused) + "; " + TlsReportingConfiguration.UPLOAD_ALLOWED_NETWORKS
                    + " can allow a network");
        }
        return usable.toArray(new InetAddress[0]);
    }

    @Override
    public String resolveCanonicalHostname(String host) {
        // Only used for Kerberos-style authentication, which uploads never do.
        return host;
    }

    /** An upload target whose every address is refused: a failed upload, like a name that does not resolve. */
    static final class RefusedAddressException extends UnknownHostException {
        private static final long serialVersionUID = 1L;

        RefusedAddressException(String message) {
            super(message);
        }
    }
}
