package dev.securedelivery.mtasts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.securedelivery.dns.DnsResolver;
import dev.securedelivery.testing.InMemoryDns;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.Type;

/** HTTPS hosts resolved through the engine's DNS; an address literal without any lookup. */
class PolicyHostResolverTest {
    private final InMemoryDns dns = new InMemoryDns();
    private final PolicyHostResolver resolver =
            new PolicyHostResolver(new DnsResolver(dns, false, Duration.ofSeconds(2)));

    @Test
    void aHostNameIsResolvedIpv4First() throws Exception {
        dns.addA("reports.example.test.", "192.0.2.7").add("reports.example.test.", Type.AAAA, 300, "2001:db8::7");

        assertThat(resolver.resolve("reports.example.test"))
                .containsExactly(InetAddress.getByName("192.0.2.7"), InetAddress.getByName("2001:db8::7"));
    }

    @Test
    void anAddressLiteralIsTakenAsItIsWithoutALookup() throws Exception {
        assertThat(resolver.resolve("192.0.2.1")).containsExactly(InetAddress.getByName("192.0.2.1"));
        assertThat(resolver.resolve("[2001:db8::1]")).containsExactly(InetAddress.getByName("2001:db8::1"));
        assertThat(resolver.resolve("2001:db8::1")).containsExactly(InetAddress.getByName("2001:db8::1"));
        assertThat(dns.queryCount("192.0.2.1.", Type.A)).isZero();
    }

    @Test
    void aNameThatLooksAlmostLikeAnAddressIsLookedUpAsAName() {
        assertThatThrownBy(() -> resolver.resolve("192.0.2.300")).isInstanceOf(UnknownHostException.class);
        assertThat(dns.queryCount("192.0.2.300.", Type.A)).isEqualTo(1);
    }
}
