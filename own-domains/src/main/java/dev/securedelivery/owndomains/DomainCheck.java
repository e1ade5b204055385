package dev.securedelivery.owndomains;

import dev.securedelivery.dns.DnsAnswer;
import dev.securedelivery.dns.DnsResolver;
import dev.securedelivery.dns.DnsStatus;
import dev.securedelivery.mtasts.DomainNames;
import dev.securedelivery.mtasts.FetchedPolicy;
import dev.securedelivery.mtasts.MtaStsDiscovery;
import dev.securedelivery.mtasts.MtaStsFetcher;
import dev.securedelivery.mtasts.MtaStsMode;
import dev.securedelivery.mtasts.MtaStsPolicy;
import dev.securedelivery.mtasts.MtaStsRecord;
import dev.securedelivery.mtasts.MtaStsSyntaxException;
import dev.securedelivery.mtasts.PolicyFetchException;
import dev.securedelivery.reportingpolicy.TlsRptDiscovery;
import dev.securedelivery.smtp.SmtpClient;
import dev.securedelivery.tlsrpt.ResultType;
import java.io.IOException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import javax.net.ssl.X509TrustManager;
import org.xbill.DNS.MXRecord;
import org.xbill.DNS.Name;
import org.xbill.DNS.TXTRecord;
import org.xbill.DNS.TextParseException;
import org.xbill.DNS.Type;

/**
 * One domain as a sender sees it: the {@code _mta-sts} record (RFC 8461 3.1), the policy fetched as
 * a sender fetches it (3.2, 3.3) and its host's certificate, the MX records (DNSSEC-validated), each MX
 * host ({@link MxHostCheck}: the policy's mx patterns, TLSA records against the key it presents on
 * port 25, its certificate), and the {@code _smtp._tls} record (RFC 8460 3). Every lookup and
 * connection is bounded as a delivery's is; a domain with nothing published gets findings that say so,
 * never an error.
 */
public final class DomainCheck {
    /** A certificate expiring sooner than this is a warning: renewals fail, and take time to notice. */
    public static final Duration DEFAULT_EXPIRY_WARNING = Duration.ofDays(14);

    private final DnsResolver dns;
    private final MtaStsFetcher.Builder fetchers;
    private final X509TrustManager pkix;
    private final SmtpClient smtp;
    private final Clock clock;
    private final Duration expiryWarning;
    private final List<X509Certificate> heldCertificate;
    private final Set<String> ourMxHosts;
    private final PolicyMemory memory;

    private DomainCheck(Builder builder) {
        this.dns = Objects.requireNonNull(builder.dns, "dns");
        this.fetchers = Objects.requireNonNull(builder.fetchers, "fetchers");
        this.pkix = Objects.requireNonNull(builder.pkix, "pkix");
        this.smtp = Objects.requireNonNull(builder.smtp, "smtp");
        this.clock = builder.clock;
        this.expiryWarning = builder.expiryWarning;
        this.heldCertificate = builder.heldCertificate;
        this.ourMxHosts = builder.ourMxHosts;
        this.memory = builder.memory;
    }

    /**
     * A check that looks up with {@code dns}, fetches policies with what {@code fetchers} builds (its
     * trust manager replaced by one that judges as {@code pkix} and shows the policy host's
     * certificate), and speaks SMTP to the MX hosts with {@code smtp}.
     */
    public static Builder builder(
            DnsResolver dns, MtaStsFetcher.Builder fetchers, X509TrustManager pkix, SmtpClient smtp) {
        return new Builder(dns, fetchers, pkix, smtp);
    }

    /** What a sender finds at {@code domain} (lower-case A-labels) now. */
    public Findings check(String domain) {
        Findings findings = new Findings(domain);
        MtaStsPolicy policy = mtaSts(domain, findings);
        MxHostCheck hosts = new MxHostCheck(dns, pkix, smtp, clock, expiryWarning, heldCertificate, ourMxHosts, memory);
        for (String host : mxHosts(domain, findings)) {
            hosts.check(domain, host, policy, findings);
        }
        tlsRpt(domain, findings);
        return findings;
    }

    private MtaStsPolicy mtaSts(String domain, Findings findings) {
        String owner = "_mta-sts." + domain;
        List<String> texts = txt(owner, findings);
        if (texts == null) {
            return null;
        }
        List<String> records = texts.stream().filter(MtaStsRecord::isStsRecord).collect(Collectors.toList());
        if (records.isEmpty()) {
            findings.info(
                    owner,
                    "no MTA-STS record: senders apply no MTA-STS to " + domain,
                    "to publish MTA-STS: the policy at " + MtaStsFetcher.policyUrl(domain)
                            + ", then \"v=STSv1; id=<id>\" at " + owner + " (publish " + domain + " gives both)");
            return null;
        }
        if (records.size() > 1) {
            findings.problem(
                    owner,
                    records.size() + " MTA-STS records: senders treat that as no policy (RFC 8461 3.1)",
                    "keep exactly one v=STSv1 record");
            return null;
        }
        MtaStsRecord record;
        try {
            record = MtaStsRecord.parse(records.get(0));
            findings.ok(owner, "id " + record.id() + " (\"" + records.get(0) + "\")");
        } catch (MtaStsSyntaxException e) {
            findings.add(Finding.of(Severity.PROBLEM, owner, e.getMessage(), Fixes.STS_RECORD)
                    .reportedAs(ResultType.STS_POLICY_INVALID));
            return null;
        }
        String url = MtaStsFetcher.policyUrl(domain);
        PresentedCertificates presented = new PresentedCertificates(pkix);
        try (MtaStsFetcher fetcher = fetchers.trustManager(presented).build()) {
            FetchedPolicy fetched = fetcher.fetch(domain);
            MtaStsPolicy policy = fetched.policy();
            findings.ok(
                    url,
                    "mode " + policy.mode() + ", mx " + policy.mxPatterns() + ", max_age " + policy.maxAgeSeconds());
            fetched.warnings().forEach(warning -> findings.info(url, warning));
            modeAndMaxAge(url, policy, findings);
            sameId(domain, url, record.id(), fetched.text(), findings);
            presented.last().ifPresent(chain -> policyHostCertificate(domain, chain.get(0), policy, findings));
            return policy;
        } catch (PolicyFetchException e) {
            ResultType type = e.resultType() == null ? ResultType.STS_POLICY_FETCH_ERROR : e.resultType();
            findings.add(Finding.of(
                            Severity.PROBLEM,
                            url,
                            e.getMessage() + (e.resultType() == null ? "" : " (" + type.reportName() + ")"),
                            Fixes.forType(type))
                    .reportedAs(type));
            return null;
        } catch (IOException e) {
            findings.lookupFailure(url, e.getMessage());
            return null;
        }
    }

    private static void modeAndMaxAge(String url, MtaStsPolicy policy, Findings findings) {
        if (policy.mode() == MtaStsMode.TESTING) {
            findings.info(
                    url,
                    "mode testing: senders report failures but still deliver",
                    "switch to mode: enforce (and a new id) once a week of TLS reports shows no failure and this"
                            + " check finds no problem");
        } else if (policy.mode() == MtaStsMode.NONE) {
            findings.info(url, "mode none: the policy is withdrawn");
        }
        if (policy.maxAgeSeconds() < Duration.ofDays(7).toSeconds() && policy.mode() != MtaStsMode.NONE) {
            findings.info(
                    url,
                    "max_age under a week: a policy protects only while senders have it cached",
                    "use weeks (RFC 8461 3.2 suggests 604800 or more)");
        }
    }

    // RFC 8461 3.1: a changed policy MUST come with a new id, or senders that cached it keep the old one.
    private void sameId(String domain, String url, String id, String text, Findings findings) {
        Optional<PolicyMemory.Seen> last = memory.last(domain);
        if (last.isPresent() && last.get().id.equals(id) && !last.get().text.equals(text)) {
            findings.add(Finding.of(
                            Severity.PROBLEM,
                            url,
                            "the policy changed under the same id " + id
                                    + ": senders that cached it keep the old one until its max_age ends",
                            "publish a new id at _mta-sts." + domain
                                    + " (RFC 8461 3.1: it MUST change with the policy)")
                    .reportedAs(ResultType.STS_POLICY_INVALID));
        }
        memory.remember(domain, id, text);
    }

    // A policy host whose certificate expires takes the policy with it: senders can no longer refresh
    // it, and drop it when their cached copy's max_age ends.
    private void policyHostCertificate(String domain, X509Certificate leaf, MtaStsPolicy policy, Findings findings) {
        String about = "mta-sts." + domain + " (the policy host)";
        Instant now = clock.instant();
        Instant expires = leaf.getNotAfter().toInstant();
        long days = Duration.between(now, expires).toDays();
        findings.certificateExpires(expires);
        Duration maxAge = Duration.ofSeconds(policy.maxAgeSeconds());
        if (now.isAfter(expires)) {
            findings.add(Finding.of(
                            Severity.PROBLEM,
                            about,
                            "the certificate expired " + (-days) + " days ago",
                            "renew the policy host's certificate")
                    .reportedAs(ResultType.STS_WEBPKI_INVALID));
        } else if (Duration.between(now, expires).compareTo(expiryWarning) < 0
                || (policy.mode() == MtaStsMode.ENFORCE
                        && Duration.between(now, expires).compareTo(maxAge) < 0)) {
            findings.warning(
                    about,
                    "the certificate expires " + expires + " (in " + days + " days), within the policy's max_age of "
                            + maxAge.toDays() + " days: senders that cannot fetch the policy again lose it when their"
                            + " copy expires",
                    "renew the policy host's certificate before " + expires);
        } else {
            findings.ok(about, "certificate valid until " + expires + " (" + days + " days)");
        }
    }

    /** The MX host names, sorted by preference: the domain itself where it has no MX records. */
    private List<String> mxHosts(String domain, Findings findings) {
        DnsAnswer answer = dns.lookupNow(name(domain), Type.MX);
        if (!answered(answer, domain + " MX", findings)) {
            return List.of();
        }
        if (!answer.nameExists()) {
            findings.problem(domain, "no such domain (NXDOMAIN)", "check the name");
            return List.of();
        }
        List<MXRecord> records = new ArrayList<>(answer.records(MXRecord.class));
        records.sort(Comparator.comparingInt(MXRecord::getPriority));
        boolean secure = answer.status() == DnsStatus.SECURE;
        List<String> hosts = new ArrayList<>();
        for (MXRecord record : records) {
            if (record.getTarget().equals(Name.root)) {
                // RFC 7505: a null MX; the domain accepts no mail.
                findings.problem(
                        domain + " MX",
                        "null MX (RFC 7505): the domain accepts no mail",
                        "remove the null MX record if the domain should receive mail");
                return List.of();
            }
            String host = DomainNames.normalize(record.getTarget().toString(true));
            if (host == null) {
                findings.problem(
                        domain + " MX",
                        record.getTarget() + " is not a host name",
                        "point the MX record at a host name (RFC 5321 2.3.5)");
            } else {
                hosts.add(host);
            }
        }
        if (hosts.isEmpty()) {
            findings.info(
                    domain + " MX",
                    "no MX records: senders use the domain's own addresses (RFC 5321 5.1)",
                    "publish MX records");
            hosts.add(domain);
        } else {
            findings.ok(
                    domain + " MX",
                    String.join(", ", hosts)
                            + (secure
                                    ? " (DNSSEC-signed)"
                                    : " (not DNSSEC-signed: DANE cannot apply, RFC 7672 2.2.1)"));
        }
        return hosts;
    }

    private void tlsRpt(String domain, Findings findings) {
        String owner = "_smtp._tls." + domain;
        TlsRptDiscovery.Result found = new TlsRptDiscovery(dns).discoverNow(domain);
        switch (found.kind()) {
            case FOUND:
                findings.ok(
                        owner, "reports go to " + found.record().orElseThrow().reportUris());
                break;
            case NONE:
                findings.info(
                        owner,
                        "no TLS-RPT record: senders send you no reports of failed TLS",
                        Fixes.tlsRptRecord("tlsrpt@" + domain) + ", at " + owner);
                break;
            case INVALID:
                // Several records, or an invalid one: senders send no reports (RFC 8460 3).
                findings.problem(
                        owner, found.reason() + ": senders send no reports", Fixes.tlsRptRecord("tlsrpt@" + domain));
                break;
            default:
                MxHostCheck.lookupFailed(found, owner, findings);
        }
    }

    /** The TXT strings at {@code owner} (each record's strings joined), or null after a finding about why not. */
    private List<String> txt(String owner, Findings findings) {
        DnsAnswer answer = dns.lookupNow(name(owner), Type.TXT);
        if (!answered(answer, owner, findings)) {
            return null;
        }
        List<String> texts = new ArrayList<>();
        for (TXTRecord record : answer.records(TXTRecord.class)) {
            // As the engine reads it: the raw bytes, not the escaped presentation form.
            texts.add(MtaStsDiscovery.joined(record));
        }
        return texts;
    }

    // Whether the answer can be read; a bogus one is a problem, a failed one a lookup failure.
    static boolean answered(DnsAnswer answer, String about, Findings findings) {
        switch (answer.status()) {
            case BOGUS:
                findings.add(Finding.of(
                                Severity.PROBLEM,
                                about,
                                "DNSSEC validation failed (bogus): " + answer.failureReason(),
                                Fixes.forType(ResultType.DNSSEC_INVALID))
                        .reportedAs(ResultType.DNSSEC_INVALID));
                return false;
            case FAILED:
                findings.lookupFailure(about, answer.failureReason());
                return false;
            default:
                return true;
        }
    }

    static Name name(String text) {
        try {
            return Name.fromString(text.endsWith(".") ? text : text + ".");
        } catch (TextParseException e) {
            throw new IllegalArgumentException(text, e);
        }
    }

    /** The settings of a check; every one but the four of {@link #builder} has a default. */
    public static final class Builder {
        private final DnsResolver dns;
        private final MtaStsFetcher.Builder fetchers;
        private final X509TrustManager pkix;
        private final SmtpClient smtp;
        private Clock clock = Clock.systemUTC();
        private Duration expiryWarning = DEFAULT_EXPIRY_WARNING;
        private List<X509Certificate> heldCertificate = List.of();
        private Set<String> ourMxHosts = Set.of();
        private PolicyMemory memory = PolicyMemory.NONE;

        private Builder(DnsResolver dns, MtaStsFetcher.Builder fetchers, X509TrustManager pkix, SmtpClient smtp) {
            this.dns = dns;
            this.fetchers = fetchers;
            this.pkix = pkix;
            this.smtp = smtp;
        }

        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /** A certificate expiring sooner than this is a warning (14 days by default). */
        public Builder expiryWarning(Duration warning) {
            this.expiryWarning = Objects.requireNonNull(warning, "warning");
            return this;
        }

        /**
         * The certificate chain this James's SMTP server holds now (its keystore), leaf first: a key
         * there that the TLSA records of our MX hosts do not match yet is a key change to prepare.
         */
        public Builder heldCertificate(List<X509Certificate> chain) {
            this.heldCertificate = List.copyOf(chain);
            return this;
        }

        /**
         * The MX hosts this James is (the held certificate is theirs); by default, those whose address
         * is one of this machine's.
         */
        public Builder ourMxHosts(Set<String> hosts) {
            this.ourMxHosts = Set.copyOf(hosts);
            return this;
        }

        /** Remembers each domain's policy across checks, to see one changed under the same id. */
        public Builder memory(PolicyMemory memory) {
            this.memory = Objects.requireNonNull(memory, "memory");
            return this;
        }

        public DomainCheck build() {
            return new DomainCheck(this);
        }
    }
}
