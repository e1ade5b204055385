package dev.securedelivery.mailet;

import com.google.inject.AbstractModule;
import com.google.inject.Provides;
import com.google.inject.Singleton;
import dev.securedelivery.configuration.ConfigurationException;
import dev.securedelivery.configuration.PolicyEngineConfiguration;
import dev.securedelivery.dashboard.DashboardSource;
import dev.securedelivery.dashboard.PostureDashboardSource;
import dev.securedelivery.mtasts.DomainNames;
import dev.securedelivery.owndomains.Severity;
import dev.securedelivery.selfcheck.OwnDomainsWatch;
import dev.securedelivery.tlsrpt.InboundReportStore;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.james.core.Domain;
import org.apache.james.core.MailAddress;
import org.apache.james.domainlist.api.DomainList;
import org.apache.james.domainlist.api.DomainListException;
import org.apache.james.filesystem.api.FileSystem;
import org.apache.james.metrics.api.GaugeRegistry;
import org.apache.james.metrics.api.MetricFactory;
import org.apache.james.metrics.api.TimeMetric;
import org.apache.mailet.MailetContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Guice module James loads from {@code extensions.properties}
 * ({@code guice.extension.module=dev.securedelivery.mailet.SecureDeliveryModule}): it builds the
 * one {@link SecureDeliveryEngine} every delivery mailet shares, from
 * {@code conf/secure-delivery.properties} (defaults if the file is missing). A bad configuration
 * stops James with one line that names the file and the key: {@code secure-delivery: bad configuration
 * in conf/secure-delivery.properties: <key>: <problem>}.
 */
public final class SecureDeliveryModule extends AbstractModule {
    static final String CONFIGURATION_FILE = "file://conf/secure-delivery.properties";

    private static final Logger LOGGER = LoggerFactory.getLogger(SecureDeliveryModule.class);

    /** The file read once, for the engine and the inbound reports alike. */
    @Provides
    @Singleton
    PolicyEngineConfiguration configuration(FileSystem fileSystem) throws IOException {
        Path workingDirectory = fileSystem.getBasedir().toPath();
        Path file = configurationFile(fileSystem, workingDirectory);
        try {
            return configuration(file, workingDirectory);
        } catch (ConfigurationException e) {
            throw failed(e, file);
        }
    }

    @Provides
    @Singleton
    SecureDeliveryEngine engine(
            FileSystem fileSystem,
            PolicyEngineConfiguration configuration,
            MetricFactory metrics,
            GaugeRegistry gauges,
            DomainList domainList,
            MailetContext mailetContext)
            throws IOException {
        try {
            SecureDeliveryEngine engine = SecureDeliveryEngine.from(
                    configuration,
                    Clock.systemUTC(),
                    domain -> {
                        TimeMetric latency = metrics.timer(Metrics.MTA_STS_FETCH);
                        return failure -> {
                            latency.stopAndPublish();
                            metrics.generate(Metrics.MTA_STS_FETCH + "."
                                            + (failure == null ? "ok" : failure.reportName()))
                                    .increment();
                        };
                    },
                    (sender, recipient, message) ->
                            // Into the root processor, as any mail James sends itself: the administrator's
                            // mailets (DKIMSign among them) handle it before delivery.
                            mailetContext.sendMail(
                                    new MailAddress(sender), List.of(new MailAddress(recipient)), message));
            LOGGER.info(
                    "secure-delivery: DNSSEC {}, {} DNS server(s){}, {} domain override(s)",
                    configuration.dnssecMode(),
                    configuration.dnsServers().isEmpty()
                            ? "system"
                            : configuration.dnsServers().size(),
                    configuration
                            .cacheDirectory()
                            .map(directory -> ", MTA-STS cache in " + directory)
                            .orElse(""),
                    configuration.overrides().size());
            watchOwnDomains(
                    engine, configuration, domainList, fileSystem.getBasedir().toPath(), gauges);
            return engine;
        } catch (ConfigurationException e) {
            throw failed(
                    e, configurationFile(fileSystem, fileSystem.getBasedir().toPath()));
        }
    }

    // The domains this James receives for, checked as senders see them; gauges for alerting.
    private static void watchOwnDomains(
            SecureDeliveryEngine engine,
            PolicyEngineConfiguration configuration,
            DomainList domainList,
            Path home,
            GaugeRegistry gauges) {
        OwnDomainsWatch watch = engine.watchOwnDomains(
                configuration,
                () -> {
                    try {
                        List<String> domains = new ArrayList<>();
                        for (Domain domain : domainList.getDomains()) {
                            String name = DomainNames.normalize(domain.asString());
                            if (name != null && !"localhost".equals(name)) {
                                domains.add(name);
                            }
                        }
                        return domains;
                    } catch (DomainListException e) {
                        throw new IllegalStateException("the domain list cannot be read: " + e.getMessage(), e);
                    }
                },
                home);
        for (Severity severity : new Severity[] {Severity.WARNING, Severity.PROBLEM, Severity.LOOKUP_FAILURE}) {
            gauges.register(
                    Metrics.OWN_DOMAINS + "." + severity.label().replace('-', '_'), () -> watch.count(severity));
        }
        gauges.register(Metrics.OWN_DOMAINS_FIRST_EXPIRY, watch::daysUntilFirstExpiry);
    }

    // Reading the file and building from it (trust anchors, directories) fail alike: one line naming
    // the file and the key, logged here since James may print only the exception's chain.
    private static IllegalStateException failed(ConfigurationException e, Path file) {
        String message = "secure-delivery: " + e.inFile(file).getMessage();
        LOGGER.error(message);
        return new IllegalStateException(message);
    }

    /**
     * The inbound TLS reports ({@code inbound-reports.*} of the same file), which the {@code
     * InboundTlsReports} mailet keeps and the WebAdmin routes show: one store per James.
     */
    @Provides
    @Singleton
    InboundReportStore inboundReports(SecureDeliveryEngine engine) {
        return engine.inboundReports();
    }

    /** The dashboard's figures: the posture history and the inbound TLS reports, as the JSON routes show them. */
    @Provides
    @Singleton
    DashboardSource dashboardSource(SecureDeliveryEngine engine, InboundReportStore inboundReports) {
        String node = engine.isShared() ? "cluster (this node " + engine.nodeName() + ")" : engine.nodeName();
        return new PostureDashboardSource(
                node,
                engine.posture(),
                inboundReports,
                engine.waitingList(),
                () -> engine.ownDomains().map(watch -> watch.results()).orElse(Map.of()),
                engine.clock());
    }

    // Named as James names its files, relative to its working directory (conf/secure-delivery.properties).
    private static Path configurationFile(FileSystem fileSystem, Path workingDirectory) {
        Path base = workingDirectory.toAbsolutePath().normalize();
        try {
            Path file = fileSystem
                    .getFile(CONFIGURATION_FILE)
                    .toPath()
                    .toAbsolutePath()
                    .normalize();
            return file.startsWith(base) ? base.relativize(file) : file;
        } catch (FileNotFoundException e) {
            return Paths.get("conf", "secure-delivery.properties");
        }
    }

    private static PolicyEngineConfiguration configuration(Path file, Path workingDirectory)
            throws ConfigurationException {
        // Relative paths in the file (the MTA-STS cache, a trust anchor) are relative to James's
        // working directory, as James's own file://conf/... paths are.
        if (!Files.exists(workingDirectory.resolve(file))) {
            LOGGER.info("secure-delivery: no {}, using the defaults", file);
            return PolicyEngineConfiguration.from(new Properties(), workingDirectory);
        }
        return PolicyEngineConfiguration.load(file, workingDirectory);
    }
}
