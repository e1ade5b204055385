package dev.securedelivery.selfcheck;

import dev.securedelivery.configuration.OwnDomainsConfiguration;
import dev.securedelivery.configuration.PolicyEngineConfiguration;
import dev.securedelivery.dns.DnsResolver;
import dev.securedelivery.owndomains.DomainCheck;
import dev.securedelivery.owndomains.Finding;
import dev.securedelivery.owndomains.PolicyMemory;
import dev.securedelivery.owndomains.SelfCheck;
import dev.securedelivery.owndomains.Severity;
import dev.securedelivery.owndomains.SmtpServerKeystore;
import dev.securedelivery.smtp.SmtpClient;
import dev.securedelivery.smtp.SmtpLimits;
import dev.securedelivery.smtp.SmtpSettings;
import java.io.Closeable;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import javax.net.ssl.X509TrustManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Our own domains, watched: James's domain list checked as outside senders see it ({@link
 * SelfCheck}), with the key James's keystore holds, at start and then every interval; each new
 * finding that needs action said once in a WARN line, each resolved one in an INFO line; what the
 * last checks found, for the WebAdmin routes, the dashboard and the gauges.
 */
public final class OwnDomainsWatch implements Closeable {
    private static final Logger LOGGER = LoggerFactory.getLogger(OwnDomainsWatch.class);
    /** James has read its domain list by then; while it cannot be had, the check is tried again as often. */
    static final Duration FIRST_CHECK_AFTER = Duration.ofSeconds(30);

    private final OwnDomainsConfiguration configuration;
    private final SelfCheck selfCheck;
    private final Path home;
    private final Clock clock;

    private OwnDomainsWatch(OwnDomainsConfiguration configuration, SelfCheck selfCheck, Path home, Clock clock) {
        this.configuration = configuration;
        this.selfCheck = selfCheck;
        this.home = home;
        this.clock = clock;
    }

    /**
     * The watch of {@code domains} (James's domain list, read at every check), with the DNS resolver
     * and PKIX trust the deliveries use, James's working directory {@code home} (where its {@code
     * smtpserver.xml} is); started at once unless {@code own-domains.check} is false.
     */
    public static OwnDomainsWatch start(
            PolicyEngineConfiguration configuration,
            DnsResolver dns,
            X509TrustManager pkix,
            Supplier<List<String>> domains,
            Path home,
            Clock clock) {
        OwnDomainsConfiguration settings = configuration.ownDomains();
        // Read only where the checks run: a James that does not check reads nothing at start.
        List<X509Certificate> held = settings.check() ? heldCertificate(settings, home) : List.of();
        SmtpClient smtp = new SmtpClient(
                SmtpSettings.of(localName())
                        .withPort(settings.smtpPort())
                        .withLimits(SmtpLimits.DEFAULT
                                .withConnectTimeout(Duration.ofSeconds(10))
                                .withReadTimeout(Duration.ofSeconds(30))
                                .withWriteTimeout(Duration.ofSeconds(30))
                                .withSessionLimit(Duration.ofMinutes(2))),
                pkix,
                clock);
        DomainCheck check = DomainCheck.builder(dns, configuration.mtaStsFetcher(dns), pkix, smtp)
                .clock(clock)
                .expiryWarning(settings.expiryWarning())
                .heldCertificate(held)
                .ourMxHosts(settings.mxHosts())
                .memory(PolicyMemory.remembering())
                .build();
        SelfCheck selfCheck = new SelfCheck(check, domains, settings.maxDomains(), clock, new Logging());
        OwnDomainsWatch watch = new OwnDomainsWatch(settings, selfCheck, home, clock);
        if (settings.check()) {
            selfCheck.start(FIRST_CHECK_AFTER, settings.checkInterval());
            LOGGER.info(
                    "secure-delivery: our domains are checked as senders see them, {} after start and then every {}{}",
                    FIRST_CHECK_AFTER,
                    settings.checkInterval(),
                    held.isEmpty()
                            ? ""
                            : "; the SMTP keystore's key, valid until "
                                    + held.get(0).getNotAfter().toInstant() + ", is checked against the TLSA records");
        } else {
            LOGGER.info(
                    "secure-delivery: the self-check of our domains is off ({} = false)",
                    OwnDomainsConfiguration.CHECK);
        }
        return watch;
    }

    private static List<X509Certificate> heldCertificate(OwnDomainsConfiguration settings, Path home) {
        Path file = home.resolve(settings.smtpServer());
        try {
            return SmtpServerKeystore.read(file, home);
        } catch (SmtpServerKeystore.UnreadableException e) {
            LOGGER.info(
                    "secure-delivery: no key of James's SMTP server to check against the TLSA records ({})",
                    e.getMessage());
            return List.of();
        }
    }

    private static String localName() {
        try {
            return InetAddress.getLocalHost().getCanonicalHostName();
        } catch (UnknownHostException e) {
            return "localhost";
        }
    }

    /** The last check of every domain, by domain; empty before the first ends. */
    public Map<String, SelfCheck.Result> results() {
        return selfCheck.results();
    }

    /** Checks every domain now, on the caller's thread. */
    public void checkNow() {
        selfCheck.runNow();
    }

    /** Whether the checks run. */
    public boolean isOn() {
        return configuration.check();
    }

    /** The certificate chain James's SMTP server holds now, read again from its keystore. */
    public List<X509Certificate> heldCertificate() throws SmtpServerKeystore.UnreadableException {
        return SmtpServerKeystore.read(home.resolve(configuration.smtpServer()), home);
    }

    /** The findings that need action now, over every domain, by severity: for the gauges. */
    public long count(Severity severity) {
        long count = 0;
        for (SelfCheck.Result result : results().values()) {
            for (Finding finding : result.findings().all()) {
                if (finding.severity() == severity) {
                    count++;
                }
            }
        }
        return count;
    }

    /** Whole days until the first certificate a sender sees expires, over every domain; -1 if none is known. */
    public long daysUntilFirstExpiry() {
        Optional<Instant> first = Optional.empty();
        for (SelfCheck.Result result : results().values()) {
            Optional<Instant> expiry = result.findings().firstExpiry();
            if (expiry.isPresent() && (first.isEmpty() || expiry.get().isBefore(first.get()))) {
                first = expiry;
            }
        }
        return first.map(expiry -> Duration.between(clock.instant(), expiry).toDays())
                .orElse(-1L);
    }

    @Override
    public void close() {
        selfCheck.close();
    }

    // Each new finding once: a WARN line is what an administrator's log alerting sees.
    private static final class Logging implements SelfCheck.Listener {
        @Override
        public void found(String domain, Finding finding) {
            LOGGER.warn(
                    "secure-delivery: our domain {}: {} {}: {}{}",
                    domain,
                    finding.severity().label(),
                    finding.about(),
                    finding.message(),
                    finding.fix().map(fix -> "; fix: " + fix).orElse(""));
        }

        @Override
        public void resolved(String domain, Finding finding) {
            LOGGER.info("secure-delivery: our domain {}: resolved: {}: {}", domain, finding.about(), finding.message());
        }

        @Override
        public void domainsUnavailable(String why) {
            LOGGER.info(
                    "secure-delivery: our domains are not checked yet ({}); trying again in {}",
                    why,
                    FIRST_CHECK_AFTER);
        }

        @Override
        public void notChecked(List<String> domains) {
            List<String> shown = new ArrayList<>(domains.subList(0, Math.min(domains.size(), 10)));
            LOGGER.warn(
                    "secure-delivery: {} domain(s) of the domain list not checked ({} at most): {}{}",
                    domains.size(),
                    OwnDomainsConfiguration.MAX_DOMAINS,
                    shown,
                    domains.size() > shown.size() ? " ..." : "");
        }
    }
}
