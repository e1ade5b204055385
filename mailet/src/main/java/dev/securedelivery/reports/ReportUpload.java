package dev.securedelivery.reports;

import dev.securedelivery.dns.DnsResolver;
import dev.securedelivery.mtasts.PolicyHostResolver;
import dev.securedelivery.tlsrpt.IpNetwork;
import dev.securedelivery.tlsrpt.PendingReport;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import org.apache.hc.client5.http.classic.methods.HttpPost;
import org.apache.hc.client5.http.config.ConnectionConfig;
import org.apache.hc.client5.http.config.RequestConfig;
import org.apache.hc.client5.http.impl.classic.CloseableHttpClient;
import org.apache.hc.client5.http.impl.classic.HttpClients;
import org.apache.hc.client5.http.impl.io.PoolingHttpClientConnectionManagerBuilder;
import org.apache.hc.client5.http.ssl.ClientTlsStrategyBuilder;
import org.apache.hc.client5.http.ssl.HostnameVerificationPolicy;
import org.apache.hc.core5.http.ClassicHttpResponse;
import org.apache.hc.core5.http.ContentType;
import org.apache.hc.core5.http.HttpEntity;
import org.apache.hc.core5.http.io.entity.ByteArrayEntity;
import org.apache.hc.core5.http.ssl.TLS;
import org.apache.hc.core5.util.Timeout;

/**
 * An {@code https:} report, RFC 8460 5.4: a POST of the gzip-compressed report with
 * {@code Content-Type: application/tlsrpt+gzip}; a 2xx answer is success, anything else a failure
 * to retry. The server is authenticated by PKIX and its name (the reports could otherwise go to
 * whoever intercepts them), resolved through the engine's DNS, and reached only at an address
 * {@link UploadAddressFilter} lets through; redirects are not followed.
 *
 * <p>Bounded like an MTA-STS policy fetch: the whole exchange (connecting, TLS, sending the report,
 * the answer) must be over within a deadline however the server trickles, and at most
 * {@value #MAX_RESPONSE_BYTES} bytes of the answer's body are read, only so that a short body ends
 * cleanly: nothing in it matters, and the connection is dropped rather than read further.
 */
final class ReportUpload implements Closeable {
    /** The whole upload, from connecting to the end of the answer. */
    static final Duration DEADLINE = Duration.ofSeconds(30);
    /** The most of an answer's body read. */
    static final int MAX_RESPONSE_BYTES = 64 * 1024;

    private static final ContentType TLSRPT_GZIP = ContentType.create(ReportMessage.MEDIA_TYPE);

    private final CloseableHttpClient client;
    private final ScheduledExecutorService deadlines;
    private final Duration deadline;

    ReportUpload(DnsResolver dns, X509TrustManager trust, List<IpNetwork> allowedNetworks, Duration deadline) {
        this.deadline = deadline;
        SSLContext tls;
        try {
            tls = SSLContext.getInstance("TLS");
            tls.init(null, new TrustManager[] {trust}, null);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JDK offers no TLS", e);
        }
        this.client = HttpClients.custom()
                .setConnectionManager(PoolingHttpClientConnectionManagerBuilder.create()
                        .setTlsSocketStrategy(ClientTlsStrategyBuilder.create()
                                .setSslContext(tls)
                                .setTlsVersions(TLS.V_1_3, TLS.V_1_2)
                                .setHostVerificationPolicy(HostnameVerificationPolicy.BOTH)
                                .buildClassic())
                        .setDnsResolver(new UploadAddressFilter(new PolicyHostResolver(dns), allowedNetworks))
                        .setDefaultConnectionConfig(ConnectionConfig.custom()
                                .setConnectTimeout(Timeout.of(deadline))
                                .setSocketTimeout(Timeout.of(deadline))
                                .build())
                        .build())
                // Report endpoints differ per domain, and a kept connection would outlive the deadline's watch.
                .setConnectionReuseStrategy((request, response, context) -> false)
                .setDefaultRequestConfig(RequestConfig.custom()
                        .setConnectionRequestTimeout(Timeout.of(deadline))
                        .setResponseTimeout(Timeout.of(deadline))
                        .setRedirectsEnabled(false)
                        .build())
                .disableRedirectHandling()
                .disableAutomaticRetries()
                .disableCookieManagement()
                .disableAuthCaching()
                .disableContentCompression()
                .setUserAgent("secure-delivery TLS reporting (RFC 8460)")
                .build();
        this.deadlines = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "tlsrpt-upload-deadline");
            thread.setDaemon(true);
            return thread;
        });
    }

    /**
     * POSTs {@code report} to {@code target}; returns normally only on a 2xx answer, complete (or
     * its body cut at the limit) within the deadline.
     */
    void post(URI target, PendingReport report) throws IOException {
        HttpPost post = new HttpPost(target);
        post.setEntity(new ByteArrayEntity(report.gzip(), TLSRPT_GZIP));
        AtomicBoolean deadlinePassed = new AtomicBoolean();
        // Closes the connection, whatever the upload is doing: connecting, sending, waiting, reading.
        ScheduledFuture<?> watch = deadlines.schedule(
                () -> {
                    deadlinePassed.set(true);
                    post.cancel();
                },
                deadline.toMillis(),
                TimeUnit.MILLISECONDS);
        int status;
        try {
            ClassicHttpResponse response = client.executeOpen(null, post, null);
            boolean ended = false;
            try {
                status = response.getCode();
                ended = bodyEnds(response.getEntity());
            } finally {
                if (ended) {
                    response.close();
                } else {
                    // Dropped: closing the response as it stands would read the rest of the body.
                    post.cancel();
                    closeQuietly(response);
                }
            }
        } catch (IOException | RuntimeException e) {
            if (deadlinePassed.get()) {
                throw new IOException("no complete answer within " + deadline.toSeconds() + " s", e);
            }
            throw e;
        } finally {
            watch.cancel(false);
        }
        if (status < 200 || status > 299) {
            throw new IOException("answered HTTP " + status);
        }
    }

    // Reads the body to its end if it ends within the limit; false if there is more, left unread.
    private static boolean bodyEnds(HttpEntity entity) throws IOException {
        if (entity == null) {
            return true;
        }
        if (entity.getContentLength() > MAX_RESPONSE_BYTES) {
            return false;
        }
        InputStream in = entity.getContent();
        byte[] buffer = new byte[8192];
        long read = 0;
        while (read <= MAX_RESPONSE_BYTES) {
            int count = in.read(buffer);
            if (count < 0) {
                return true;
            }
            read += count;
        }
        return false;
    }

    private static void closeQuietly(ClassicHttpResponse response) {
        try {
            response.close();
        } catch (IOException e) {
            // The connection is already closed: nothing is left to release.
        }
    }

    @Override
    public void close() throws IOException {
        deadlines.shutdownNow();
        client.close();
    }
}
