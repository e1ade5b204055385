package dev.securedelivery.dns;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.xbill.DNS.ExtendedFlags;
import org.xbill.DNS.Resolver;
import org.xbill.DNS.dnssec.ValidatingResolver;

/**
 * The two ways answers get a trustworthy DNSSEC status (RFC 4033 4): validated inside the JVM by
 * dnsjava's {@link ValidatingResolver} from a trust anchor, so that no local validating resolver is
 * needed; or, for sites that run one, its AD flag, trusted only when it answers on a loopback
 * address (RFC 6698 4.1 and RFC 7672 1.3: the path to the validator must itself be secure).
 */
public final class DnssecValidation {
    private static final String ROOT_ANCHORS = "root-anchors.txt";

    private DnssecValidation() {}

    /** The IANA root zone trust anchors shipped with the extension (KSK-2017 and KSK-2024). */
    public static byte[] rootTrustAnchors() {
        try (InputStream in = DnssecValidation.class.getResourceAsStream(ROOT_ANCHORS)) {
            if (in == null) {
                throw new IllegalStateException("the bundled " + ROOT_ANCHORS + " is missing");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new IllegalStateException("cannot read the bundled " + ROOT_ANCHORS, e);
        }
    }

    /** A trust anchor file: DS or DNSKEY records in zone-file syntax, one per line, ';' comments. */
    public static byte[] trustAnchorsFrom(Path file) throws IOException {
        return Files.readAllBytes(file);
    }

    /**
     * A resolver that validates what {@code upstream} (a recursive resolver: the validator fetches
     * DS and DNSKEY records through it too) answers, from {@code trustAnchors}.
     *
     * @param clock the time signatures must be valid at
     * @throws IOException if the trust anchors cannot be parsed or hold no anchor
     */
    public static DnsResolver validating(Resolver upstream, byte[] trustAnchors, Clock clock, Duration timeout)
            throws IOException {
        ValidatingResolver validator = new ValidatingResolver(upstream, clock);
        validator.loadTrustAnchors(new ByteArrayInputStream(trustAnchors));
        if (validator.getTrustAnchors().items().isEmpty()) {
            throw new IOException("no trust anchor in " + new String(trustAnchors, StandardCharsets.UTF_8).trim());
        }
        validator.setTimeout(timeout);
        return new DnsResolver(validator, true, timeout);
    }

    /**
     * A resolver that trusts the AD flag of validating resolvers at {@code servers}, which must all
     * be loopback addresses: on any other path an attacker could set the flag.
     *
     * @throws IllegalArgumentException if a server is not on a loopback address
     */
    public static DnsResolver trustingLoopbackValidator(List<InetSocketAddress> servers, Duration timeout) {
        for (InetSocketAddress server : servers) {
            if (!server.getAddress().isLoopbackAddress()) {
                throw new IllegalArgumentException("the AD flag is trusted only from a validating resolver on a"
                        + " loopback address, not " + server.getAddress().getHostAddress());
            }
        }
        if (servers.isEmpty()) {
            throw new IllegalArgumentException("trusting the AD flag needs the loopback resolver's address");
        }
        Resolver upstream = DnsResolver.upstreamFor(servers, timeout);
        // DO asks the validator for DNSSEC processing, so that it reports AD (RFC 6840 5.7).
        upstream.setEDNS(0, 1232, ExtendedFlags.DO, List.of());
        return new DnsResolver(upstream, true, timeout.multipliedBy(2));
    }
}
