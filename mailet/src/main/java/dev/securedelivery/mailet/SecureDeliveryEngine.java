package dev.securedelivery.mailet;

import dev.securedelivery.configuration.ConfigurationException;
import dev.securedelivery.configuration.PolicyEngineConfiguration;
import dev.securedelivery.configuration.PostureConfiguration;
import dev.securedelivery.configuration.TlsReportingConfiguration;
import dev.securedelivery.delivery.DeliveryOutcomes;
import dev.securedelivery.mtasts.FetchListener;
import dev.securedelivery.policy.DeliveryPolicy;
import dev.securedelivery.posture.PostureStore;
import dev.securedelivery.posture.TlsRptProbe;
import dev.securedelivery.reportingpolicy.TlsRptDiscovery;
import dev.securedelivery.reports.TlsReports;
import java.io.Closeable;
import java.io.IOException;
import java.time.Clock;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.X509TrustManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What every delivery mailet of one James shares: the delivery policy (DNS resolver, MTA-STS cache,
 * overrides), the PKIX trust, and TLS reporting. One instance per James, bound as a singleton by {@link
 * SecureDeliveryModule}, so that every mailet sees the same policy cache.
 */
public final class SecureDeliveryEngine implements Closeable {
    private static final Logger LOGGER = LoggerFactory.getLogger(SecureDeliveryEngine.class);

    private final DeliveryPolicy policy;
    private final X509TrustManager pkixTrust;
    private final Clock clock;
    private final DeliveryOutcomes outcomes;
    private final TlsReports tlsReports;
    private final PostureStore posture;
    private final TlsRptProbe tlsRptProbe;
    private final AtomicInteger users = new AtomicInteger();

    /**
     * @param tlsReports RFC 8460 reporting, or null for none
     * @param posture the posture history, or null for none
     */
    public SecureDeliveryEngine(
            DeliveryPolicy policy,
            X509TrustManager pkixTrust,
            Clock clock,
            TlsReports tlsReports,
            PostureStore posture) {
        this.posture = posture;
        this.policy = Objects.requireNonNull(policy, "policy");
        this.pkixTrust = Objects.requireNonNull(pkixTrust, "pkixTrust");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.outcomes = new DeliveryOutcomes(clock, OUTCOME_DOMAINS);
        this.tlsReports = tlsReports;
        this.tlsRptProbe = posture == null ? null : new TlsRptProbe(new TlsRptDiscovery(policy.dns()), posture, clock);
    }

    /** Destination domains whose outcomes are kept; beyond, the least recently updated go. */
    static final int OUTCOME_DOMAINS = 10_000;

    /**
     * An engine as {@code configuration} describes it, telling {@code fetches} of MTA-STS policy
     * fetches, with TLS reports if {@code tls-reports.enabled}, their mail handed to {@code mail}
     * (unused, and may be null, while reports are off).
     */
    public static SecureDeliveryEngine from(
            PolicyEngineConfiguration configuration, Clock clock, FetchListener fetches, TlsReports.MailSubmission mail)
            throws ConfigurationException, IOException {
        if (configuration.tlsReports().enabled()) {
            // A directory that is a file or not writable is named before anything starts.
            configuration.tlsReports().prepareDirectory();
        }
        configuration.posture().prepareDirectory();
        DeliveryPolicy policy = configuration.deliveryPolicy(clock, fetches);
        TlsReports reports = null;
        if (configuration.tlsReports().enabled()) {
            Objects.requireNonNull(mail, "mail: TLS reports are on");
            try {
                reports = TlsReports.start(
                        configuration.tlsReports(), policy.dns(), configuration.pkixTrustManager(), mail, clock);
            } catch (IOException e) {
                policy.close();
                throw new ConfigurationException(
                        TlsReportingConfiguration.DIRECTORY,
                        "cannot use " + configuration.tlsReports().directory() + ": " + e,
                        e);
            }
        }
        PostureStore posture;
        try {
            PostureConfiguration postureConfiguration = configuration.posture();
            posture = PostureStore.open(
                    postureConfiguration.directory(),
                    postureConfiguration.retentionDays(),
                    postureConfiguration.maxDomainsPerDay(),
                    clock);
        } catch (IOException e) {
            if (reports != null) {
                reports.close();
            }
            policy.close();
            throw new ConfigurationException(
                    PostureConfiguration.DIRECTORY,
                    "cannot use " + configuration.posture().directory() + ": " + e,
                    e);
        }
        return new SecureDeliveryEngine(policy, configuration.pkixTrustManager(), clock, reports, posture);
    }

    public DeliveryPolicy policy() {
        return policy;
    }

    public X509TrustManager pkixTrust() {
        return pkixTrust;
    }

    public Clock clock() {
        return clock;
    }

    /** Per destination domain, what deliveries did since start: for operators. */
    public DeliveryOutcomes outcomes() {
        return outcomes;
    }

    /** A delivery mailet starts using this engine. */
    void attach() {
        users.incrementAndGet();
    }

    /**
     * A delivery mailet is done with this engine (James stops: Guice closes nothing it got from a
     * provider method). When the last is, TLS reporting stops: its journal is written out and its
     * thread ends, so that a James started again in the same process and directory is the only one
     * sending reports.
     */
    void detach() {
        if (users.decrementAndGet() != 0) {
            return;
        }
        if (tlsReports != null) {
            try {
                tlsReports.close();
            } catch (IOException e) {
                LOGGER.error("secure-delivery: TLS reporting did not stop cleanly", e);
            }
        }
        if (posture != null) {
            try {
                // Written out now: the counts of the last seconds would be lost otherwise.
                posture.close();
            } catch (IOException e) {
                LOGGER.error("secure-delivery: the posture history could not be written at shutdown", e);
            }
        }
    }

    /** The posture history: per day and destination domain, how securely mail left. */
    public Optional<PostureStore> posture() {
        return Optional.ofNullable(posture);
    }

    /** Asks whether destination domains publish TLS-RPT, for the posture history; there when it is. */
    public Optional<TlsRptProbe> tlsRptProbe() {
        return Optional.ofNullable(tlsRptProbe);
    }

    /** RFC 8460 reporting, if {@code tls-reports.enabled}. */
    public Optional<TlsReports> tlsReports() {
        return Optional.ofNullable(tlsReports);
    }

    @Override
    public void close() throws IOException {
        try {
            if (tlsReports != null) {
                tlsReports.close();
            }
            if (posture != null) {
                posture.close();
            }
        } finally {
            policy.close();
        }
    }
}
