package dev.securedelivery.mtasts;

import dev.securedelivery.dns.DnsResolver;
import dev.securedelivery.tlsrpt.ResultType;
import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertificateException;
import java.security.cert.CertificateExpiredException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;
import org.apache.hc.client5.http.ConnectTimeoutException;
import org.apache.hc.client5.http.classic.methods.HttpGet;
import org.apache.hc.client5.http.config.ConnectionConfig;
import org.apache.hc.client5.http.config.RequestConfig;
import org.apache.hc.client5.http.impl.classic.CloseableHttpClient;
import org.apache.hc.client5.http.impl.classic.HttpClients;
import org.apache.hc.client5.http.impl.io.PoolingHttpClientConnectionManager;
import org.apache.hc.client5.http.impl.io.PoolingHttpClientConnectionManagerBuilder;
import org.apache.hc.client5.http.ssl.ClientTlsStrategyBuilder;
import org.apache.hc.client5.http.ssl.HostnameVerificationPolicy;
import org.apache.hc.core5.http.ClassicHttpResponse;
import org.apache.hc.core5.http.Header;
import org.apache.hc.core5.http.HttpEntity;
import org.apache.hc.core5.http.HttpHeaders;
import org.apache.hc.core5.http.ssl.TLS;
import org.apache.hc.core5.util.Timeout;

/**
 * Fetches a domain's policy from {@code https://mta-sts.<domain>/.well-known/mta-sts.txt} as RFC
 * 8461 3.3 asks: PKIX-validated TLS with the host name checked, no redirects followed, only a 200
 * response with media type {@code text/plain} accepted, at most {@value #MAX_BODY_BYTES} bytes
 * (a longer body is rejected, never cut and parsed), within a time limit.
 *
 * <p>The host is resolved through the engine's {@link DnsResolver}. No cookies are kept, no
 * request is retried and no content coding is asked for, so what is parsed is what was served.
 */
public final class MtaStsFetcher implements Closeable {
    /** RFC 8461 3.3 suggests a 64 KiB limit on the policy body. */
    public static final int MAX_BODY_BYTES = 64 * 1024;

    public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(10);
    public static final Duration DEFAULT_READ_TIMEOUT = Duration.ofSeconds(20);
    /** RFC 8461 3.3 suggests one minute for the whole fetch. */
    public static final Duration DEFAULT_FETCH_TIMEOUT = Duration.ofSeconds(60);

    private static final String POLICY_PATH = "/.well-known/mta-sts.txt";
    private static final String USER_AGENT = "secure-delivery (MTA-STS policy fetch)";

    private final CloseableHttpClient client;
    private final ScheduledExecutorService deadlines;
    private final Duration fetchTimeout;
    private final int port;

    private MtaStsFetcher(Builder builder) {
        this.fetchTimeout = builder.fetchTimeout;
        this.port = builder.port;
        SSLContext tls = sslContext(builder.trustManager);
        PoolingHttpClientConnectionManager connections = PoolingHttpClientConnectionManagerBuilder.create()
                .setTlsSocketStrategy(ClientTlsStrategyBuilder.create()
                        .setSslContext(tls)
                        .setTlsVersions(TLS.V_1_3, TLS.V_1_2)
                        // The JSSE's own endpoint identification and HttpClient's verifier, both.
                        .setHostVerificationPolicy(HostnameVerificationPolicy.BOTH)
                        .buildClassic())
                .setDnsResolver(new PolicyHostResolver(builder.dns))
                .setSchemePortResolver(host -> port)
                .setDefaultConnectionConfig(ConnectionConfig.custom()
                        .setConnectTimeout(Timeout.of(builder.connectTimeout))
                        .setSocketTimeout(Timeout.of(builder.readTimeout))
                        .build())
                .setMaxConnTotal(builder.maxConcurrentFetches)
                .setMaxConnPerRoute(builder.maxConcurrentFetches)
                .build();
        this.client = HttpClients.custom()
                .setConnectionManager(connections)
                .setSchemePortResolver(host -> port)
                // Policy hosts differ per domain: nothing is gained by keeping connections open.
                .setConnectionReuseStrategy((request, response, context) -> false)
                .setDefaultRequestConfig(RequestConfig.custom()
                        .setConnectionRequestTimeout(Timeout.of(builder.fetchTimeout))
                        .setResponseTimeout(Timeout.of(builder.readTimeout))
                        .setRedirectsEnabled(false)
                        .build())
                .disableRedirectHandling()
                .disableAutomaticRetries()
                .disableCookieManagement()
                .disableAuthCaching()
                .disableContentCompression()
                .setUserAgent(USER_AGENT)
                .build();
        this.deadlines = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "mta-sts-fetch-deadline");
            thread.setDaemon(true);
            return thread;
        });
    }

    public static Builder builder(DnsResolver dns) {
        return new Builder(dns);
    }

    /** The URL the policy of {@code domain} (an A-label name) is fetched from. */
    public static String policyUrl(String domain) {
        return "https://mta-sts." + domain + POLICY_PATH;
    }

    /**
     * Fetches and parses the policy of {@code domain}, an A-label name without trailing dot.
     *
     * @throws PolicyFetchException with the RFC 8460 result type of the failure
     */
    public FetchedPolicy fetch(String domain) throws PolicyFetchException {
        String url = policyUrl(domain);
        HttpGet request = new HttpGet(url);
        AtomicBoolean deadlinePassed = new AtomicBoolean();
        ScheduledFuture<?> deadline = deadlines.schedule(
                () -> {
                    deadlinePassed.set(true);
                    request.cancel();
                },
                fetchTimeout.toMillis(),
                TimeUnit.MILLISECONDS);
        try (ClassicHttpResponse response = client.executeOpen(null, request, null)) {
            return read(url, request, response);
        } catch (PolicyFetchException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            if (deadlinePassed.get()) {
                throw new PolicyFetchException(
                        ResultType.STS_POLICY_FETCH_ERROR,
                        url + ": no complete response within " + fetchTimeout.toSeconds() + " s");
            }
            throw classify(url, e);
        } finally {
            deadline.cancel(false);
        }
    }

    private static FetchedPolicy read(String url, HttpGet request, ClassicHttpResponse response)
            throws IOException, PolicyFetchException {
        try {
            int status = response.getCode();
            if (status != 200) {
                Header location = response.getFirstHeader(HttpHeaders.LOCATION);
                String redirect = status >= 300 && status < 400 && location != null
                        ? " redirecting to " + location.getValue() + ", which RFC 8461 3.3 forbids following"
                        : "";
                throw new PolicyFetchException(
                        ResultType.STS_POLICY_FETCH_ERROR,
                        url + ": HTTP " + status + redirect + "; only 200 is accepted");
            }
            checkMediaType(url, response.getFirstHeader(HttpHeaders.CONTENT_TYPE));
            HttpEntity entity = response.getEntity();
            if (entity == null) {
                throw new PolicyFetchException(ResultType.STS_POLICY_INVALID, url + ": the response has no body");
            }
            if (entity.getContentLength() > MAX_BODY_BYTES) {
                throw new PolicyFetchException(
                        ResultType.STS_POLICY_INVALID,
                        url + ": the body is declared as " + entity.getContentLength() + " bytes, over the limit of "
                                + MAX_BODY_BYTES);
            }
            byte[] body = readAtMost(entity.getContent(), MAX_BODY_BYTES + 1);
            if (body.length > MAX_BODY_BYTES) {
                throw new PolicyFetchException(
                        ResultType.STS_POLICY_INVALID,
                        url + ": the body is longer than the limit of " + MAX_BODY_BYTES + " bytes");
            }
            String text = decodeUtf8(url, body);
            List<String> warnings = new ArrayList<>();
            try {
                return new FetchedPolicy(MtaStsPolicy.parse(text, warnings), text, warnings);
            } catch (MtaStsSyntaxException e) {
                throw new PolicyFetchException(ResultType.STS_POLICY_INVALID, url + ": " + e.getMessage());
            }
        } catch (PolicyFetchException e) {
            // Drop the connection rather than let closing the response read the rest of the body.
            request.cancel();
            throw e;
        }
    }

    // RFC 8461 3.3: the media type is text/plain; parameters (a charset, say) may follow.
    private static void checkMediaType(String url, Header contentType) throws PolicyFetchException {
        if (contentType == null) {
            throw new PolicyFetchException(
                    ResultType.STS_POLICY_INVALID, url + ": no Content-Type; RFC 8461 3.3 requires text/plain");
        }
        String value = contentType.getValue();
        int semicolon = value.indexOf(';');
        String mediaType = (semicolon < 0 ? value : value.substring(0, semicolon)).trim();
        if (!mediaType.toLowerCase(Locale.ROOT).equals("text/plain")) {
            throw new PolicyFetchException(
                    ResultType.STS_POLICY_INVALID,
                    url + ": Content-Type " + value + " is not text/plain (RFC 8461 3.3)");
        }
    }

    private static byte[] readAtMost(InputStream in, int limit) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buffer = new byte[8192];
        while (out.size() < limit) {
            int read = in.read(buffer, 0, Math.min(buffer.length, limit - out.size()));
            if (read < 0) {
                break;
            }
            out.write(buffer, 0, read);
        }
        return out.toByteArray();
    }

    // The grammar is ASCII but for extension values, which may hold UTF-8 (RFC 8461 3.2); whatever
    // charset the server declares, the body must decode as UTF-8, without replacement characters.
    private static String decodeUtf8(String url, byte[] body) throws PolicyFetchException {
        try {
            return StandardCharsets.UTF_8
                    .newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(body))
                    .toString();
        } catch (CharacterCodingException e) {
            throw new PolicyFetchException(ResultType.STS_POLICY_INVALID, url + ": the body is not UTF-8");
        }
    }

    private static PolicyFetchException classify(String url, Exception failure) {
        CertificateException certificate = causeOfType(failure, CertificateException.class);
        if (certificate != null || causeOfType(failure, SSLPeerUnverifiedException.class) != null) {
            String problem = causeOfType(failure, CertificateExpiredException.class) != null
                    ? "the server's certificate has expired"
                    : "the server's certificate failed validation";
            return new PolicyFetchException(
                    ResultType.STS_WEBPKI_INVALID, url + ": " + problem + ": " + rootMessage(failure));
        }
        String what;
        if (failure instanceof UnknownHostException) {
            what = "cannot resolve the policy host: " + failure.getMessage();
        } else if (failure instanceof ConnectTimeoutException || failure instanceof ConnectException) {
            what = "cannot connect: " + rootMessage(failure);
        } else if (failure instanceof SocketTimeoutException) {
            what = "the server stopped answering: " + rootMessage(failure);
        } else if (failure instanceof SSLException) {
            what = "TLS failed: " + rootMessage(failure);
        } else {
            what = rootMessage(failure);
        }
        return new PolicyFetchException(ResultType.STS_POLICY_FETCH_ERROR, url + ": " + what);
    }

    private static <T extends Throwable> T causeOfType(Throwable failure, Class<T> type) {
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            if (type.isInstance(cause)) {
                return type.cast(cause);
            }
        }
        return null;
    }

    private static String rootMessage(Throwable failure) {
        Throwable root = failure;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String message = root.getMessage();
        return message == null ? root.getClass().getSimpleName() : message;
    }

    private static SSLContext sslContext(X509TrustManager trustManager) {
        try {
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, new TrustManager[] {trustManager}, null);
            return context;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot set up TLS for policy fetches", e);
        }
    }

    /** The JDK's default trust manager: its {@code cacerts}, or what {@code javax.net.ssl.trustStore} names. */
    public static X509TrustManager defaultTrustManager() {
        try {
            TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            factory.init((KeyStore) null);
            for (TrustManager manager : factory.getTrustManagers()) {
                if (manager instanceof X509TrustManager) {
                    return (X509TrustManager) manager;
                }
            }
            throw new IllegalStateException("the JDK offers no X.509 trust manager");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot load the JDK's trusted certificates", e);
        }
    }

    @Override
    public void close() throws IOException {
        deadlines.shutdownNow();
        client.close();
    }

    /** Settings of a fetcher; every one has a default. */
    public static final class Builder {
        private final DnsResolver dns;
        private X509TrustManager trustManager;
        private Duration connectTimeout = DEFAULT_CONNECT_TIMEOUT;
        private Duration readTimeout = DEFAULT_READ_TIMEOUT;
        private Duration fetchTimeout = DEFAULT_FETCH_TIMEOUT;
        private int maxConcurrentFetches = 16;
        private int port = 443;

        private Builder(DnsResolver dns) {
            this.dns = Objects.requireNonNull(dns, "dns");
        }

        /** Whom to trust for the policy host's certificate; the JDK's default trust store otherwise. */
        public Builder trustManager(X509TrustManager trustManager) {
            this.trustManager = Objects.requireNonNull(trustManager, "trustManager");
            return this;
        }

        public Builder connectTimeout(Duration timeout) {
            this.connectTimeout = positive(timeout, "connect timeout");
            return this;
        }

        /** The longest silence while waiting for the response or reading it. */
        public Builder readTimeout(Duration timeout) {
            this.readTimeout = positive(timeout, "read timeout");
            return this;
        }

        /** The most a whole fetch may take, however the server trickles its response. */
        public Builder fetchTimeout(Duration timeout) {
            this.fetchTimeout = positive(timeout, "fetch timeout");
            return this;
        }

        public Builder maxConcurrentFetches(int max) {
            if (max < 1) {
                throw new IllegalArgumentException("maxConcurrentFetches must be at least 1, got " + max);
            }
            this.maxConcurrentFetches = max;
            return this;
        }

        /**
         * The port policy hosts are reached on. RFC 8461 3.3 fixes it at 443; only tests, whose
         * HTTPS server listens on an ephemeral port, change it.
         */
        public Builder port(int port) {
            if (port < 1 || port > 65535) {
                throw new IllegalArgumentException("not a port: " + port);
            }
            this.port = port;
            return this;
        }

        public MtaStsFetcher build() {
            if (trustManager == null) {
                trustManager = defaultTrustManager();
            }
            return new MtaStsFetcher(this);
        }

        private static Duration positive(Duration duration, String what) {
            if (duration.isZero() || duration.isNegative()) {
                throw new IllegalArgumentException(what + " must be positive, got " + duration);
            }
            return duration;
        }
    }
}
