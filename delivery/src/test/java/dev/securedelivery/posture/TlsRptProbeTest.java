package dev.securedelivery.posture;

import static org.assertj.core.api.Assertions.assertThat;

import dev.securedelivery.dns.DnsResolver;
import dev.securedelivery.reportingpolicy.TlsRptDiscovery;
import dev.securedelivery.testing.InMemoryDns;
import dev.securedelivery.testing.TestClock;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xbill.DNS.Type;

class TlsRptProbeTest {
    private static final String RECORD = "v=TLSRPTv1; rua=mailto:tlsrpt@reports.test";
    private static final Publication STS =
            new Publication(Publication.Known.YES, Publication.Known.NO, Publication.Known.UNKNOWN);

    @TempDir
    Path directory;

    private final TestClock clock = new TestClock(Instant.parse("2026-03-10T12:00:00Z"));
    private final InMemoryDns dns = new InMemoryDns();
    private PostureStore store;
    private TlsRptProbe probe;

    @BeforeEach
    void start() throws IOException {
        store = PostureStore.open(directory, 90, 100, clock);
        probe = new TlsRptProbe(new TlsRptDiscovery(new DnsResolver(dns, false, Duration.ofSeconds(2))), store, clock);
    }

    @AfterEach
    void stop() throws IOException {
        store.close();
    }

    @Test
    void aRecordIsAYesKeptWithWhatTheMessageFound() throws Exception {
        dns.addTxt("_smtp._tls.reports.example", 300, RECORD);

        counted("reports.example", STS);

        // The plan's answers stay; the probe adds only TLS-RPT's.
        assertThat(publication("reports.example"))
                .isEqualTo(new Publication(Publication.Known.YES, Publication.Known.NO, Publication.Known.YES));
    }

    @Test
    void noRecordAndAnInvalidOneAreBothANo() throws Exception {
        // RFC 8460 3: a record without rua is invalid, and an invalid record means no reports.
        dns.addTxt("_smtp._tls.invalid.example", 300, "v=TLSRPTv1;");
        dns.addTxt("_smtp._tls.other-txt.example", 300, "v=spf1 -all");

        counted("none.example", Publication.UNKNOWN);
        counted("invalid.example", Publication.UNKNOWN);
        counted("other-txt.example", Publication.UNKNOWN);

        assertThat(publication("none.example").tlsRpt()).isEqualTo(Publication.Known.NO);
        assertThat(publication("invalid.example").tlsRpt()).isEqualTo(Publication.Known.NO);
        assertThat(publication("other-txt.example").tlsRpt()).isEqualTo(Publication.Known.NO);
    }

    @Test
    void aFailedLookupLeavesWhatWasKnown() throws Exception {
        dns.servfail("_smtp._tls.flaky.example");
        counted("flaky.example", Publication.UNKNOWN);
        assertThat(publication("flaky.example").tlsRpt()).isEqualTo(Publication.Known.UNKNOWN);

        dns.heal("_smtp._tls.flaky.example").addTxt("_smtp._tls.flaky.example", 300, RECORD);
        clock.advance(TlsRptProbe.ASK_AGAIN_AFTER);
        counted("flaky.example", Publication.UNKNOWN);
        assertThat(publication("flaky.example").tlsRpt()).isEqualTo(Publication.Known.YES);

        // A bogus answer may be an attacker's: it says nothing either.
        dns.bogus("_smtp._tls.flaky.example");
        clock.advance(TlsRptProbe.ASK_AGAIN_AFTER);
        counted("flaky.example", Publication.UNKNOWN);
        assertThat(publication("flaky.example").tlsRpt()).isEqualTo(Publication.Known.YES);
    }

    @Test
    void aDomainIsAskedOnceAnHourAndAgainOnANewDay() throws Exception {
        dns.addTxt("_smtp._tls.busy.example", 300, RECORD);

        for (int i = 0; i < 5; i++) {
            counted("busy.example", Publication.UNKNOWN);
        }
        assertThat(dns.queryCount("_smtp._tls.busy.example", Type.TXT)).isEqualTo(1);

        // 12:59: still within the hour.
        clock.advance(TlsRptProbe.ASK_AGAIN_AFTER.minusMinutes(1));
        counted("busy.example", Publication.UNKNOWN);
        assertThat(dns.queryCount("_smtp._tls.busy.example", Type.TXT)).isEqualTo(1);

        // 13:00: an hour on.
        clock.advance(Duration.ofMinutes(1));
        counted("busy.example", Publication.UNKNOWN);
        assertThat(dns.queryCount("_smtp._tls.busy.example", Type.TXT)).isEqualTo(2);

        // 23:50: asked again, hours on. 00:10 the next day: within the hour of that, but a new day's
        // counts start unknown, so asked again.
        clock.advance(Duration.ofHours(10).plusMinutes(50));
        counted("busy.example", Publication.UNKNOWN);
        assertThat(dns.queryCount("_smtp._tls.busy.example", Type.TXT)).isEqualTo(3);
        clock.advance(Duration.ofMinutes(20));
        counted("busy.example", Publication.UNKNOWN);
        assertThat(dns.queryCount("_smtp._tls.busy.example", Type.TXT)).isEqualTo(4);
        assertThat(publication("busy.example").tlsRpt()).isEqualTo(Publication.Known.YES);
    }

    @Test
    void anAnswerMakesNoRowForADomainWithoutCountsToday() throws Exception {
        dns.addTxt("_smtp._tls.quiet.example", 300, RECORD);
        store.delivered("busy.example", Protection.TLS, Publication.UNKNOWN);

        probe.messageCounted("quiet.example").get(5, TimeUnit.SECONDS);
        store.published("quiet.example", Publication.ofTlsRpt(true));

        assertThat(store.between(store.today(), store.today()).get(store.today()))
                .containsOnlyKeys("busy.example");
        assertThat(dns.queryCount("_smtp._tls.quiet.example", Type.TXT)).isZero();
    }

    @Test
    void aDomainCountedInTheOtherBucketIsNeverAsked() throws Exception {
        store.close();
        store = PostureStore.open(directory, 90, 1, clock);
        probe = new TlsRptProbe(new TlsRptDiscovery(new DnsResolver(dns, false, Duration.ofSeconds(2))), store, clock);
        dns.addTxt("_smtp._tls.second.example", 300, RECORD);

        counted("first.example", Publication.UNKNOWN);
        counted("second.example", Publication.UNKNOWN);

        assertThat(store.between(store.today(), store.today()).get(store.today()))
                .containsOnlyKeys("first.example", PostureStore.OTHER);
        assertThat(dns.queryCount("_smtp._tls.first.example", Type.TXT)).isEqualTo(1);
        assertThat(dns.queryCount("_smtp._tls.second.example", Type.TXT)).isZero();
    }

    private void counted(String domain, Publication found) throws Exception {
        store.delivered(domain, Protection.TLS, found);
        probe.messageCounted(domain).get(5, TimeUnit.SECONDS);
    }

    private Publication publication(String domain) {
        return store.between(store.today(), store.today())
                .get(store.today())
                .get(domain)
                .publication();
    }
}
