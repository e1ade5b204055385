package dev.securedelivery.cli;

import dev.securedelivery.configuration.ConfigurationException;
import dev.securedelivery.configuration.PolicyEngineConfiguration;
import dev.securedelivery.dane.DaneLookup;
import dev.securedelivery.dane.DaneRequirement;
import dev.securedelivery.dane.DaneVerification;
import dev.securedelivery.dane.DaneVerifier;
import dev.securedelivery.dane.ReferenceIdentifiers;
import dev.securedelivery.dane.TlsaRecord;
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
import dev.securedelivery.policy.MxHostPlan;
import dev.securedelivery.policy.TlsRequirement;
import dev.securedelivery.reportingpolicy.TlsRptDiscovery;
import dev.securedelivery.smtp.DeliveryAttempt;
import dev.securedelivery.smtp.PkixFailure;
import dev.securedelivery.smtp.SmtpClient;
import dev.securedelivery.tlsrpt.ResultType;
import java.io.IOException;
import java.net.InetAddress;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import javax.net.ssl.X509TrustManager;
import org.xbill.DNS.MXRecord;
import org.xbill.DNS.Name;
import org.xbill.DNS.TXTRecord;
import org.xbill.DNS.TextParseException;
import org.xbill.DNS.Type;

/**
 * {@code verify DOMAIN}: the domain owner's view of their set-up, as senders will see it: the
 * {@code _mta-sts} record (RFC 8461 3.1), the policy fetch and its validity (3.2, 3.3), every MX
 * covered by the policy (4.1), each MX's certificate (name, chain, expiry, PKIX), its TLSA records
 * against what it presents (RFC 7672 3), and the {@code _smtp._tls} records (RFC 8460 3): the
 * domain's, and each DANE MX host's TLSA base domain's, where that host's DANE reports go (4.4).
 */
final class Verify {
    /** A certificate expiring sooner than this is a problem: renewals fail, and take time to notice. */
    static final Duration EXPIRY_WARNING = Duration.ofDays(14);

    private static final long LOOKUP_SECONDS = 60;

    private Verify() {}

    static Report run(String argument, PolicyEngineConfiguration configuration, int smtpPort)
            throws SecureDeliveryCli.InvalidInputException {
        String domain = SecureDeliveryCli.domainArgument(argument);
        Clock clock = Clock.systemUTC();
        DnsResolver dns;
        try {
            dns = configuration.dnsResolver(clock);
        } catch (ConfigurationException e) {
            throw new SecureDeliveryCli.InvalidInputException(e.getMessage());
        }
        Report report = new Report("verify", domain);
        MtaStsPolicy policy = mtaSts(domain, dns, configuration, report);
        X509TrustManager pkix = configuration.pkixTrustManager();
        mxHosts(domain, dns, policy, pkix, Plans.smtpClient(pkix, smtpPort, clock), clock, report);
        tlsRpt(domain, dns, report);
        return report;
    }

    private static MtaStsPolicy mtaSts(
            String domain, DnsResolver dns, PolicyEngineConfiguration configuration, Report report) {
        String owner = "_mta-sts." + domain;
        List<String> texts = txt(dns, owner, report);
        if (texts == null) {
            return null;
        }
        List<String> records = texts.stream().filter(MtaStsRecord::isStsRecord).collect(Collectors.toList());
        if (records.isEmpty()) {
            report.info(
                    owner,
                    "no MTA-STS record: senders apply no MTA-STS to " + domain,
                    "to publish MTA-STS: the policy at " + MtaStsFetcher.policyUrl(domain)
                            + ", then \"v=STSv1; id=<id>\" at " + owner);
            return null;
        }
        if (records.size() > 1) {
            report.problem(
                    owner,
                    records.size() + " MTA-STS records: senders treat that as no policy (RFC 8461 3.1)",
                    "keep exactly one v=STSv1 record");
            return null;
        }
        try {
            MtaStsRecord record = MtaStsRecord.parse(records.get(0));
            report.ok(owner, "id " + record.id() + " (\"" + records.get(0) + "\")");
        } catch (MtaStsSyntaxException e) {
            report.problem(owner, e.getMessage(), Fixes.STS_RECORD);
            return null;
        }
        String url = MtaStsFetcher.policyUrl(domain);
        try (MtaStsFetcher fetcher = configuration.mtaStsFetcher(dns).build()) {
            FetchedPolicy fetched = fetcher.fetch(domain);
            MtaStsPolicy policy = fetched.policy();
            report.ok(
                    url,
                    "mode " + policy.mode() + ", mx " + policy.mxPatterns() + ", max_age " + policy.maxAgeSeconds());
            fetched.warnings().forEach(warning -> report.info(url, warning));
            if (policy.mode() == MtaStsMode.TESTING) {
                report.info(
                        url,
                        "mode testing: senders report failures but still deliver",
                        "switch to mode: enforce once the TLS reports are clean");
            } else if (policy.mode() == MtaStsMode.NONE) {
                report.info(url, "mode none: the policy is withdrawn");
            }
            if (policy.maxAgeSeconds() < Duration.ofDays(7).toSeconds() && policy.mode() != MtaStsMode.NONE) {
                report.info(
                        url,
                        "max_age under a week: a policy protects only while senders have it cached",
                        "use weeks (RFC 8461 3.2 suggests 604800 or more)");
            }
            return policy;
        } catch (PolicyFetchException e) {
            report.problem(
                    url,
                    e.getMessage()
                            + (e.resultType() == null
                                    ? ""
                                    : " (" + e.resultType().reportName() + ")"),
                    Fixes.forType(e.resultType() == null ? ResultType.STS_POLICY_FETCH_ERROR : e.resultType()));
            return null;
        } catch (IOException e) {
            report.lookupFailure(url, e.getMessage());
            return null;
        }
    }

    private static void mxHosts(
            String domain,
            DnsResolver dns,
            MtaStsPolicy policy,
            X509TrustManager pkix,
            SmtpClient client,
            Clock clock,
            Report report) {
        DnsAnswer answer = dns.lookupNow(name(domain), Type.MX);
        if (!answered(answer, domain + " MX", report)) {
            return;
        }
        if (!answer.nameExists()) {
            report.problem(domain, "no such domain (NXDOMAIN)", "check the name");
            return;
        }
        List<MXRecord> records = new ArrayList<>(answer.records(MXRecord.class));
        records.sort(Comparator.comparingInt(MXRecord::getPriority));
        boolean secure = answer.status() == DnsStatus.SECURE;
        List<String> hosts = new ArrayList<>();
        for (MXRecord record : records) {
            if (record.getTarget().equals(Name.root)) {
                // RFC 7505: a null MX; the domain accepts no mail.
                report.problem(
                        domain + " MX",
                        "null MX (RFC 7505): the domain accepts no mail",
                        "remove the null MX record if the domain should receive mail");
                return;
            }
            String host = DomainNames.normalize(record.getTarget().toString(true));
            if (host == null) {
                report.problem(
                        domain + " MX",
                        record.getTarget() + " is not a host name",
                        "point the MX record at a host name (RFC 5321 2.3.5)");
            } else {
                hosts.add(host);
            }
        }
        if (hosts.isEmpty()) {
            report.info(
                    domain + " MX",
                    "no MX records: senders use the domain's own addresses (RFC 5321 5.1)",
                    "publish MX records");
            hosts.add(domain);
        } else {
            report.ok(
                    domain + " MX",
                    String.join(", ", hosts)
                            + (secure
                                    ? " (DNSSEC-signed)"
                                    : " (not DNSSEC-signed: DANE cannot apply, RFC 7672 2.2.1)"));
        }
        for (String host : hosts) {
            mxHost(domain, host, secure, dns, policy, pkix, client, clock, report);
        }
    }

    private static void mxHost(
            String domain,
            String host,
            boolean mxSecure,
            DnsResolver dns,
            MtaStsPolicy policy,
            X509TrustManager pkix,
            SmtpClient client,
            Clock clock,
            Report report) {
        if (policy != null && policy.mode() != MtaStsMode.NONE && !policy.matches(host)) {
            report.problem(
                    host,
                    "not covered by the MTA-STS policy's mx patterns " + policy.mxPatterns()
                            + ": senders enforcing it never deliver here (RFC 8461 4.1)",
                    "add \"mx: " + host + "\" to the policy and publish a new id");
        }
        DaneRequirement dane;
        try {
            dane = new DaneLookup(dns).requirement(host, mxSecure, domain).get(LOOKUP_SECONDS, TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException e) {
            report.lookupFailure(host, "TLSA lookup: " + e);
            return;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        }
        switch (dane.kind()) {
            case UNAVAILABLE:
                if (dane.failureType().isPresent()) {
                    report.problem(
                            host,
                            dane.reason(),
                            Fixes.forType(dane.failureType().get()));
                } else {
                    report.lookupFailure(host, dane.reason());
                }
                break;
            case NONE:
                report.info(host, "DANE: " + dane.reason());
                break;
            default:
                report.ok(host, "TLSA at _25._tcp." + host + ": " + dane.records());
                daneTlsRpt(domain, host, dane, dns, report);
        }
        List<InetAddress> addresses = dane.addresses();
        if (addresses.isEmpty()) {
            addresses = addresses(dns, host, report);
        }
        if (addresses.isEmpty()) {
            report.problem(host, "no address", "publish A or AAAA records for " + host);
            return;
        }
        InetAddress address = addresses.get(0);
        String about = host + " [" + address.getHostAddress() + "]";
        // STARTTLS required, the chain taken as presented: judged below by PKIX and by TLSA, each
        // with its own verdict.
        DeliveryAttempt peer = client.probe(
                MxHostPlan.usable(host, 0, List.of(address), TlsRequirement.ENCRYPT, null, "verify"), address);
        if (peer.outcome() != DeliveryAttempt.Outcome.SECURED
                || peer.peerCertificates().isEmpty()) {
            if (peer.resultType().isPresent()) {
                report.problem(
                        about, peer.detail(), Fixes.forType(peer.resultType().get()));
            } else {
                report.lookupFailure(about, "cannot connect: " + peer.detail());
            }
            return;
        }
        List<X509Certificate> chain = peer.peerCertificates();
        report.ok(
                about,
                "STARTTLS: " + peer.tlsProtocol().orElse("") + " "
                        + peer.cipherSuite().orElse(""));
        certificate(host, about, chain, policy, pkix, clock, report);
        if (dane.kind() == DaneRequirement.Kind.DANE) {
            DaneVerification verification = DaneVerifier.verify(
                    chain,
                    dane.records(),
                    dane.referenceIdentifiers().orElse(ReferenceIdentifiers.of(host)),
                    clock.instant());
            if (verification.isVerified()) {
                report.ok(
                        about,
                        "TLSA: " + verification.method().map(Object::toString).orElse("") + " matched by "
                                + verification
                                        .matchedRecord()
                                        .map(Object::toString)
                                        .orElse(""));
            } else {
                report.problem(
                        about,
                        "TLSA records match nothing the server presents: " + verification.failures(),
                        "publish \""
                                + TlsaRecord.forCertificate(
                                        TlsaRecord.DANE_EE,
                                        TlsaRecord.SELECTOR_SPKI,
                                        TlsaRecord.MATCH_SHA256,
                                        chain.get(0))
                                + "\" at _25._tcp." + host
                                + " (the key the server presents now), before removing the old records");
            }
        }
    }

    private static void certificate(
            String host,
            String about,
            List<X509Certificate> chain,
            MtaStsPolicy policy,
            X509TrustManager pkix,
            Clock clock,
            Report report) {
        X509Certificate leaf = chain.get(0);
        Instant now = clock.instant();
        long days = Duration.between(now, leaf.getNotAfter().toInstant()).toDays();
        report.info(
                about,
                "certificate for " + names(leaf) + ", issued by "
                        + leaf.getIssuerX500Principal().getName()
                        + ", " + chain.size() + " certificate(s) sent, expires "
                        + leaf.getNotAfter().toInstant()
                        + " (" + days + " days)");
        if (now.isAfter(leaf.getNotAfter().toInstant())) {
            report.problem(
                    about,
                    "the certificate expired " + (-days) + " days ago",
                    Fixes.forType(ResultType.CERTIFICATE_EXPIRED));
        } else if (Duration.between(now, leaf.getNotAfter().toInstant()).compareTo(EXPIRY_WARNING) < 0) {
            report.problem(about, "the certificate expires in " + days + " days", "renew it now");
        }
        Optional<PkixFailure> failure = PkixFailure.of(pkix, host, chain);
        boolean enforced = policy != null && policy.mode() != MtaStsMode.NONE;
        if (failure.isEmpty()) {
            report.ok(about, "PKIX: valid for " + host);
        } else if (enforced) {
            report.problem(
                    about,
                    "PKIX: " + failure.get().detail() + "; the MTA-STS policy needs it (RFC 8461 4.2)",
                    Fixes.forType(failure.get().type()));
        } else {
            report.info(about, "PKIX: " + failure.get().detail() + " (no MTA-STS policy needs it)");
        }
    }

    private static void tlsRpt(String domain, DnsResolver dns, Report report) {
        String owner = "_smtp._tls." + domain;
        TlsRptDiscovery.Result found = new TlsRptDiscovery(dns).discoverNow(domain);
        switch (found.kind()) {
            case FOUND:
                report.ok(owner, "reports go to " + found.record().orElseThrow().reportUris());
                break;
            case NONE:
                report.info(
                        owner,
                        "no TLS-RPT record: senders send you no reports of failed TLS",
                        Fixes.tlsRptRecord("tlsrpt@" + domain) + ", at " + owner);
                break;
            case INVALID:
                // Several records, or an invalid one: senders send no reports (RFC 8460 3).
                report.problem(
                        owner, found.reason() + ": senders send no reports", Fixes.tlsRptRecord("tlsrpt@" + domain));
                break;
            default:
                lookupFailed(found, owner, report);
        }
    }

    /**
     * The TLS-RPT record of a DANE MX host's TLSA base domain: its DANE reports go there, not to the
     * recipient domain's (RFC 8460 4.4), so the host's operator gets them.
     */
    private static void daneTlsRpt(String domain, String host, DaneRequirement dane, DnsResolver dns, Report report) {
        String base =
                dane.referenceIdentifiers().map(ReferenceIdentifiers::primary).orElse(host);
        if (base.equals(domain)) {
            // The domain's own record, checked once below.
            return;
        }
        String owner = "_smtp._tls." + base;
        TlsRptDiscovery.Result found = new TlsRptDiscovery(dns).discoverNow(base);
        switch (found.kind()) {
            case FOUND:
                report.ok(
                        owner,
                        "DANE reports for " + host + " go to "
                                + found.record().orElseThrow().reportUris());
                break;
            case NONE:
                report.info(
                        owner,
                        "no TLS-RPT record: senders send " + host + "'s operator no reports of failed DANE"
                                + " (RFC 8460 4.4: DANE reports go to the TLSA base domain)",
                        Fixes.tlsRptRecord("tlsrpt@" + domain) + ", at " + owner);
                break;
            case INVALID:
                report.problem(
                        owner,
                        found.reason() + ": senders send " + host + "'s operator no DANE reports",
                        Fixes.tlsRptRecord("tlsrpt@" + domain));
                break;
            default:
                lookupFailed(found, owner, report);
        }
    }

    private static void lookupFailed(TlsRptDiscovery.Result found, String owner, Report report) {
        if (found.bogus()) {
            report.problem(
                    owner,
                    "DNSSEC validation failed (bogus): " + found.reason(),
                    Fixes.forType(ResultType.DNSSEC_INVALID));
        } else {
            report.lookupFailure(owner, found.reason());
        }
    }

    /** The TXT strings at {@code owner} (each record's strings joined), or null after reporting a failure. */
    private static List<String> txt(DnsResolver dns, String owner, Report report) {
        DnsAnswer answer = dns.lookupNow(name(owner), Type.TXT);
        if (!answered(answer, owner, report)) {
            return null;
        }
        List<String> texts = new ArrayList<>();
        for (TXTRecord record : answer.records(TXTRecord.class)) {
            // As the engine reads it: the raw bytes, not the escaped presentation form.
            texts.add(MtaStsDiscovery.joined(record));
        }
        return texts;
    }

    private static List<InetAddress> addresses(DnsResolver dns, String host, Report report) {
        List<InetAddress> addresses = new ArrayList<>();
        for (int type : new int[] {Type.A, Type.AAAA}) {
            DnsAnswer answer = dns.lookupNow(name(host), type);
            if (answer.isAnswered()) {
                addresses.addAll(answer.addresses());
            } else if (answer.status() == DnsStatus.FAILED) {
                report.lookupFailure(host, Type.string(type) + " lookup: " + answer.failureReason());
            }
        }
        return addresses;
    }

    // Whether the answer can be read; reports bogus answers as problems and failures as lookup failures.
    private static boolean answered(DnsAnswer answer, String about, Report report) {
        switch (answer.status()) {
            case BOGUS:
                report.problem(
                        about,
                        "DNSSEC validation failed (bogus): " + answer.failureReason(),
                        Fixes.forType(ResultType.DNSSEC_INVALID));
                return false;
            case FAILED:
                report.lookupFailure(about, answer.failureReason());
                return false;
            default:
                return true;
        }
    }

    private static Name name(String text) {
        try {
            return Name.fromString(text.endsWith(".") ? text : text + ".");
        } catch (TextParseException e) {
            throw new IllegalArgumentException(text, e);
        }
    }

    private static String names(X509Certificate certificate) {
        try {
            Collection<List<?>> alternatives = certificate.getSubjectAlternativeNames();
            if (alternatives != null) {
                List<String> dnsNames = alternatives.stream()
                        .filter(entry -> Integer.valueOf(2).equals(entry.get(0)))
                        .map(entry -> String.valueOf(entry.get(1)))
                        .collect(Collectors.toList());
                if (!dnsNames.isEmpty()) {
                    return String.join(", ", dnsNames);
                }
            }
        } catch (CertificateParsingException e) {
            // fall back to the subject
        }
        return certificate.getSubjectX500Principal().getName();
    }
}
