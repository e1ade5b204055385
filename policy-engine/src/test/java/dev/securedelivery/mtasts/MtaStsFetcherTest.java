package dev.securedelivery.mtasts;

import static dev.securedelivery.testing.TestHttpsServer.chunked;
import static dev.securedelivery.testing.TestHttpsServer.ok;
import static dev.securedelivery.testing.TestHttpsServer.status;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.securedelivery.dns.DnsResolver;
import dev.securedelivery.testing.InMemoryDns;
import dev.securedelivery.testing.IssuedCertificate;
import dev.securedelivery.testing.TestCertificateAuthority;
import dev.securedelivery.testing.TestHttpsServer;
import dev.securedelivery.tlsrpt.ResultType;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.Type;

/** RFC 8461 3.3 against a real HTTPS server on 127.0.0.1, with certificates from a test CA. */
class MtaStsFetcherTest {
    private static final String DOMAIN = "example.test";
    private static final String POLICY_HOST = "mta-sts.example.test";
    private static final String POLICY = "version: STSv1\r\nmode: enforce\r\nmx: mx1.example.test\r\n"
            + "mx: *.mx.example.test\r\nmax_age: 86400\r\n";

    private static TestCertificateAuthority ca;
    private static IssuedCertificate goodCertificate;

    private final InMemoryDns dns = new InMemoryDns();
    private final List<AutoCloseable> closeables = new ArrayList<>();

    @BeforeAll
    static void issueCertificates() {
        ca = TestCertificateAuthority.root("MTA-STS Test Root").intermediate("MTA-STS Test Intermediate");
        goodCertificate = ca.issue(POLICY_HOST);
    }

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable closeable : closeables) {
            closeable.close();
        }
    }

    @Test
    void aGoodPolicyIsFetchedFromTheWellKnownPathOfTheMtaStsHost() throws Exception {
        TestHttpsServer server = serverWith(goodCertificate);
        server.respondWith(ok("text/plain", POLICY));

        FetchedPolicy fetched = fetcherFor(server).fetch(DOMAIN);

        assertThat(fetched.policy().mode()).isEqualTo(MtaStsMode.ENFORCE);
        assertThat(fetched.policy().mxPatterns()).containsExactly("mx1.example.test", "*.mx.example.test");
        assertThat(fetched.text()).isEqualTo(POLICY);
        assertThat(server.lastPath()).isEqualTo("/.well-known/mta-sts.txt");
        assertThat(server.lastHostHeader()).startsWith(POLICY_HOST);
    }

    @Test
    void aChunkedBodyIsReadWhole() throws Exception {
        TestHttpsServer server = serverWith(goodCertificate);
        server.respondWith(chunked("text/plain", POLICY.getBytes(StandardCharsets.US_ASCII), 7));

        assertThat(fetcherFor(server).fetch(DOMAIN).text()).isEqualTo(POLICY);
    }

    @Test
    void theMediaTypeMayCarryParametersAndAnyCase() throws Exception {
        TestHttpsServer server = serverWith(goodCertificate);
        server.respondWith(ok("Text/Plain ; charset=UTF-8", POLICY));

        assertThat(fetcherFor(server).fetch(DOMAIN).policy().mode()).isEqualTo(MtaStsMode.ENFORCE);
    }

    @Test
    void aBodyOfExactlyTheLimitIsAccepted() throws Exception {
        TestHttpsServer server = serverWith(goodCertificate);
        server.respondWith(ok("text/plain", padTo(MtaStsFetcher.MAX_BODY_BYTES)));

        assertThat(fetcherFor(server).fetch(DOMAIN).text()).hasSize(MtaStsFetcher.MAX_BODY_BYTES);
    }

    @Test
    void aNotFoundIsAFetchError() {
        TestHttpsServer server = serverWith(goodCertificate);
        server.respondWith(status(404, "text/plain", "no such file"));

        assertFailure(server, ResultType.STS_POLICY_FETCH_ERROR, "HTTP 404; only 200 is accepted");
    }

    @Test
    void aServerErrorIsAFetchError() {
        TestHttpsServer server = serverWith(goodCertificate);
        server.respondWith(status(500, "text/plain", POLICY));

        assertFailure(server, ResultType.STS_POLICY_FETCH_ERROR, "HTTP 500");
    }

    @Test
    void otherSuccessCodesAreNotAccepted() {
        TestHttpsServer server = serverWith(goodCertificate);
        server.respondWith(status(203, "text/plain", POLICY));

        assertFailure(server, ResultType.STS_POLICY_FETCH_ERROR, "HTTP 203");
    }

    @Test
    void aRedirectIsNeverFollowed() {
        TestHttpsServer server = serverWith(goodCertificate);
        server.respondWith(TestHttpsServer.redirect(301, "https://" + POLICY_HOST + "/elsewhere.txt"));

        assertFailure(
                server,
                ResultType.STS_POLICY_FETCH_ERROR,
                "HTTP 301 redirecting to https://mta-sts.example.test/elsewhere.txt, which RFC 8461 3.3 forbids following");
        assertThat(server.requestCount()).isEqualTo(1);
    }

    @Test
    void aWrongMediaTypeMakesThePolicyInvalid() {
        TestHttpsServer server = serverWith(goodCertificate);
        server.respondWith(ok("text/html", POLICY));

        assertFailure(server, ResultType.STS_POLICY_INVALID, "Content-Type text/html is not text/plain");
    }

    @Test
    void aMissingMediaTypeMakesThePolicyInvalid() {
        TestHttpsServer server = serverWith(goodCertificate);
        server.respondWith(ok(null, POLICY));

        assertFailure(server, ResultType.STS_POLICY_INVALID, "no Content-Type");
    }

    @Test
    void aBodyDeclaredOverTheLimitIsRejectedBeforeReadingIt() {
        TestHttpsServer server = serverWith(goodCertificate);
        server.respondWith(ok("text/plain", padTo(MtaStsFetcher.MAX_BODY_BYTES + 1)));

        assertFailure(
                server, ResultType.STS_POLICY_INVALID, "the body is declared as 65537 bytes, over the limit of 65536");
    }

    @Test
    void aStreamedBodyOverTheLimitIsRejectedNotTruncated() {
        // The first 64 KiB are a valid policy: a truncating reader would accept it.
        TestHttpsServer server = serverWith(goodCertificate);
        byte[] body = (padTo(MtaStsFetcher.MAX_BODY_BYTES) + "x: y\n").getBytes(StandardCharsets.US_ASCII);
        server.respondWith(chunked("text/plain", body, 4096));

        assertFailure(server, ResultType.STS_POLICY_INVALID, "the body is longer than the limit of 65536 bytes");
    }

    @Test
    void aServerThatStallsHitsTheReadTimeout() {
        TestHttpsServer server = serverWith(goodCertificate);
        server.respondWith(TestHttpsServer.stallBeforeHeaders(Duration.ofSeconds(30)));

        assertFailure(server, ResultType.STS_POLICY_FETCH_ERROR, "the server stopped answering");
    }

    @Test
    void aServerThatTricklesItsBodyHitsTheFetchTimeout() {
        TestHttpsServer server = serverWith(goodCertificate);
        server.respondWith(TestHttpsServer.drip("text/plain", Duration.ofMillis(100)));

        assertFailure(server, ResultType.STS_POLICY_FETCH_ERROR, "no complete response within 2 s");
    }

    @Test
    void aCertificateForAnotherNameIsAWebPkiFailure() {
        TestHttpsServer server = serverWith(ca.issue("mta-sts.other.test"));
        server.respondWith(ok("text/plain", POLICY));

        assertFailure(server, ResultType.STS_WEBPKI_INVALID, "certificate");
        assertThat(server.requestCount()).isZero();
    }

    @Test
    void anExpiredCertificateIsAWebPkiFailure() {
        Instant now = Instant.now();
        TestHttpsServer server =
                serverWith(ca.issue(now.minus(Duration.ofDays(30)), now.minus(Duration.ofDays(1)), POLICY_HOST));
        server.respondWith(ok("text/plain", POLICY));

        assertFailure(server, ResultType.STS_WEBPKI_INVALID, "the server's certificate has expired");
        assertThat(server.requestCount()).isZero();
    }

    @Test
    void aCertificateFromAnUntrustedAuthorityIsAWebPkiFailure() {
        TestCertificateAuthority stranger = TestCertificateAuthority.root("Someone Else's Root");
        TestHttpsServer server = serverWith(stranger.issue(POLICY_HOST));
        server.respondWith(ok("text/plain", POLICY));

        assertFailure(server, ResultType.STS_WEBPKI_INVALID, "the server's certificate failed validation");
        assertThat(server.requestCount()).isZero();
    }

    @Test
    void anInvalidPolicyNamesTheLine() {
        TestHttpsServer server = serverWith(goodCertificate);
        server.respondWith(ok("text/plain", "version: STSv1\nmode: enforcing\nmx: a.example\nmax_age: 1\n"));

        assertFailure(server, ResultType.STS_POLICY_INVALID, "line 2: mode: expected enforce, testing or none");
    }

    @Test
    void aBodyThatIsNotUtf8IsInvalid() {
        TestHttpsServer server = serverWith(goodCertificate);
        byte[] latin1 = (POLICY + "note: caf\u00e9\n").getBytes(StandardCharsets.ISO_8859_1);
        server.respondWith(chunked("text/plain; charset=iso-8859-1", latin1, 1024));

        assertFailure(server, ResultType.STS_POLICY_INVALID, "the body is not UTF-8");
    }

    @Test
    void aPolicyHostThatDoesNotExistIsAFetchError() {
        TestHttpsServer server = serverWith(goodCertificate);
        dns.remove(POLICY_HOST + ".", Type.A).add("other.test.", Type.A, 300, "127.0.0.1");

        assertFailure(server, ResultType.STS_POLICY_FETCH_ERROR, "no such host (NXDOMAIN)");
    }

    @Test
    void theHostIsResolvedThroughTheEnginesResolverAndItsFailuresAreFetchErrors() {
        TestHttpsServer server = serverWith(goodCertificate);
        dns.servfail(POLICY_HOST + ".");

        assertFailure(server, ResultType.STS_POLICY_FETCH_ERROR, "DNS lookup failed: SERVFAIL");
        assertThat(dns.queryCount(POLICY_HOST + ".", Type.A)).isEqualTo(1);
    }

    @Test
    void nothingListeningIsAFetchError() throws Exception {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = socket.getLocalPort();
        }
        dns.addA(POLICY_HOST + ".", "127.0.0.1");
        MtaStsFetcher fetcher = fetcher(closedPort);

        PolicyFetchException failure = catchThrowableOfType(PolicyFetchException.class, () -> fetcher.fetch(DOMAIN));

        assertThat(failure.resultType()).isEqualTo(ResultType.STS_POLICY_FETCH_ERROR);
        assertThat(failure.getMessage()).contains("cannot connect");
    }

    @Test
    void aDroppedConnectionIsNotRetried() {
        TestHttpsServer server = serverWith(goodCertificate);
        server.respondWith(TestHttpsServer.hangUp());

        assertFailure(server, ResultType.STS_POLICY_FETCH_ERROR, "");
        assertThat(server.requestCount()).isEqualTo(1);
    }

    @Test
    void cookiesAreNeverSentBack() throws Exception {
        TestHttpsServer server = serverWith(goodCertificate);
        server.respondWith(TestHttpsServer.withCookie(ok("text/plain", POLICY)));
        MtaStsFetcher fetcher = fetcherFor(server);

        fetcher.fetch(DOMAIN);
        fetcher.fetch(DOMAIN);

        assertThat(server.requestCount()).isEqualTo(2);
        assertThat(server.lastRequestHeaders()).doesNotContainKey("Cookie");
    }

    private TestHttpsServer serverWith(IssuedCertificate certificate) {
        TestHttpsServer server = TestHttpsServer.start(InetAddress.getLoopbackAddress(), certificate.serverContext());
        closeables.add(server);
        dns.addA(POLICY_HOST + ".", "127.0.0.1");
        return server;
    }

    private MtaStsFetcher fetcherFor(TestHttpsServer server) {
        return fetcher(server.port());
    }

    private MtaStsFetcher fetcher(int port) {
        MtaStsFetcher fetcher = MtaStsFetcher.builder(new DnsResolver(dns, false, Duration.ofSeconds(2)))
                .trustManager(ca.trustManager())
                .port(port)
                .connectTimeout(Duration.ofSeconds(2))
                .readTimeout(Duration.ofSeconds(1))
                .fetchTimeout(Duration.ofSeconds(2))
                .build();
        closeables.add(fetcher);
        return fetcher;
    }

    private void assertFailure(TestHttpsServer server, ResultType type, String message) {
        assertThatThrownBy(() -> fetcherFor(server).fetch(DOMAIN))
                .isInstanceOfSatisfying(
                        PolicyFetchException.class,
                        e -> assertThat(e.resultType()).isEqualTo(type))
                .hasMessageStartingWith("https://mta-sts.example.test/.well-known/mta-sts.txt: ")
                .hasMessageContaining(message);
    }

    /** A valid policy padded with an extension line to exactly {@code size} bytes. */
    private static String padTo(int size) {
        String head = POLICY + "padding: ";
        return head + "x".repeat(size - head.length() - 1) + "\n";
    }
}
