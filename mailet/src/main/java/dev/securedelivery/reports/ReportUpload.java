package dev.securedelivery.reports;

import dev.securedelivery.dns.DnsResolver;
import dev.securedelivery.mtasts.PolicyHostResolver;
import java.io.Closeable;
import java.io.IOException;
import java.net.URI;
import java.security.GeneralSecurityException;
import java.time.Duration;
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
import org.apache.hc.core5.http.ContentType;
import org.apache.hc.core5.http.io.entity.ByteArrayEntity;
import org.apache.hc.core5.http.io.entity.EntityUtils;
import org.apache.hc.core5.http.ssl.TLS;
import org.apache.hc.core5.util.Timeout;

/**
 * An {@code https:} report, RFC 8460 5.4: a POST of the gzip-compressed report with
 * {@code Content-Type: application/tlsrpt+gzip}; any 2xx answer is success, anything else a
 * failure to retry. The server is authenticated by PKIX and its name (the reports could otherwise
 * go to whoever intercepts them), resolved through the engine's DNS; redirects are not followed.
 */
final class ReportUpload implements Closeable {
    static final Duration TIMEOUT = Duration.ofSeconds(30);
    private static final ContentType TLSRPT_GZIP = ContentType.create(ReportMessage.MEDIA_TYPE);

    private final CloseableHttpClient client;

    ReportUpload(DnsResolver dns, X509TrustManager trust) {
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
                        .setDnsResolver(new PolicyHostResolver(dns))
                        .setDefaultConnectionConfig(ConnectionConfig.custom()
                                .setConnectTimeout(Timeout.of(TIMEOUT))
                                .setSocketTimeout(Timeout.of(TIMEOUT))
                                .build())
                        .build())
                .setDefaultRequestConfig(RequestConfig.custom()
                        .setResponseTimeout(Timeout.of(TIMEOUT))
                        .setRedirectsEnabled(false)
                        .build())
                .disableRedirectHandling()
                .disableAutomaticRetries()
                .disableCookieManagement()
                .setUserAgent("secure-delivery TLS reporting (RFC 8460)")
                .build();
    }

    /** POSTs {@code report} to {@code target}; returns normally only on a 2xx answer. */
    void post(URI target, PendingReport report) throws IOException {
        HttpPost post = new HttpPost(target);
        post.setEntity(new ByteArrayEntity(report.gzip(), TLSRPT_GZIP));
        int status = client.execute(post, response -> {
            EntityUtils.consume(response.getEntity());
            return response.getCode();
        });
        if (status < 200 || status > 299) {
            throw new IOException(target + " answered HTTP " + status);
        }
    }

    @Override
    public void close() throws IOException {
        client.close();
    }
}
