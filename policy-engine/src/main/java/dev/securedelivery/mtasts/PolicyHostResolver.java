package dev.securedelivery.mtasts;

import dev.securedelivery.dns.DnsAnswer;
import dev.securedelivery.tlsrpt.IpNetwork;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.apache.hc.client5.http.DnsResolver;
import org.xbill.DNS.Name;
import org.xbill.DNS.TextParseException;
import org.xbill.DNS.Type;

/**
 * Resolves HTTPS hosts for HttpClient (MTA-STS policy hosts, TLS report endpoints) through the
 * engine's own DNS resolver rather than the JVM's, so that a configured upstream also covers them.
 * IPv4 addresses come first: a host without IPv6 connectivity would otherwise wait out the
 * connect timeout on every IPv6 address before trying IPv4.
 */
public final class PolicyHostResolver implements DnsResolver {
    private final dev.securedelivery.dns.DnsResolver dns;

    public PolicyHostResolver(dev.securedelivery.dns.DnsResolver dns) {
        this.dns = dns;
    }

    @Override
    public InetAddress[] resolve(String host) throws UnknownHostException {
        Optional<InetAddress> literal = IpNetwork.addressLiteral(host);
        if (literal.isPresent()) {
            // A report URI may name its host by address (https://192.0.2.1/): no lookup, as for any client.
            return new InetAddress[] {literal.get()};
        }
        Name name;
        try {
            name = Name.fromString(host, Name.root);
        } catch (TextParseException e) {
            throw new UnknownHostException(host + ": not a host name");
        }
        CompletableFuture<DnsAnswer> v4 = dns.lookup(name, Type.A);
        CompletableFuture<DnsAnswer> v6 = dns.lookup(name, Type.AAAA);
        DnsAnswer a = join(v4, name, Type.A);
        DnsAnswer aaaa = join(v6, name, Type.AAAA);

        List<InetAddress> addresses = new ArrayList<>(a.addresses());
        addresses.addAll(aaaa.addresses());
        if (!addresses.isEmpty()) {
            return addresses.toArray(new InetAddress[0]);
        }
        if (!a.isAnswered()) {
            throw new UnknownHostException(host + ": DNS lookup failed: " + a.failureReason());
        }
        if (!aaaa.isAnswered()) {
            throw new UnknownHostException(host + ": DNS lookup failed: " + aaaa.failureReason());
        }
        throw new UnknownHostException(host + (a.nameExists() ? ": no address records" : ": no such host (NXDOMAIN)"));
    }

    @Override
    public String resolveCanonicalHostname(String host) {
        // Only used for Kerberos-style authentication, which the fetch never does.
        return host;
    }

    private DnsAnswer join(CompletableFuture<DnsAnswer> lookup, Name name, int type) {
        try {
            return lookup.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return DnsAnswer.failed(name, type, "interrupted");
        } catch (ExecutionException e) {
            return DnsAnswer.failed(name, type, String.valueOf(e.getCause()));
        }
    }
}
