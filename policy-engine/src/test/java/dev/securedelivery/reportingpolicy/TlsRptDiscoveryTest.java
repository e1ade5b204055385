package dev.securedelivery.reportingpolicy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.securedelivery.dns.DnsResolver;
import dev.securedelivery.reportingpolicy.TlsRptDiscovery.Result;
import dev.securedelivery.testing.InMemoryDns;
import java.net.URI;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class TlsRptDiscoveryTest {
    private final InMemoryDns dns = new InMemoryDns();
    // The upstream's AD bit trusted, as with a validating resolver: a SERVFAIL "DNSSEC Bogus" is bogus.
    private final TlsRptDiscovery discovery = new TlsRptDiscovery(new DnsResolver(dns, true, Duration.ofSeconds(2)));

    @Test
    void aValidRecordSaysWhereReportsGo() {
        dns.addTxt("_smtp._tls.example.com", 300, "v=TLSRPTv1; rua=mailto:tls@example.com,https://r.example.com/x");
        // Another TXT record at the name is not a TLS-RPT record and is passed over (RFC 8460 3).
        dns.addTxt("_smtp._tls.example.com", 300, "something else");

        Result result = discovery.discoverNow("example.com");

        assertThat(result.kind()).isEqualTo(Result.Kind.FOUND);
        assertThat(result.publishes()).hasValue(true);
        assertThat(result.record().orElseThrow().reportUris())
                .containsExactly(URI.create("mailto:tls@example.com"), URI.create("https://r.example.com/x"));
    }

    @Test
    void noRecordAndAnInvalidOneMeanNoReports() {
        dns.addTxt("_smtp._tls.invalid.example", 300, "v=TLSRPTv1; rua=ftp://nowhere.example");

        Result none = discovery.discoverNow("none.example");
        Result invalid = discovery.discoverNow("invalid.example");

        assertThat(none.kind()).isEqualTo(Result.Kind.NONE);
        assertThat(none.publishes()).hasValue(false);
        assertThat(none.reason()).isEqualTo("no TLS-RPT record at _smtp._tls.none.example");
        assertThat(invalid.kind()).isEqualTo(Result.Kind.INVALID);
        assertThat(invalid.publishes()).hasValue(false);
        assertThat(invalid.reason()).startsWith("invalid TLS-RPT record at _smtp._tls.invalid.example: ");
    }

    @Test
    void aFailedOrBogusLookupSaysNothing() {
        dns.servfail("_smtp._tls.failing.example");
        dns.bogus("_smtp._tls.bogus.example");

        for (String domain : new String[] {"failing.example", "bogus.example"}) {
            Result result = discovery.discover(domain).join();
            assertThat(result.kind()).as(domain).isEqualTo(Result.Kind.FAILED);
            assertThat(result.publishes()).as(domain).isEmpty();
            assertThat(result.reason()).as(domain).startsWith("DNS lookup of _smtp._tls." + domain + " TXT failed");
            assertThat(result.bogus()).as(domain).isEqualTo(domain.startsWith("bogus"));
        }
    }

    @Test
    void aNameThatIsNoDnsNameHasNoRecord() {
        Result result = discovery.discoverNow("a".repeat(64) + ".example");

        assertThat(result.kind()).isEqualTo(Result.Kind.NONE);
        assertThat(result.reason()).endsWith("is not a DNS name");
    }
}
