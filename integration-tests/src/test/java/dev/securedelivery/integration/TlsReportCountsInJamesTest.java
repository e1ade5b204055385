package dev.securedelivery.integration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.securedelivery.dane.TlsaRecord;
import dev.securedelivery.testing.IssuedCertificate;
import dev.securedelivery.testing.SignedZone;
import dev.securedelivery.testing.StartTlsStrippingProxy;
import dev.securedelivery.testing.TestHttpsServer;
import dev.securedelivery.testing.TestSmtpServer;
import dev.securedelivery.testing.TlsReportSchema;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.zip.GZIPInputStream;
import javax.mail.Multipart;
import javax.mail.Session;
import javax.mail.internet.MimeMessage;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

/**
 * What a receiver's dashboard reads, end to end: a real James 3.8.1 delivers, in one report period,
 * a known number of messages to MTA-STS and DANE domains whose MX hosts succeed or fail in every way
 * RFC 8460 4.3 names and a sender can see (STARTTLS stripped, a certificate for another name, a TLSA
 * mismatch, a policy that cannot be fetched, an invalid policy, a policy host without a trusted
 * certificate); the reports that then arrive by mail and over HTTPS carry exactly those counts, each
 * under its policy domain (the recipient domain for MTA-STS, the TLSA base domain for DANE), policy
 * type and policy string, and each is valid against the JSON Schema of RFC 8460 4.4.
 */
class TlsReportCountsInJamesTest {
    /** Short enough to wait for, long enough for every delivery of the test to fall in one. */
    private static final Duration PERIOD = Duration.ofMinutes(1);

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String STS_POLICY =
            "version: STSv1\r\nmode: enforce\r\nmx: *.sts.test\r\n" + "note: quoted as served\r\nmax_age: 86400\r\n";
    private static final String VALID_POLICY = "version: STSv1\nmode: enforce\nmx: *.stranger.test\nmax_age: 86400\n";

    @TempDir
    Path directory;

    private final Destinations world = new Destinations();
    private final List<byte[]> posted = Collections.synchronizedList(new ArrayList<>());
    private TestHttpsServer endpoint;
    private JamesUnderTest james;
    private final Map<String, String> tlsa = new LinkedHashMap<>();

    @AfterEach
    void stopEverything() throws Exception {
        if (james != null) {
            james.close();
        }
        if (endpoint != null) {
            endpoint.close();
        }
        world.close();
    }

    /**
     * reports.test takes every report, by mail at its MX and by HTTPS; every policy domain below names
     * both in its {@code _smtp._tls} record.
     * <ul>
     *   <li>sts.test, enforce: stripped.sts.test (10) behind an attacker that hides STARTTLS,
     *       wrongname.sts.test (20) with a certificate for another name, mx.sts.test (30) right;</li>
     *   <li>unfetched.test (its policy host answers 404), garbled.test (an invalid policy) and
     *       stranger.test (a policy host whose certificate James does not trust): one good MX each;</li>
     *   <li>dane.test, signed: stripped.dane.test (10) behind the attacker, wrongkey.dane.test (20)
     *       whose TLSA record is another key's, mx.dane.test (30) right; each MX host is a policy
     *       domain of its own and publishes its own {@code _smtp._tls} record.</li>
     * </ul>
     */
    private void declareTheWorld() {
        SignedZone reports = world.zone("reports.test", false);
        world.mx(reports, "mx.reports.test", 10, world.ca().issue("mx.reports.test"));
        endpoint = world.reportEndpoint(reports, posted);
        String rua = "v=TLSRPTv1; rua=mailto:tlsrpt@reports.test,https://tlsrpt.reports.test:" + endpoint.port()
                + "/v1/tlsrpt";

        SignedZone sts = world.zone("sts.test", false);
        TestSmtpServer behindAttacker = world.server(
                        "real.stripped.sts.test", world.ca().issue("stripped.sts.test"))
                .hostName("real.stripped.sts.test");
        world.proxyFor("stripped.sts.test", 10, sts, behindAttacker, StartTlsStrippingProxy.Variant.HIDE);
        world.mx(sts, "wrongname.sts.test", 20, world.ca().issue("elsewhere.test"))
                .hostName("wrongname.sts.test");
        world.mx(sts, "mx.sts.test", 30, world.ca().issue("mx.sts.test")).hostName("mx.sts.test");
        world.publishPolicy("sts.test", "1", STS_POLICY);
        sts.addTxt("_smtp._tls.sts.test.", rua);

        for (String domain : List.of("unfetched", "garbled", "stranger")) {
            SignedZone zone = world.zone(domain + ".test", false);
            world.mx(zone, "mx." + domain + ".test", 10, world.ca().issue("mx." + domain + ".test"))
                    .hostName("mx." + domain + ".test");
            zone.addTxt("_smtp._tls." + domain + ".test.", rua);
        }
        world.publishRecord("unfetched.test", "1", TestHttpsServer.notFound());
        world.publishPolicy("garbled.test", "1", "version: STSv1\nmode: strict\nmx: *.garbled.test\nmax_age: 1\n");

        SignedZone dane = world.zone("dane.test", true);
        IssuedCertificate strippedCertificate = world.ca().issue("stripped.dane.test");
        TestSmtpServer behindDaneAttacker =
                world.server("real.stripped.dane.test", strippedCertificate).hostName("real.stripped.dane.test");
        world.proxyFor("stripped.dane.test", 10, dane, behindDaneAttacker, StartTlsStrippingProxy.Variant.HIDE);
        pin(dane, "stripped.dane.test", strippedCertificate);
        world.mx(dane, "wrongkey.dane.test", 20, world.ca().issue("wrongkey.dane.test"))
                .hostName("wrongkey.dane.test");
        pin(dane, "wrongkey.dane.test", world.ca().issue("wrongkey.dane.test"));
        IssuedCertificate right = world.ca().issue("mx.dane.test");
        world.mx(dane, "mx.dane.test", 30, right).hostName("mx.dane.test");
        pin(dane, "mx.dane.test", right);
        for (String host : tlsa.keySet()) {
            dane.addTxt("_smtp._tls." + host + ".", rua);
        }
        world.start();
        world.untrustedPolicyHost("stranger.test", VALID_POLICY);
    }

    // A DANE-EE 3 1 1 record of certificate's key for host (another key than the host's, for wrongkey).
    private void pin(SignedZone zone, String host, IssuedCertificate certificate) {
        TlsaRecord record = TlsaRecord.forCertificate(
                TlsaRecord.DANE_EE, TlsaRecord.SELECTOR_SPKI, TlsaRecord.MATCH_SHA256, certificate.leaf());
        world.tlsa(zone, host, record);
        tlsa.put(host, record.toPresentation());
    }

    private Properties configuration() throws IOException {
        return world.reportingConfiguration(directory.resolve("world"), "1m");
    }

    private Map<String, String> mailet() {
        Map<String, String> mailet = new LinkedHashMap<>();
        mailet.put("outgoing", "outgoing");
        mailet.put("delayTime", "2 seconds");
        mailet.put("maxRetries", "3");
        mailet.put("bounceProcessor", "bounces");
        mailet.put("smtpPort", String.valueOf(world.smtpPort()));
        // A connection per message: the counts below are per connection (RFC 8460 4.4), and two messages
        // in a row to one domain would otherwise share one (SessionReuseDeliveryTest counts that case).
        mailet.put("sessionReuse", "false");
        return mailet;
    }

    @Test
    void theReportsOfOnePeriodCountEverySessionUnderItsPolicy() throws Exception {
        declareTheWorld();
        james = JamesUnderTest.start(directory.resolve("james"), mailet(), configuration());

        // Every delivery in one period: begin at a period's start, unless this one has just begun.
        Instant now = Instant.now();
        Instant periodStart = Instant.ofEpochMilli(now.toEpochMilli() / PERIOD.toMillis() * PERIOD.toMillis());
        if (Duration.between(periodStart, now).compareTo(Duration.ofSeconds(10)) > 0) {
            Thread.sleep(Duration.between(now, periodStart.plus(PERIOD)).toMillis() + 200);
            periodStart = periodStart.plus(PERIOD);
        }
        Map<String, Integer> messages = new TreeMap<>(
                Map.of("sts.test", 2, "dane.test", 2, "unfetched.test", 1, "garbled.test", 1, "stranger.test", 1));
        int number = 0;
        for (Map.Entry<String, Integer> domain : messages.entrySet()) {
            for (int i = 0; i < domain.getValue(); i++) {
                james.send(Destinations.SENDER, List.of("user@" + domain.getKey()), "message " + ++number, "Counted.");
            }
        }
        Map<String, Integer> expected = Map.of(
                "mx.sts.test",
                2,
                "mx.dane.test",
                2,
                "mx.unfetched.test",
                1,
                "mx.garbled.test",
                1,
                "mx.stranger.test",
                1);
        await().atMost(Duration.ofSeconds(45))
                .until(() -> expected.entrySet().stream()
                        .allMatch(host -> world.server(host.getKey()).received().size() >= host.getValue()));
        assertThat(Instant.now())
                .as("every delivery within the period that began at " + periodStart)
                .isBefore(periodStart.plus(PERIOD));
        expected.forEach((host, count) ->
                assertThat(world.server(host).received()).as(host).hasSize(count));

        // The period closes a quarter of it after its end; then each policy domain's report goes out.
        TestSmtpServer reportsMx = world.server("mx.reports.test");
        await().atMost(Duration.ofSeconds(120)).until(() -> reportsMx.received().size() >= 7 && posted.size() >= 7);
        Map<String, String> mailed = new TreeMap<>();
        for (TestSmtpServer.Received mail : reportsMx.received()) {
            MimeMessage message = new MimeMessage(
                    Session.getInstance(new Properties()),
                    new ByteArrayInputStream(mail.data.getBytes(StandardCharsets.ISO_8859_1)));
            String json = gunzip(((Multipart) message.getContent())
                    .getBodyPart(1)
                    .getInputStream()
                    .readAllBytes());
            String domain = JSON.readTree(json)
                    .get("policies")
                    .get(0)
                    .get("policy")
                    .get("policy-domain")
                    .asString();
            assertThat(message.getHeader("TLS-Report-Domain", ",")).isEqualTo(domain);
            assertThat(mailed.put(domain, json)).as("one report for " + domain).isNull();
        }
        Map<String, String> uploaded = new TreeMap<>();
        for (byte[] body : new ArrayList<>(posted)) {
            String json = gunzip(body);
            uploaded.put(
                    JSON.readTree(json)
                            .get("policies")
                            .get(0)
                            .get("policy")
                            .get("policy-domain")
                            .asString(),
                    json);
        }
        assertThat(uploaded).as("the same reports over HTTPS").isEqualTo(mailed);
        assertThat(mailed.keySet())
                .containsExactlyInAnyOrder(
                        "sts.test",
                        "unfetched.test",
                        "garbled.test",
                        "stranger.test",
                        "stripped.dane.test",
                        "wrongkey.dane.test",
                        "mx.dane.test");

        for (String json : mailed.values()) {
            JsonNode report = JSON.readTree(json);
            assertThat(report.get("date-range").get("start-datetime").asString())
                    .isEqualTo(periodStart.toString());
            assertThat(report.get("report-id").asString()).contains(".james1.");
            assertThat(report.get("policies")).as("one policy per report").hasSize(1);
        }

        // MTA-STS enforce: each message met the attacker, then the wrong name, then the right MX.
        JsonNode sts = onlyPolicy(mailed.get("sts.test"));
        assertThat(policy(sts, "policy-type")).isEqualTo("sts");
        assertThat(strings(sts.get("policy").get("policy-string")))
                .containsExactly(
                        "version: STSv1",
                        "mode: enforce",
                        "mx: *.sts.test",
                        "note: quoted as served",
                        "max_age: 86400");
        assertThat(strings(sts.get("policy").get("mx-host"))).containsExactly("*.sts.test");
        assertThat(summary(sts)).containsExactly(2L, 4L);
        assertThat(failures(sts))
                .containsExactly(
                        "certificate-host-mismatch wrongname.sts.test helo=wrongname.sts.test x2",
                        "starttls-not-supported stripped.sts.test helo=real.stripped.sts.test x2");

        // MTA-STS policies that could not be had: every session fails, and no policy is quoted.
        for (String[] unavailable : List.of(
                new String[] {"unfetched.test", "sts-policy-fetch-error"},
                new String[] {"garbled.test", "sts-policy-invalid"},
                new String[] {"stranger.test", "sts-webpki-invalid"})) {
            JsonNode entry = onlyPolicy(mailed.get(unavailable[0]));
            assertThat(policy(entry, "policy-type")).isEqualTo("sts");
            assertThat(entry.get("policy").has("policy-string"))
                    .as(unavailable[0])
                    .isFalse();
            assertThat(summary(entry)).as(unavailable[0]).containsExactly(0L, 1L);
            assertThat(failures(entry))
                    .as(unavailable[0])
                    .containsExactly(unavailable[1] + " mx." + unavailable[0] + " helo=mx." + unavailable[0] + " x1");
        }

        // DANE: each MX host's own report, under its TLSA records.
        JsonNode stripped = onlyPolicy(mailed.get("stripped.dane.test"));
        assertThat(policy(stripped, "policy-type")).isEqualTo("tlsa");
        assertThat(strings(stripped.get("policy").get("policy-string")))
                .containsExactly(tlsa.get("stripped.dane.test"));
        assertThat(strings(stripped.get("policy").get("mx-host"))).containsExactly("stripped.dane.test");
        assertThat(summary(stripped)).containsExactly(0L, 2L);
        assertThat(failures(stripped))
                .containsExactly("starttls-not-supported stripped.dane.test helo=real.stripped.dane.test x2");
        JsonNode wrongKey = onlyPolicy(mailed.get("wrongkey.dane.test"));
        assertThat(strings(wrongKey.get("policy").get("policy-string")))
                .containsExactly(tlsa.get("wrongkey.dane.test"));
        assertThat(summary(wrongKey)).containsExactly(0L, 2L);
        assertThat(failures(wrongKey)).containsExactly("tlsa-invalid wrongkey.dane.test helo=wrongkey.dane.test x2");
        JsonNode good = onlyPolicy(mailed.get("mx.dane.test"));
        assertThat(strings(good.get("policy").get("policy-string"))).containsExactly(tlsa.get("mx.dane.test"));
        assertThat(summary(good)).containsExactly(2L, 0L);
        assertThat(good.has("failure-details")).isFalse();
    }

    private static JsonNode onlyPolicy(String json) {
        return JSON.readTree(json).get("policies").get(0);
    }

    private static String policy(JsonNode entry, String field) {
        return entry.get("policy").get(field).asString();
    }

    private static List<String> strings(JsonNode array) {
        List<String> strings = new ArrayList<>();
        array.forEach(item -> strings.add(item.asString()));
        return strings;
    }

    private static List<Long> summary(JsonNode entry) {
        JsonNode summary = entry.get("summary");
        return List.of(
                summary.get("total-successful-session-count").asLong(),
                summary.get("total-failure-session-count").asLong());
    }

    // Each failure detail in one line, sorted; the session's own ends checked on the way.
    private static List<String> failures(JsonNode entry) {
        List<String> lines = new ArrayList<>();
        for (JsonNode detail : entry.get("failure-details")) {
            assertThat(detail.get("sending-mta-ip").asString()).isEqualTo("127.0.0.1");
            assertThat(detail.get("receiving-ip").asString()).startsWith("127.0.0.");
            lines.add(detail.get("result-type").asString() + " "
                    + detail.get("receiving-mx-hostname").asString()
                    + " helo=" + detail.get("receiving-mx-helo").asString() + " x"
                    + detail.get("failed-session-count").asLong());
        }
        Collections.sort(lines);
        return lines;
    }

    // Every report is held to the JSON Schema of RFC 8460 4.4.
    private static String gunzip(byte[] gzip) throws IOException {
        try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(gzip))) {
            return TlsReportSchema.check(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        }
    }
}
