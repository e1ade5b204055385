package dev.securedelivery.tlsrpt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class IpNetworkTest {
    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "127.0.0.0/8 | 127.0.0.1 | true",
                "127.0.0.0/8 | 128.0.0.1 | false",
                "10.1.0.0/16 | 10.1.255.7 | true",
                "10.1.0.0/16 | 10.2.0.1 | false",
                "100.64.0.0/10 | 100.127.255.255 | true",
                "100.64.0.0/10 | 100.128.0.0 | false",
                "192.0.2.7 | 192.0.2.7 | true",
                "192.0.2.7 | 192.0.2.8 | false",
                "0.0.0.0/0 | 203.0.113.9 | true",
                "0.0.0.0/0 | ::1 | false",
                "fc00::/7 | fd12:3456::1 | true",
                "fc00::/7 | fe80::1 | false",
                "::1 | ::1 | true",
                "::/0 | 127.0.0.1 | false",
                "2001:db8:1::/48 | 2001:db8:1:ffff::1 | true",
                "2001:db8:1::/48 | 2001:db8:2::1 | false",
            })
    void anAddressIsInTheNetworkWhenItsPrefixMatches(String network, String address, boolean contained)
            throws Exception {
        assertThat(IpNetwork.parse(network).contains(InetAddress.getByName(address)))
                .isEqualTo(contained);
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "localhost | \"localhost\" is not an IPv4 or IPv6 address",
                "example.com/24 | \"example.com\" is not an IPv4 or IPv6 address",
                "10.0.0.256/8 | \"10.0.0.256\" is not an IPv4 or IPv6 address",
                "10.0.0.0/33 | \"33\" is not a prefix length of 0 to 32",
                "10.0.0.0/ | \"\" is not a prefix length of 0 to 32",
                "10.0.0.0/-1 | \"-1\" is not a prefix length",
                "fc00::/129 | \"129\" is not a prefix length of 0 to 128",
                "10.1.2.3/16 | has bits set beyond the prefix; the network is 10.1.0.0/16",
                "::ffff:10.0.0.1/104 | is an IPv4-mapped address: write it as IPv4",
                "fc00:::1/7 | \"fc00:::1\" is not an IPv4 or IPv6 address",
            })
    void aValueThatIsNotANetworkIsRefusedSayingWhy(String text, String message) {
        assertThatThrownBy(() -> IpNetwork.parse(text))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(message);
    }
}
