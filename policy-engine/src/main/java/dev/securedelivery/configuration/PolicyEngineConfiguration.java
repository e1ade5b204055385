package dev.securedelivery.configuration;

import dev.securedelivery.dns.DnsCache;
import dev.securedelivery.dns.DnsResolver;
import dev.securedelivery.dns.DnssecValidation;
import dev.securedelivery.mtasts.DomainNames;
import dev.securedelivery.mtasts.FetchListener;
import dev.securedelivery.mtasts.MtaStsEngine;
import dev.securedelivery.mtasts.MtaStsEngineBuilder;
import dev.securedelivery.mtasts.MtaStsFetcher;
import dev.securedelivery.mtasts.PolicyCache;
import dev.securedelivery.policy.DeliveryPolicy;
import dev.securedelivery.policy.DomainOverride;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.time.Clock;
import java.time.Duration;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;
import org.xbill.DNS.Resolver;
import org.xbill.DNS.SimpleResolver;

/**
 * The keys of the configuration file that set up DNS and the MTA-STS engine, read and checked at
 * once. docs/operations.md lists them with their defaults.
 */
public final class PolicyEngineConfiguration {
    public static final String DNS_SERVERS = "dns.servers";
    public static final String DNS_TIMEOUT = "dns.timeout";
    public static final String DNS_DNSSEC = "dns.dnssec";
    public static final String DNS_TRUST_ANCHOR = "dns.trust-anchor";
    public static final String DNS_CACHE_MAX_ENTRIES = "dns.cache.max-entries";
    public static final String DNS_CACHE_MAX_MIB = "dns.cache.max-mib";
    public static final String CACHE_DIRECTORY = "mta-sts.cache.directory";
    public static final String CACHE_MAX_ENTRIES = "mta-sts.cache.max-entries";
    public static final String CACHE_MAX_MIB = "mta-sts.cache.max-mib";
    public static final String CACHE_MAX_DISK_MIB = "mta-sts.cache.max-disk-mib";
    public static final String CACHE_IDLE_EVICTION = "mta-sts.cache.idle-eviction";
    public static final String REFRESH_INTERVAL = "mta-sts.refresh-interval";
    public static final String LOOKUP_TIMEOUT = "mta-sts.lookup-timeout";
    public static final String UPDATE_THREADS = "mta-sts.update-threads";
    public static final String SLOW_FETCH_THREADS = "mta-sts.slow-fetch-threads";
    public static final String CONNECT_TIMEOUT = "mta-sts.fetch.connect-timeout";
    public static final String READ_TIMEOUT = "mta-sts.fetch.read-timeout";
    public static final String FETCH_TIMEOUT = "mta-sts.fetch.timeout";
    /** For tests only: RFC 8461 3.3 fixes the policy host's port at 443. */
    public static final String FETCH_PORT = "mta-sts.fetch.port";
    /** The CAs trusted for PKIX: MTA-STS policy fetches and PKIX-verified SMTP connections. */
    public static final String TRUSTED_CERTIFICATES = "tls.trusted-certificates";

    /** {@code tls-policy.<domain> = dane-only | mta-sts-enforce | require-tls | opportunistic | none}. */
    public static final String TLS_POLICY_PREFIX = "tls-policy.";

    public static final Duration DEFAULT_DNS_TIMEOUT = Duration.ofSeconds(5);

    // The largest values the keys take: beyond them a value is a typo (an extra zero, d for s), and
    // would overflow the milliseconds and ints the engine counts in.
    static final Duration MAX_DNS_TIMEOUT = Duration.ofMinutes(1);
    static final Duration MAX_FETCH_TIMEOUT = Duration.ofMinutes(10);
    static final Duration MAX_LOOKUP_TIMEOUT = Duration.ofMinutes(10);
    /** RFC 8461 3.2: max_age is at most 31557600 seconds, about a year. */
    static final Duration MAX_CACHE_PERIOD = Duration.ofDays(366);

    static final int MAX_CACHE_ENTRIES = 10_000_000;
    private static final long MEBIBYTE = 1024 * 1024;
    /** 64 GiB: a bound that a typo (a count of bytes given as mebibytes) cannot pass. */
    static final int MAX_CACHE_MEBIBYTES = 65_536;

    static final int MAX_UPDATE_THREADS = 256;
    static final int MAX_SLOW_FETCH_THREADS = 4096;

    static final Set<String> DNS_KEYS =
            Set.of(DNS_SERVERS, DNS_TIMEOUT, DNS_DNSSEC, DNS_TRUST_ANCHOR, DNS_CACHE_MAX_ENTRIES, DNS_CACHE_MAX_MIB);

    /** How answers get their DNSSEC status ({@code dns.dnssec}). */
    public enum DnssecMode {
        /** Validated in the JVM by dnsjava from {@code dns.trust-anchor}. */
        VALIDATE("validate"),
        /** The AD flag of the validating resolvers in {@code dns.servers}, all on loopback addresses. */
        TRUST_LOOPBACK_AD("trust-loopback-ad");

        private final String keyword;

        DnssecMode(String keyword) {
            this.keyword = keyword;
        }
    }

    static final Set<String> MTA_STS_KEYS = Set.of(
            CACHE_DIRECTORY,
            CACHE_MAX_ENTRIES,
            CACHE_MAX_MIB,
            CACHE_MAX_DISK_MIB,
            CACHE_IDLE_EVICTION,
            REFRESH_INTERVAL,
            LOOKUP_TIMEOUT,
            UPDATE_THREADS,
            SLOW_FETCH_THREADS,
            CONNECT_TIMEOUT,
            READ_TIMEOUT,
            FETCH_TIMEOUT,
            FETCH_PORT);
    static final Set<String> TLS_KEYS = Set.of(TRUSTED_CERTIFICATES);

    private final Optional<Path> file;
    private final List<InetSocketAddress> dnsServers;
    private final Duration dnsTimeout;
    private final DnssecMode dnssecMode;
    private final byte[] trustAnchors;
    private final int dnsCacheEntries;
    private final int dnsCacheMebibytes;
    private final Optional<Path> cacheDirectory;
    private final int maxEntries;
    private final int cacheMebibytes;
    private final int diskMebibytes;
    private final Duration idleEviction;
    private final Duration refreshInterval;
    private final Duration lookupTimeout;
    private final int updateThreads;
    private final int slowFetchThreads;
    private final Duration connectTimeout;
    private final Duration readTimeout;
    private final Duration fetchTimeout;
    private final int fetchPort;
    // Resolved once: the JDK's trust store is read at start-up, not again for each user.
    private final X509TrustManager trustManager;
    private final Map<String, DomainOverride> overrides;
    private final TlsReportingConfiguration tlsReports;
    private final InboundReportsConfiguration inboundReports;
    private final PostureConfiguration posture;
    private final StoreConfiguration store;
    private final OwnDomainsConfiguration ownDomains;

    /** Every key the file may hold but the per-domain {@code tls-policy.<domain>} ones, in order. */
    public static Set<String> keys() {
        Set<String> known = new TreeSet<>();
        known.addAll(DNS_KEYS);
        known.addAll(MTA_STS_KEYS);
        known.addAll(TLS_KEYS);
        known.addAll(TlsReportingConfiguration.KEYS);
        known.addAll(InboundReportsConfiguration.KEYS);
        known.addAll(PostureConfiguration.KEYS);
        known.addAll(StoreConfiguration.KEYS);
        known.addAll(OwnDomainsConfiguration.KEYS);
        return Collections.unmodifiableSet(known);
    }

    private PolicyEngineConfiguration(Settings settings) throws ConfigurationException {
        this.file = settings.file();
        settings.rejectUnknownKeys(keys(), TLS_POLICY_PREFIX);
        this.dnsServers = settings.socketAddresses(DNS_SERVERS, 53);
        this.dnsTimeout = settings.duration(DNS_TIMEOUT, DEFAULT_DNS_TIMEOUT, MAX_DNS_TIMEOUT);
        this.dnssecMode = dnssecMode(settings);
        if (dnssecMode == DnssecMode.TRUST_LOOPBACK_AD) {
            if (dnsServers.isEmpty()) {
                throw settings.error(DNS_SERVERS, "trust-loopback-ad needs the loopback resolvers listed here");
            }
            for (InetSocketAddress server : dnsServers) {
                if (!server.getAddress().isLoopbackAddress()) {
                    throw settings.error(
                            DNS_SERVERS,
                            "with dns.dnssec = trust-loopback-ad every server must be" + " on a loopback address, and "
                                    + server.getAddress().getHostAddress() + " is not");
                }
            }
        }
        this.trustAnchors = trustAnchors(settings);
        this.dnsCacheEntries = settings.integer(DNS_CACHE_MAX_ENTRIES, 10_000, 1, MAX_CACHE_ENTRIES);
        this.dnsCacheMebibytes = settings.integer(DNS_CACHE_MAX_MIB, 64, 1, MAX_CACHE_MEBIBYTES);
        this.cacheDirectory = settings.path(CACHE_DIRECTORY);
        this.maxEntries = settings.integer(CACHE_MAX_ENTRIES, 100_000, 1, MAX_CACHE_ENTRIES);
        this.cacheMebibytes = settings.integer(CACHE_MAX_MIB, 64, 1, MAX_CACHE_MEBIBYTES);
        this.diskMebibytes = settings.integer(CACHE_MAX_DISK_MIB, 256, 1, MAX_CACHE_MEBIBYTES);
        this.idleEviction = settings.duration(CACHE_IDLE_EVICTION, Duration.ofDays(30), MAX_CACHE_PERIOD);
        this.refreshInterval = settings.duration(REFRESH_INTERVAL, Duration.ofDays(1), MAX_CACHE_PERIOD);
        this.lookupTimeout = settings.duration(LOOKUP_TIMEOUT, Duration.ofSeconds(30), MAX_LOOKUP_TIMEOUT);
        this.updateThreads =
                settings.integer(UPDATE_THREADS, MtaStsEngine.DEFAULT_UPDATE_THREADS, 1, MAX_UPDATE_THREADS);
        this.slowFetchThreads = settings.integer(
                SLOW_FETCH_THREADS, MtaStsEngine.DEFAULT_SLOW_FETCH_THREADS, 0, MAX_SLOW_FETCH_THREADS);
        this.connectTimeout =
                settings.duration(CONNECT_TIMEOUT, MtaStsFetcher.DEFAULT_CONNECT_TIMEOUT, MAX_FETCH_TIMEOUT);
        this.readTimeout = settings.duration(READ_TIMEOUT, MtaStsFetcher.DEFAULT_READ_TIMEOUT, MAX_FETCH_TIMEOUT);
        this.fetchTimeout = settings.duration(FETCH_TIMEOUT, MtaStsFetcher.DEFAULT_FETCH_TIMEOUT, MAX_FETCH_TIMEOUT);
        this.fetchPort = settings.integer(FETCH_PORT, 443, 1, 65535);
        Optional<Path> certificates = settings.path(TRUSTED_CERTIFICATES);
        this.trustManager = certificates.isEmpty()
                ? MtaStsFetcher.defaultTrustManager()
                : trustManagerFrom(settings, TRUSTED_CERTIFICATES, certificates.get());
        this.overrides = overrides(settings);
        this.tlsReports = TlsReportingConfiguration.from(settings);
        this.inboundReports = InboundReportsConfiguration.from(settings);
        this.posture = PostureConfiguration.from(settings);
        this.store = StoreConfiguration.from(settings, tlsReports.nodeName());
        this.ownDomains = OwnDomainsConfiguration.from(settings);
    }

    private static Map<String, DomainOverride> overrides(Settings settings) throws ConfigurationException {
        Map<String, DomainOverride> overrides = new TreeMap<>();
        Map<String, String> keyOfDomain = new TreeMap<>();
        for (String key : settings.keysStartingWith(TLS_POLICY_PREFIX)) {
            String domain = key.substring(TLS_POLICY_PREFIX.length());
            // The form the engine looks domains up in (lower-case A-labels, no trailing dot).
            String normalized = DomainNames.normalize(domain);
            if (normalized == null) {
                throw settings.error(
                        key,
                        "expected tls-policy.<domain>, and " + ConfigurationException.quote(domain)
                                + " is not a domain name");
            }
            String earlier = keyOfDomain.putIfAbsent(normalized, key);
            if (earlier != null) {
                // Example.com, example.com. and the U-label form are one domain: which should win?
                throw settings.error(key, "names the domain " + normalized + ", as " + earlier + " does; keep one");
            }
            String expected = "dane-only, mta-sts-enforce, require-tls, opportunistic or none";
            String value = settings.string(key, expected).orElse("");
            DomainOverride override = DomainOverride.fromKeyword(value)
                    .orElseThrow(() -> settings.error(
                            key, "expected " + expected + ", got " + ConfigurationException.quote(value)));
            overrides.put(normalized, override);
        }
        return overrides;
    }

    /** Reads and checks {@code properties}. */
    public static PolicyEngineConfiguration from(Properties properties) throws ConfigurationException {
        return new PolicyEngineConfiguration(new Settings(properties));
    }

    /** Reads and checks {@code properties}; relative paths in them are relative to {@code baseDirectory}. */
    public static PolicyEngineConfiguration from(Properties properties, Path baseDirectory)
            throws ConfigurationException {
        return new PolicyEngineConfiguration(new Settings(properties, baseDirectory));
    }

    /**
     * As {@link #from(Properties, Path)}, for properties read from {@code file} (see {@link
     * ConfigurationFile#read}) and perhaps adjusted: errors name {@code file}.
     */
    public static PolicyEngineConfiguration from(Properties properties, Path baseDirectory, Path file)
            throws ConfigurationException {
        return new PolicyEngineConfiguration(new Settings(properties, baseDirectory, file));
    }

    /**
     * Reads and checks a properties file (UTF-8, see {@link ConfigurationFile}); relative paths are
     * relative to the current directory.
     */
    public static PolicyEngineConfiguration load(Path file) throws ConfigurationException {
        return from(ConfigurationFile.read(file), null, file);
    }

    /**
     * Reads and checks a properties file (UTF-8, see {@link ConfigurationFile}); {@code file}, if
     * relative, and relative paths in it are relative to {@code baseDirectory}. Errors name the file
     * as given (James's {@code conf/secure-delivery.properties}).
     */
    public static PolicyEngineConfiguration load(Path file, Path baseDirectory) throws ConfigurationException {
        return from(ConfigurationFile.read(baseDirectory.resolve(file), file), baseDirectory, file);
    }

    /** The file these settings were read from, which errors name; empty if they came from no file. */
    public Optional<Path> file() {
        return file;
    }

    /**
     * The resolver the {@code dns.*} keys describe: DNSSEC-validating (in the JVM or by a loopback
     * resolver), with a cache.
     *
     * @throws ConfigurationException if the trust anchors cannot be used
     */
    public DnsResolver dnsResolver(Clock clock) throws ConfigurationException {
        DnsResolver resolver;
        if (dnssecMode == DnssecMode.TRUST_LOOPBACK_AD) {
            resolver = DnssecValidation.trustingLoopbackValidator(dnsServers, dnsTimeout);
        } else {
            Resolver upstream = dnsServers.isEmpty()
                    ? DnsResolver.systemUpstream(dnsTimeout)
                    : DnsResolver.upstreamFor(dnsServers, dnsTimeout);
            try {
                // The validator's own DS and DNSKEY queries count against the lookup: give it room.
                resolver = DnssecValidation.validating(upstream, trustAnchors, clock, dnsTimeout.multipliedBy(3));
            } catch (IOException e) {
                throw new ConfigurationException(
                        file.orElse(null), DNS_TRUST_ANCHOR, "unusable trust anchors: " + e.getMessage(), e);
            }
        }
        return resolver.withCache(new DnsCache(dnsCacheEntries, dnsCacheMebibytes * MEBIBYTE, clock));
    }

    /**
     * Whom to trust for PKIX: the certificates of {@code tls.trusted-certificates}, else the JDK's
     * default trust store.
     */
    public X509TrustManager pkixTrustManager() {
        return trustManager;
    }

    /** The per-domain overrides of the {@code tls-policy.*} keys, by lower-case A-label domain. */
    public Map<String, DomainOverride> overrides() {
        return overrides;
    }

    /** The {@code tls-reports.*} keys: RFC 8460 reports. */
    public TlsReportingConfiguration tlsReports() {
        return tlsReports;
    }

    /** The {@code inbound-reports.*} keys: the RFC 8460 reports others send us. */
    /** The self-check of our own domains. */
    public OwnDomainsConfiguration ownDomains() {
        return ownDomains;
    }

    public InboundReportsConfiguration inboundReports() {
        return inboundReports;
    }

    /** The {@code store} keys: where what the nodes of a cluster share is kept. */
    public StoreConfiguration store() {
        return store;
    }

    /** The {@code posture.*} keys: the posture history. */
    public PostureConfiguration posture() {
        return posture;
    }

    /**
     * The delivery policy these settings describe, with {@code fetches} told of every MTA-STS policy
     * fetch. The MTA-STS cache directory is created now if missing.
     *
     * @throws ConfigurationException if the trust anchors or the cache directory cannot be used
     */
    public DeliveryPolicy deliveryPolicy(Clock clock, FetchListener fetches)
            throws ConfigurationException, IOException {
        return deliveryPolicy(clock, fetches, null);
    }

    /**
     * {@link #deliveryPolicy(Clock, FetchListener)}, its MTA-STS policies kept in {@code sharedPolicies}
     * (the cache the nodes of a cluster share) instead of {@code mta-sts.cache.directory}.
     *
     * @param sharedPolicies the shared cache, or null for this node's own
     */
    public DeliveryPolicy deliveryPolicy(Clock clock, FetchListener fetches, PolicyCache sharedPolicies)
            throws ConfigurationException, IOException {
        DnsResolver dns = dnsResolver(clock);
        if (cacheDirectory.isPresent() && sharedPolicies == null) {
            ConfiguredFiles.prepareDirectory(file.orElse(null), CACHE_DIRECTORY, cacheDirectory.get());
        }
        MtaStsEngine engine;
        try {
            MtaStsEngineBuilder builder =
                    mtaStsEngine(dns, mtaStsFetcher(dns).build()).clock(clock).fetchListener(fetches);
            if (sharedPolicies != null) {
                builder.policyCache(sharedPolicies);
            }
            engine = builder.build();
        } catch (IOException e) {
            throw new ConfigurationException(
                    file.orElse(null),
                    CACHE_DIRECTORY,
                    "cannot use the directory " + cacheDirectory.orElse(null) + ": " + ConfiguredFiles.describe(e),
                    e);
        }
        return new DeliveryPolicy(dns, engine, overrides);
    }

    public DnssecMode dnssecMode() {
        return dnssecMode;
    }

    private static DnssecMode dnssecMode(Settings settings) throws ConfigurationException {
        String expected = "validate or trust-loopback-ad";
        Optional<String> value = settings.string(DNS_DNSSEC, expected);
        if (value.isEmpty()) {
            return DnssecMode.VALIDATE;
        }
        for (DnssecMode mode : DnssecMode.values()) {
            if (mode.keyword.equalsIgnoreCase(value.get())) {
                return mode;
            }
        }
        throw settings.error(DNS_DNSSEC, "expected " + expected + ", got " + ConfigurationException.quote(value.get()));
    }

    private static byte[] trustAnchors(Settings settings) throws ConfigurationException {
        Optional<Path> path = settings.path(DNS_TRUST_ANCHOR);
        if (path.isEmpty()) {
            return DnssecValidation.rootTrustAnchors();
        }
        byte[] anchors = ConfiguredFiles.read(settings.file().orElse(null), DNS_TRUST_ANCHOR, path.get());
        try {
            // Parsed now, so that a bad file stops the start rather than the first delivery.
            DnssecValidation.validating(new SimpleResolver(), anchors, Clock.systemUTC(), Duration.ofSeconds(1));
            return anchors;
        } catch (IOException | RuntimeException e) {
            // dnsjava's zone-file parser says what it could not parse; it may fail unchecked on odd input.
            throw settings.error(
                    DNS_TRUST_ANCHOR,
                    "cannot use " + path.get() + ": expected DS or DNSKEY records in" + " zone-file syntax ("
                            + ConfiguredFiles.innermostMessage(e) + ")",
                    e);
        }
    }

    /** A policy fetcher with the {@code mta-sts.fetch.*} settings applied; the caller may adjust it and build. */
    public MtaStsFetcher.Builder mtaStsFetcher(DnsResolver dns) {
        MtaStsFetcher.Builder builder = MtaStsFetcher.builder(dns)
                .connectTimeout(connectTimeout)
                .readTimeout(readTimeout)
                .fetchTimeout(fetchTimeout)
                .maxConcurrentFetches(MtaStsEngine.concurrentFetches(updateThreads, slowFetchThreads))
                .port(fetchPort)
                .trustManager(trustManager);
        return builder;
    }

    /**
     * An engine builder with the {@code mta-sts.*} settings applied, fetching with {@code fetcher}
     * (see {@link #mtaStsFetcher}); the caller may adjust it and build.
     */
    public MtaStsEngineBuilder mtaStsEngine(DnsResolver dns, MtaStsFetcher fetcher) {
        MtaStsEngineBuilder builder = MtaStsEngine.builder(dns)
                .fetcher(fetcher)
                .maxEntries(maxEntries)
                .maxBytes(cacheMebibytes * MEBIBYTE)
                .maxStoreBytes(diskMebibytes * MEBIBYTE)
                .idleEviction(idleEviction)
                .refreshInterval(refreshInterval)
                .lookupTimeout(lookupTimeout)
                .updateThreads(updateThreads)
                .slowFetchThreads(slowFetchThreads);
        cacheDirectory.ifPresent(builder::cacheDirectory);
        return builder;
    }

    public List<InetSocketAddress> dnsServers() {
        return dnsServers;
    }

    public Optional<Path> cacheDirectory() {
        return cacheDirectory;
    }

    /** {@code mta-sts.cache.max-entries}: the most MTA-STS answers cached, and policies a shared cache keeps. */
    public int mtaStsCacheEntries() {
        return maxEntries;
    }

    // A PEM bundle, as administrators keep CA files; it replaces the JDK's trust store.
    private static X509TrustManager trustManagerFrom(Settings settings, String key, Path file)
            throws ConfigurationException {
        byte[] pem = ConfiguredFiles.read(settings.file().orElse(null), key, file);
        Collection<? extends Certificate> certificates;
        try {
            certificates = CertificateFactory.getInstance("X.509").generateCertificates(new ByteArrayInputStream(pem));
        } catch (GeneralSecurityException | RuntimeException e) {
            throw settings.error(
                    key,
                    "expected a file of PEM certificates, and " + file + " is not one ("
                            + ConfiguredFiles.innermostMessage(e) + ")",
                    e);
        }
        if (certificates.isEmpty()) {
            throw settings.error(key, "expected a file of PEM certificates, and " + file + " holds no certificate");
        }
        try {
            KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
            store.load(null, null);
            int index = 0;
            for (Certificate certificate : certificates) {
                store.setCertificateEntry("ca-" + index++, certificate);
            }
            TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            factory.init(store);
            for (TrustManager manager : factory.getTrustManagers()) {
                if (manager instanceof X509TrustManager) {
                    return (X509TrustManager) manager;
                }
            }
            throw settings.error(key, "the JDK offers no X.509 trust manager");
        } catch (GeneralSecurityException | IOException e) {
            throw settings.error(
                    key, "cannot build a trust store from " + file + ": " + ConfiguredFiles.innermostMessage(e), e);
        }
    }
}
