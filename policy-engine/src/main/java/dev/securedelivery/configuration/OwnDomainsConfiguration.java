package dev.securedelivery.configuration;

import dev.securedelivery.mtasts.DomainNames;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.Optional;
import java.util.Set;

/**
 * The {@code own-domains.*} keys: the self-check of the domains this James receives mail for, as an
 * outside sender sees them (MX, TLSA against the key each MX presents, MTA-STS, TLS-RPT), at start
 * and then every {@code check-interval}; what a certificate's nearness to expiry makes a warning; which
 * MX hosts are this James (its keystore's key is theirs); where James's SMTP server is configured.
 */
public final class OwnDomainsConfiguration {
    public static final String PREFIX = "own-domains.";
    public static final String CHECK = PREFIX + "check";
    public static final String CHECK_INTERVAL = PREFIX + "check-interval";
    public static final String EXPIRY_WARNING = PREFIX + "expiry-warning";
    public static final String MX_HOSTS = PREFIX + "mx-hosts";
    public static final String SMTP_SERVER = PREFIX + "smtp-server";
    public static final String SMTP_PORT = PREFIX + "smtp-port";
    public static final String MAX_DOMAINS = PREFIX + "max-domains";
    static final Set<String> KEYS =
            Set.of(CHECK, CHECK_INTERVAL, EXPIRY_WARNING, MX_HOSTS, SMTP_SERVER, SMTP_PORT, MAX_DOMAINS);

    public static final Duration DEFAULT_CHECK_INTERVAL = Duration.ofHours(1);
    static final Duration MIN_CHECK_INTERVAL = Duration.ofMinutes(1);
    static final Duration MAX_CHECK_INTERVAL = Duration.ofDays(7);
    public static final Duration DEFAULT_EXPIRY_WARNING = Duration.ofDays(14);
    static final Duration MAX_EXPIRY_WARNING = Duration.ofDays(365);
    /** James's SMTP server configuration, under its working directory. */
    public static final Path DEFAULT_SMTP_SERVER = Paths.get("conf", "smtpserver.xml");

    static final int DEFAULT_MAX_DOMAINS = 1_000;

    private final boolean check;
    private final Duration interval;
    private final Duration expiryWarning;
    private final Set<String> mxHosts;
    private final Path smtpServer;
    private final int smtpPort;
    private final int maxDomains;

    private OwnDomainsConfiguration(
            boolean check,
            Duration interval,
            Duration expiryWarning,
            Set<String> mxHosts,
            Path smtpServer,
            int smtpPort,
            int maxDomains) {
        this.check = check;
        this.interval = interval;
        this.expiryWarning = expiryWarning;
        this.mxHosts = Set.copyOf(mxHosts);
        this.smtpServer = smtpServer;
        this.smtpPort = smtpPort;
        this.maxDomains = maxDomains;
    }

    static OwnDomainsConfiguration from(Settings settings) throws ConfigurationException {
        Duration interval = settings.duration(CHECK_INTERVAL, DEFAULT_CHECK_INTERVAL, MAX_CHECK_INTERVAL);
        if (interval.compareTo(MIN_CHECK_INTERVAL) < 0) {
            throw settings.error(
                    CHECK_INTERVAL,
                    "at least " + MIN_CHECK_INTERVAL.toMinutes() + " minute: every check connects to every MX");
        }
        Set<String> hosts = new LinkedHashSet<>();
        Optional<String> listed = settings.string(MX_HOSTS);
        if (listed.isPresent()) {
            for (String host : listed.get().split(",")) {
                if (host.isBlank()) {
                    continue;
                }
                String normalized = DomainNames.normalize(host.trim());
                if (normalized == null) {
                    throw settings.error(MX_HOSTS, "\"" + host.trim() + "\" is not a host name");
                }
                hosts.add(normalized);
            }
        }
        return new OwnDomainsConfiguration(
                settings.bool(CHECK, true),
                interval,
                settings.duration(EXPIRY_WARNING, DEFAULT_EXPIRY_WARNING, MAX_EXPIRY_WARNING),
                hosts,
                settings.path(SMTP_SERVER, DEFAULT_SMTP_SERVER),
                settings.integer(SMTP_PORT, 25, 1, 65535),
                settings.integer(MAX_DOMAINS, DEFAULT_MAX_DOMAINS, 1, 100_000));
    }

    /** Whether the self-check runs. */
    public boolean check() {
        return check;
    }

    public Duration checkInterval() {
        return interval;
    }

    /** A certificate expiring sooner than this is a warning. */
    public Duration expiryWarning() {
        return expiryWarning;
    }

    /** The MX hosts this James is; empty: those whose address is this machine's. */
    public Set<String> mxHosts() {
        return mxHosts;
    }

    /** James's {@code smtpserver.xml}, whose keystore holds the key James presents. */
    public Path smtpServer() {
        return smtpServer;
    }

    /** The port the MX hosts are checked on: 25, other only for tests. */
    public int smtpPort() {
        return smtpPort;
    }

    /** The most domains of James's domain list checked; beyond, the rest are named in the log. */
    public int maxDomains() {
        return maxDomains;
    }
}
