package dev.securedelivery.dashboard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import dev.securedelivery.configuration.PolicyEngineConfiguration;
import dev.securedelivery.delivery.FailureCause;
import dev.securedelivery.inbound.InboundReports;
import dev.securedelivery.posture.PostureStore;
import dev.securedelivery.posture.Protection;
import dev.securedelivery.posture.Publication;
import dev.securedelivery.testing.TestClock;
import dev.securedelivery.testing.TlsReportMail;
import dev.securedelivery.tlsrpt.PolicyType;
import dev.securedelivery.tlsrpt.ReceivedReportParser;
import dev.securedelivery.tlsrpt.ResultType;
import dev.securedelivery.waiting.DomainWaiting;
import dev.securedelivery.waiting.InMemoryWaitingList;
import dev.securedelivery.waiting.WaitingMail;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import org.assertj.core.groups.Tuple;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PostureDashboardSourceTest {
    private static final LocalDate DAY1 = LocalDate.parse("2026-11-28");
    private static final LocalDate DAY2 = LocalDate.parse("2026-11-29");
    private static final Publication DANE_ONLY =
            new Publication(Publication.Known.NO, Publication.Known.YES, Publication.Known.UNKNOWN);

    @TempDir
    Path directory;

    private final TestClock clock = new TestClock(Instant.parse("2026-11-28T10:00:00Z"));
    private PostureStore posture;
    private InboundReports inbound;
    private final InMemoryWaitingList waiting = new InMemoryWaitingList();
    private PostureDashboardSource source;

    @BeforeEach
    void open() throws Exception {
        posture = PostureStore.open(directory.resolve("posture"), 90, 1000, clock);
        Properties properties = new Properties();
        properties.setProperty(
                "inbound-reports.directory", directory.resolve("inbound").toString());
        inbound = new InboundReports(PolicyEngineConfiguration.from(properties).inboundReports(), clock);
        source = new PostureDashboardSource("node1", Optional.of(posture), inbound, waiting, java.util.Map::of, clock);
    }

    @AfterEach
    void close() throws Exception {
        posture.close();
    }

    @Test
    void daysDomainsAndFailuresAreThePostureHistorysCounts() {
        posture.delivered("dane.example", Protection.DANE, DANE_ONLY);
        posture.delivered("dane.example", Protection.DANE, DANE_ONLY);
        posture.delivered("plain.example", Protection.PLAINTEXT, Publication.UNKNOWN);
        posture.deferred("dane.example", FailureCause.TLSA_INVALID, DANE_ONLY);
        clock.advance(Duration.ofDays(1));
        posture.delivered("dane.example", Protection.DANE, DANE_ONLY);
        posture.delivered("sts.example", Protection.MTA_STS, Publication.UNKNOWN);
        posture.bounced("plain.example", FailureCause.CONNECTION_OR_SMTP, Publication.UNKNOWN);

        DashboardData data = source.load(DAY1, DAY2);

        assertThat(data.day(DAY1).delivered().get(Protection.DANE)).isEqualTo(2);
        assertThat(data.day(DAY1).delivered().get(Protection.PLAINTEXT)).isEqualTo(1);
        assertThat(data.day(DAY1).deferred()).isEqualTo(1);
        assertThat(data.day(DAY2).delivered().get(Protection.DANE)).isEqualTo(1);
        assertThat(data.day(DAY2).delivered().get(Protection.MTA_STS)).isEqualTo(1);
        assertThat(data.day(DAY2).bounced()).isEqualTo(1);
        assertThat(data.domains())
                .extracting(DashboardData.Domain::name)
                .containsExactly("dane.example", "plain.example", "sts.example");
        DashboardData.Domain dane = data.domains().get(0);
        assertThat(dane.delivered().get(Protection.DANE)).isEqualTo(3);
        assertThat(dane.deferred()).isEqualTo(1);
        assertThat(dane.publishes(PublishedStandard.DANE)).hasValue(true);
        assertThat(dane.publishes(PublishedStandard.MTA_STS)).hasValue(false);
        assertThat(dane.publishes(PublishedStandard.TLS_RPT)).isEmpty();
        // Only causes that are RFC 8460 result types are policy failures; connection-or-smtp is not.
        assertThat(data.failures()).singleElement().satisfies(failure -> {
            assertThat(failure.domain()).isEqualTo("dane.example");
            assertThat(failure.cause()).isEqualTo(ResultType.TLSA_INVALID);
            assertThat(failure.deferred()).isEqualTo(1);
            assertThat(failure.bounced()).isZero();
            assertThat(failure.day()).isEqualTo(DAY1);
        });
    }

    @Test
    void failureRowsAreOnePerDayDomainAndCauseNewestDayFirstThenMostMessages() {
        posture.deferred("a.example", FailureCause.CERTIFICATE_EXPIRED, Publication.UNKNOWN);
        clock.advance(Duration.ofDays(1));
        posture.deferred("a.example", FailureCause.STARTTLS_NOT_SUPPORTED, Publication.UNKNOWN);
        posture.deferred("b.example", FailureCause.STARTTLS_NOT_SUPPORTED, Publication.UNKNOWN);
        posture.bounced("b.example", FailureCause.STARTTLS_NOT_SUPPORTED, Publication.UNKNOWN);
        posture.deferred("b.example", FailureCause.STARTTLS_NOT_SUPPORTED, Publication.UNKNOWN);

        List<DashboardData.Failure> failures = source.load(DAY1, DAY2).failures();

        assertThat(failures)
                .extracting(
                        DashboardData.Failure::day,
                        DashboardData.Failure::domain,
                        DashboardData.Failure::cause,
                        DashboardData.Failure::deferred,
                        DashboardData.Failure::bounced)
                .containsExactly(
                        tuple(DAY2, "b.example", ResultType.STARTTLS_NOT_SUPPORTED, 2L, 1L),
                        tuple(DAY2, "a.example", ResultType.STARTTLS_NOT_SUPPORTED, 1L, 0L),
                        tuple(DAY1, "a.example", ResultType.CERTIFICATE_EXPIRED, 1L, 0L));
    }

    @Test
    void inboundReportsAreSummedPerOrganisationAndPolicyWithTheirMxFailures() throws Exception {
        inbound.store(ReceivedReportParser.parseJson(
                TlsReportMail.report("Reporter", "r1", "ours.example", 10, 1).getBytes(StandardCharsets.UTF_8)));
        inbound.store(ReceivedReportParser.parseJson(
                TlsReportMail.report("Reporter", "r2", "ours.example", 5, 2).getBytes(StandardCharsets.UTF_8)));

        DashboardData data = source.load(DAY1, DAY2);

        assertThat(data.inboundReports()).singleElement().satisfies(row -> {
            assertThat(row.organisation()).isEqualTo("Reporter");
            assertThat(row.policyDomain()).isEqualTo("ours.example");
            assertThat(row.policyType()).isEqualTo(PolicyType.STS);
            assertThat(row.reports()).isEqualTo(2);
            assertThat(row.successes()).isEqualTo(15);
            assertThat(row.failures()).isEqualTo(9);
            assertThat(row.mxFailures())
                    .extracting(
                            DashboardData.MxFailures::receivingMx,
                            DashboardData.MxFailures::resultType,
                            DashboardData.MxFailures::sessions)
                    .containsExactly(
                            Tuple.tuple("mx1.ours.example", "certificate-expired", 3L),
                            Tuple.tuple("mx2.ours.example", "starttls-not-supported", 6L));
        });
    }

    @Test
    void withoutAPostureHistoryThePageSaysSo() {
        DashboardData data = new PostureDashboardSource(
                        "node1", Optional.empty(), inbound, waiting, java.util.Map::of, clock)
                .load(DAY1, DAY2);

        assertThat(data.days())
                .allSatisfy(day -> assertThat(day.delivered().total()).isZero());
        assertThat(data.sourceNote())
                .hasValueSatisfying(note -> assertThat(note).contains("no posture history"));
    }

    @Test
    void whatWaitsNowIsShownPerDestinationSoonestDueFirst() throws Exception {
        waiting.add(new WaitingMail(
                "m1",
                "outgoing",
                "late.example",
                clock.instant().plusSeconds(600),
                2,
                "4.7.5 tlsa-invalid",
                WaitingMail.Place.WAITING_ROOM));
        waiting.add(new WaitingMail(
                "m2",
                "outgoing",
                "soon.example",
                clock.instant().plusSeconds(60),
                1,
                "4.2.1 busy",
                WaitingMail.Place.QUEUE));

        DashboardData data = source.load(DAY1, DAY2);

        assertThat(data.waiting())
                .extracting(DomainWaiting::domain, DomainWaiting::messages, DomainWaiting::mostRetries)
                .containsExactly(Tuple.tuple("soon.example", 1L, 1), Tuple.tuple("late.example", 1L, 2));
        String page = DashboardPage.render(data);
        assertThat(page)
                .contains("<tr data-waiting-domain=\"late.example\"><th scope=\"row\" class=\"name\">late.example</th>")
                .contains("<code>4.7.5 tlsa-invalid</code>");
        assertThat(DashboardPage.render(new PostureDashboardSource(
                                "node1",
                                Optional.of(posture),
                                inbound,
                                new InMemoryWaitingList(),
                                java.util.Map::of,
                                clock)
                        .load(DAY1, DAY2)))
                .contains("No message waits to be tried again.");
    }
}
