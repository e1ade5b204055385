package dev.securedelivery.reports;

import static org.assertj.core.api.Assertions.assertThat;

import dev.securedelivery.dns.DnsResolver;
import dev.securedelivery.mtasts.PolicyHostResolver;
import dev.securedelivery.testing.InMemoryDns;
import dev.securedelivery.tlsrpt.IpNetwork;
import java.net.InetAddress;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Which addresses a report may be uploaded to: global unicast, and the networks the administrator allows. */
class UploadAddressFilterTest {
    private static final UploadAddressFilter FILTER = new UploadAddressFilter(
            new PolicyHostResolver(new DnsResolver(new InMemoryDns(), false, Duration.ofSeconds(2))),
            List.of(IpNetwork.parse("10.1.0.0/16"), IpNetwork.parse("fd00:1::/32")));

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "0.0.0.0 | \"this network\", unspecified (RFC 791)",
                "10.0.0.1 | private (RFC 1918)",
                "172.31.255.255 | private (RFC 1918)",
                "192.168.1.1 | private (RFC 1918)",
                "100.64.0.1 | shared address space, carrier-grade NAT (RFC 6598)",
                "127.0.0.1 | loopback (RFC 1122)",
                "127.255.0.9 | loopback (RFC 1122)",
                "169.254.169.254 | link-local (RFC 3927)",
                "192.0.2.1 | documentation (RFC 5737)",
                "198.18.0.1 | benchmarking (RFC 2544)",
                "224.0.0.1 | multicast (RFC 5771)",
                "255.255.255.255 | reserved, broadcast included (RFC 1112)",
                ":: | unspecified (RFC 4291)",
                "::1 | loopback (RFC 4291)",
                "64:ff9b::a00:1 | NAT64 (RFC 6052)",
                "fc00::1 | unique local (RFC 4193)",
                "fd12::1 | unique local (RFC 4193)",
                "fe80::1 | link-local (RFC 4291)",
                "ff02::1 | multicast (RFC 4291)",
                "2001:db8::1 | documentation (RFC 3849)",
                "2001:0:4136:e378:8000:63bf:3fff:fdd2 | IETF protocol assignments, Teredo included (RFC 2928)",
                "2002:a00:1::1 | 6to4 (RFC 3056)",
                "4000::1 | not global unicast (RFC 4291 2.4)",
            })
    void anAddressThatIsNotGlobalUnicastIsRefusedSayingWhatItIs(String address, String why) throws Exception {
        assertThat(FILTER.refusal(InetAddress.getByName(address))).contains(why);
    }

    @ParameterizedTest
    @CsvSource({
        "192.0.3.1",
        "8.8.8.8",
        "100.128.0.1",
        "172.32.0.1",
        "2a00:1450:4001:80b::200e",
        "2600::1",
        "10.1.2.3",
        "fd00:1:2::3"
    })
    void aGlobalUnicastAddressOrOneOfAnAllowedNetworkIsAccepted(String address) throws Exception {
        assertThat(FILTER.refusal(InetAddress.getByName(address))).isEmpty();
    }
}
