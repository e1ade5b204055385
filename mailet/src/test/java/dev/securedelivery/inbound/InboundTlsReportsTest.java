package dev.securedelivery.inbound;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.securedelivery.configuration.PolicyEngineConfiguration;
import dev.securedelivery.testing.TestClock;
import dev.securedelivery.testing.TlsReportMail;
import dev.securedelivery.tlsrpt.InboundReport;
import dev.securedelivery.tlsrpt.InboundReportStore;
import dev.securedelivery.tlsrpt.MalformedReportException;
import dev.securedelivery.tlsrpt.ReceivedPolicy;
import dev.securedelivery.tlsrpt.ReceivedReportParser;
import dev.securedelivery.tlsrpt.ResultType;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import javax.activation.DataHandler;
import javax.mail.MessagingException;
import javax.mail.Session;
import javax.mail.internet.MimeBodyPart;
import javax.mail.internet.MimeMessage;
import javax.mail.internet.MimeMultipart;
import javax.mail.util.ByteArrayDataSource;
import org.apache.mailet.Mail;
import org.apache.mailet.base.test.FakeMail;
import org.apache.mailet.base.test.FakeMailetConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InboundTlsReportsTest {
    private static final String FROM = "tlsrpt@reporter.example";
    private static final String TO = "tlsrpt@ours.example";

    @TempDir
    Path directory;

    private final TestClock clock = new TestClock(Instant.parse("2026-11-30T06:00:00Z"));

    private InboundReports store() throws Exception {
        Properties properties = new Properties();
        properties.setProperty("inbound-reports.directory", directory.toString());
        return new InboundReports(PolicyEngineConfiguration.from(properties).inboundReports(), clock);
    }

    private static InboundTlsReports mailet(InboundReports store, String... parameters) throws MessagingException {
        InboundTlsReports mailet = new InboundTlsReports(store);
        FakeMailetConfig.Builder config = FakeMailetConfig.builder().mailetName("InboundTlsReports");
        for (int i = 0; i < parameters.length; i += 2) {
            config.setProperty(parameters[i], parameters[i + 1]);
        }
        mailet.init(config.build());
        return mailet;
    }

    private static FakeMail mail(MimeMessage message) throws MessagingException {
        return FakeMail.builder()
                .name("report-mail")
                .sender(FROM)
                .recipient(TO)
                .mimeMessage(message)
                .state(Mail.DEFAULT)
                .build();
    }

    private static FakeMail reportMail(String contentType, byte[] body) throws MessagingException {
        return mail(TlsReportMail.message(FROM, TO, "ours.example", contentType, body));
    }

    private static byte[] json(String reportId, long successes, long failures) {
        return TlsReportMail.report("Reporter Inc.", reportId, "ours.example", successes, failures)
                .getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void aGzipReportIsKeptWithItsExactCountsAndKeptOutOfTheMailbox() throws Exception {
        InboundReports store = store();
        FakeMail mail = reportMail(TlsReportMail.GZIP, TlsReportMail.gzip(json("r-1", 9_007_199_254_740_993L, 4)));

        mailet(store).service(mail);

        assertThat(mail.getState()).isEqualTo(Mail.GHOST);
        List<InboundReport> reports = store.list(Instant.MIN, Instant.MAX);
        assertThat(reports).hasSize(1);
        InboundReport kept = reports.get(0);
        assertThat(kept.receivedAt()).isEqualTo(clock.instant());
        assertThat(kept.report().organizationName()).isEqualTo("Reporter Inc.");
        assertThat(kept.report().reportId()).isEqualTo("r-1");
        // Beyond a double's 2^53: counts stay exact.
        assertThat(kept.report().successfulSessions()).isEqualTo(9_007_199_254_740_993L);
        assertThat(kept.report().failedSessions()).isEqualTo(12);
        ReceivedPolicy policy = kept.report().policies().get(0);
        assertThat(policy.policy().policyDomain()).isEqualTo("ours.example");
        assertThat(policy.failures().get(0).resultType()).contains(ResultType.CERTIFICATE_EXPIRED);
        assertThat(kept.failuresByReceivingMx()).isEqualTo(Map.of("mx1.ours.example", 4L, "mx2.ours.example", 8L));
    }

    @Test
    void aPlainJsonReportIsKeptToo() throws Exception {
        InboundReports store = store();
        FakeMail mail = reportMail(TlsReportMail.JSON, json("r-2", 10, 0));

        mailet(store).service(mail);

        assertThat(mail.getState()).isEqualTo(Mail.GHOST);
        assertThat(store.list(Instant.MIN, Instant.MAX))
                .singleElement()
                .satisfies(
                        kept -> assertThat(kept.report().successfulSessions()).isEqualTo(10));
    }

    @Test
    void aReportSentAgainIsNotCountedTwice() throws Exception {
        InboundReports store = store();
        InboundTlsReports mailet = mailet(store);
        mailet.service(reportMail(TlsReportMail.GZIP, TlsReportMail.gzip(json("r-3", 10, 1))));
        clock.advance(Duration.ofHours(1));
        FakeMail again = reportMail(TlsReportMail.JSON, json("r-3", 10, 1));

        mailet.service(again);

        assertThat(again.getState()).isEqualTo(Mail.GHOST);
        assertThat(store.list(Instant.MIN, Instant.MAX)).hasSize(1);
        assertThat(store.store(ReceivedReportParser.parseJson(json("r-3", 99, 0))))
                .isEqualTo(InboundReportStore.Outcome.DUPLICATE);
    }

    @Test
    void withKeepTheMessageGoesOnToTheMailbox() throws Exception {
        InboundReports store = store();
        FakeMail mail = reportMail(TlsReportMail.JSON, json("r-4", 1, 0));

        mailet(store, "keep", "true").service(mail);

        assertThat(mail.getState()).isEqualTo(Mail.DEFAULT);
        assertThat(store.size()).isEqualTo(1);
    }

    @Test
    void aMalformedReportGoesToTheChosenProcessorAndIsNotKept() throws Exception {
        InboundReports store = store();
        FakeMail broken =
                reportMail(TlsReportMail.JSON, "{\"organization-name\": \"Reporter".getBytes(StandardCharsets.UTF_8));

        mailet(store, "malformedProcessor", "bad-reports").service(broken);

        assertThat(broken.getState()).isEqualTo("bad-reports");
        assertThat(store.size()).isZero();
    }

    @Test
    void withoutAProcessorAMalformedReportGoesOnAsAnyMail() throws Exception {
        InboundReports store = store();
        byte[] gzip = TlsReportMail.gzip(json("r-5", 1, 0));
        FakeMail truncated = reportMail(TlsReportMail.GZIP, Arrays.copyOf(gzip, gzip.length / 2));

        mailet(store).service(truncated);

        assertThat(truncated.getState()).isEqualTo(Mail.DEFAULT);
        assertThat(store.size()).isZero();
    }

    @Test
    void whatIsNotAReportIsRefusedWithTheReason() throws Exception {
        assertMalformed(
                mail(TlsReportMail.message(
                        FROM, TO, "ours.example", "application/gzip", TlsReportMail.gzip(json("r-6", 1, 0)))),
                "no application/tlsrpt+gzip or application/tlsrpt+json part");
        assertMalformed(reportMail(TlsReportMail.GZIP, json("r-7", 1, 0)), "not gzip data");
        assertMalformed(
                reportMail(TlsReportMail.GZIP, TlsReportMail.gzip(new byte[ReceivedReportParser.MAX_JSON_BYTES + 1])),
                "decompresses to more than 16777216 bytes");
        byte[] large = new byte[ReceivedReportParser.MAX_COMPRESSED_BYTES + 1];
        new Random(1).nextBytes(large);
        assertMalformed(reportMail(TlsReportMail.GZIP, large), "the application/tlsrpt+gzip part is larger than");
        String badDate = TlsReportMail.report("Reporter Inc.", "r-8", "ours.example", 1, 0)
                .replace("2026-11-29T00:00:00Z", "29/11/2026");
        assertMalformed(
                reportMail(TlsReportMail.JSON, badDate.getBytes(StandardCharsets.UTF_8)), "not an RFC 3339 date-time");
    }

    @Test
    void aReportAloneAtTheTopOfTheMessageIsRead() throws Exception {
        MimeMessage message = new MimeMessage(Session.getInstance(new Properties()));
        message.setDataHandler(new DataHandler(new ByteArrayDataSource(json("r-9", 3, 0), TlsReportMail.JSON)));
        message.setHeader("Content-Type", TlsReportMail.JSON);
        message.saveChanges();

        assertThat(InboundTlsReports.read(mail(message)).reportId()).isEqualTo("r-9");
    }

    @Test
    void twoReportPartsInOneMessageAreRefused() throws Exception {
        MimeMultipart multipart = new MimeMultipart("report; report-type=\"tlsrpt\"");
        for (String id : List.of("a", "b")) {
            MimeBodyPart part = new MimeBodyPart();
            part.setDataHandler(new DataHandler(new ByteArrayDataSource(json(id, 1, 0), TlsReportMail.JSON)));
            part.setHeader("Content-Type", TlsReportMail.JSON);
            multipart.addBodyPart(part);
        }
        MimeMessage message = new MimeMessage(Session.getInstance(new Properties()));
        message.setContent(multipart);
        message.saveChanges();

        assertMalformed(mail(message), "2 report parts");
    }

    @Test
    void anUnknownKeepValueStopsTheMailetAtStart() {
        assertThatThrownBy(() -> mailet(null, "keep", "sometimes"))
                .isInstanceOf(MessagingException.class)
                .hasMessage("InboundTlsReports: keep must be true or false, got \"sometimes\"");
    }

    @Test
    void aStoreThatCannotBeWrittenLeavesTheMessageToGoOn() throws Exception {
        Files.delete(directory);
        Files.writeString(directory, "a file where the directory should be");
        FakeMail mail = reportMail(TlsReportMail.JSON, json("r-10", 1, 0));

        mailet(store()).service(mail);

        assertThat(mail.getState()).isEqualTo(Mail.DEFAULT);
    }

    private void assertMalformed(FakeMail mail, String problem) throws Exception {
        assertThatThrownBy(() -> InboundTlsReports.read(mail))
                .isInstanceOf(MalformedReportException.class)
                .hasMessageContaining(problem);
        InboundReports store = store();
        mailet(store, "malformedProcessor", "bad-reports").service(mail);
        assertThat(mail.getState()).isEqualTo("bad-reports");
        assertThat(store.size()).isZero();
    }
}
