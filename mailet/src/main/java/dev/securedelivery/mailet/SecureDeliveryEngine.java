package dev.securedelivery.mailet;

import dev.securedelivery.configuration.ConfigurationException;
import dev.securedelivery.configuration.InboundReportsConfiguration;
import dev.securedelivery.configuration.PolicyEngineConfiguration;
import dev.securedelivery.configuration.PostureConfiguration;
import dev.securedelivery.configuration.StoreConfiguration;
import dev.securedelivery.configuration.TlsReportingConfiguration;
import dev.securedelivery.delivery.DeliveryOutcomes;
import dev.securedelivery.delivery.OutcomesByNode;
import dev.securedelivery.inbound.InboundReports;
import dev.securedelivery.mtasts.FetchListener;
import dev.securedelivery.policy.DeliveryPolicy;
import dev.securedelivery.posture.PostureHistory;
import dev.securedelivery.posture.PostureStore;
import dev.securedelivery.posture.TlsRptProbe;
import dev.securedelivery.reportingpolicy.TlsRptDiscovery;
import dev.securedelivery.reports.NodeName;
import dev.securedelivery.reports.TlsReports;
import dev.securedelivery.selfcheck.OwnDomainsWatch;
import dev.securedelivery.store.PostgresStore;
import dev.securedelivery.store.StoreException;
import dev.securedelivery.tlsrpt.InboundReportStore;
import dev.securedelivery.waiting.InMemoryWaitingList;
import dev.securedelivery.waiting.WaitingList;
import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import javax.net.ssl.X509TrustManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What every delivery mailet of one James shares: the delivery policy (DNS resolver, MTA-STS cache,
 * overrides), the PKIX trust, TLS reporting, the posture history and the inbound TLS reports. One
 * instance per James, bound as a singleton by {@link SecureDeliveryModule}, so that every mailet sees
 * the same policy cache.
 *
 * <p>Where that state is kept is chosen once, at start, by {@code store}: this node's files, or the
 * PostgreSQL database the nodes of a cluster share ({@link PostgresStore}), for all of it at once.
 */
public final class SecureDeliveryEngine implements Closeable {
    private static final Logger LOGGER = LoggerFactory.getLogger(SecureDeliveryEngine.class);

    private final DeliveryPolicy policy;
    private final X509TrustManager pkixTrust;
    private final Clock clock;
    private final DeliveryOutcomes outcomes;
    private final OutcomesByNode outcomesByNode;
    private final WaitingList waitingList;
    private volatile OwnDomainsWatch ownDomains;
    private final Duration waitingLease;
    private final TlsReports tlsReports;
    private final PostureHistory posture;
    private final TlsRptProbe tlsRptProbe;
    private final InboundReportStore inboundReports;
    private final String node;
    private final PostgresStore shared;
    private final AtomicInteger users = new AtomicInteger();

    private SecureDeliveryEngine(
            DeliveryPolicy policy,
            X509TrustManager pkixTrust,
            Clock clock,
            TlsReports tlsReports,
            PostureHistory posture,
            InboundReportStore inboundReports,
            String node,
            PostgresStore shared,
            Duration waitingLease) {
        this.posture = posture;
        this.waitingLease = waitingLease;
        this.waitingList = shared == null ? new InMemoryWaitingList() : shared.waitingList();
        this.policy = Objects.requireNonNull(policy, "policy");
        this.pkixTrust = Objects.requireNonNull(pkixTrust, "pkixTrust");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.outcomes = new DeliveryOutcomes(clock, OUTCOME_DOMAINS);
        this.outcomesByNode = shared == null
                ? OutcomesByNode.thisNodeOnly(node, outcomes)
                : shared.outcomes(outcomes, OUTCOME_DOMAINS);
        this.tlsReports = tlsReports;
        this.tlsRptProbe = posture == null ? null : new TlsRptProbe(new TlsRptDiscovery(policy.dns()), posture, clock);
        this.inboundReports = inboundReports;
        this.node = node;
        this.shared = shared;
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
        StoreConfiguration store = configuration.store();
        String node = store.nodeName()
                .orElseGet(() -> NodeName.ofThisHost(configuration.tlsReports().directory()));
        PostgresStore shared = null;
        if (store.kind() == StoreConfiguration.Kind.POSTGRES) {
            try {
                shared = PostgresStore.open(
                        store.postgres().orElseThrow(), node, clock, store.flushInterval(), store.bufferLimit());
            } catch (StoreException e) {
                throw new ConfigurationException(StoreConfiguration.STORE, e.getMessage(), e);
            }
        }
        try {
            return from(configuration, clock, fetches, mail, node, shared);
        } catch (ConfigurationException | IOException | RuntimeException e) {
            if (shared != null) {
                shared.close();
            }
            throw e;
        }
    }

    private static SecureDeliveryEngine from(
            PolicyEngineConfiguration configuration,
            Clock clock,
            FetchListener fetches,
            TlsReports.MailSubmission mail,
            String node,
            PostgresStore shared)
            throws ConfigurationException, IOException {
        if (configuration.tlsReports().enabled() && shared == null) {
            // A directory that is a file or not writable is named before anything starts.
            configuration.tlsReports().prepareDirectory();
        }
        if (shared == null) {
            configuration.posture().prepareDirectory();
        }
        DeliveryPolicy policy = configuration.deliveryPolicy(
                clock, fetches, shared == null ? null : shared.policyCache(configuration.mtaStsCacheEntries()));
        TlsReports reports = null;
        if (configuration.tlsReports().enabled()) {
            Objects.requireNonNull(mail, "mail: TLS reports are on");
            try {
                reports = shared == null
                        ? TlsReports.start(
                                configuration.tlsReports(), policy.dns(), configuration.pkixTrustManager(), mail, clock)
                        : TlsReports.start(
                                configuration.tlsReports(),
                                shared.sessionCounts(configuration.tlsReports().period()),
                                shared.reportQueue(configuration.store().clusterName()),
                                node,
                                configuration.store().lease(),
                                policy.dns(),
                                configuration.pkixTrustManager(),
                                mail,
                                clock,
                                TlsReports.UPLOAD_DEADLINE);
            } catch (IOException e) {
                policy.close();
                throw new ConfigurationException(
                        TlsReportingConfiguration.DIRECTORY,
                        "cannot use " + configuration.tlsReports().directory() + ": " + e,
                        e);
            }
        }
        PostureHistory posture;
        PostureConfiguration postureConfiguration = configuration.posture();
        if (shared != null) {
            posture = shared.posture(postureConfiguration.retentionDays(), postureConfiguration.maxDomainsPerDay());
        } else {
            try {
                posture = PostureStore.open(
                        postureConfiguration.directory(),
                        postureConfiguration.retentionDays(),
                        postureConfiguration.maxDomainsPerDay(),
                        clock,
                        node);
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
        }
        InboundReportsConfiguration inbound = configuration.inboundReports();
        InboundReportStore inboundReports = shared == null
                ? new InboundReports(inbound, clock)
                : shared.inboundReports(inbound.retention(), inbound.maxReports(), inbound.maxBytes());
        return new SecureDeliveryEngine(
                policy,
                configuration.pkixTrustManager(),
                clock,
                reports,
                posture,
                inboundReports,
                node,
                shared,
                configuration.store().lease());
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

    /**
     * Starts the self-check of our own domains ({@code own-domains.*}): {@code domains} is James's
     * domain list, {@code home} its working directory. Once per engine; later calls return the first.
     */
    public synchronized OwnDomainsWatch watchOwnDomains(
            PolicyEngineConfiguration configuration, Supplier<List<String>> domains, Path home) {
        if (ownDomains == null) {
            ownDomains = OwnDomainsWatch.start(configuration, policy.dns(), pkixTrust, domains, home, clock);
        }
        return ownDomains;
    }

    /** The self-check of our own domains, once started. */
    public Optional<OwnDomainsWatch> ownDomains() {
        return Optional.ofNullable(ownDomains);
    }

    /** The deferred messages and when each is due: every node's where the nodes share a store. */
    public WaitingList waitingList() {
        return waitingList;
    }

    /** How long a node holds the deferred messages it puts back in the queue before another may. */
    public Duration waitingLease() {
        return waitingLease;
    }

    /** Every node's outcomes where the nodes share a store; this node's alone otherwise. */
    public OutcomesByNode outcomesByNode() {
        return outcomesByNode;
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
        if (shared != null) {
            shared.close();
        }
    }

    /** The posture history: per day and destination domain, how securely mail left. */
    public Optional<PostureHistory> posture() {
        return Optional.ofNullable(posture);
    }

    /** The TLS reports others sent us: this node's files, or the cluster's; null for an engine built by hand. */
    public InboundReportStore inboundReports() {
        return inboundReports;
    }

    /** This node's name: in the logs, the dashboard, and its share of the cluster's counts. */
    public String nodeName() {
        return node;
    }

    /** Whether the nodes of a cluster share this engine's state. */
    public boolean isShared() {
        return shared != null;
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
            if (ownDomains != null) {
                ownDomains.close();
            }
            if (tlsReports != null) {
                tlsReports.close();
            }
            if (posture != null) {
                posture.close();
            }
        } finally {
            try {
                policy.close();
            } finally {
                if (shared != null) {
                    shared.close();
                }
            }
        }
    }
}
