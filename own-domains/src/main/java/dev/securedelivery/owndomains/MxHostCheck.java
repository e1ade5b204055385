package dev.securedelivery.owndomains;

import dev.securedelivery.dane.DaneLookup;
import dev.securedelivery.dane.DaneRequirement;
import dev.securedelivery.dane.DaneVerification;
import dev.securedelivery.dane.DaneVerifier;
import dev.securedelivery.dane.ReferenceIdentifiers;
import dev.securedelivery.dns.DnsAnswer;
import dev.securedelivery.dns.DnsResolver;
import dev.securedelivery.dns.DnsStatus;
import dev.securedelivery.mtasts.MtaStsMode;
import dev.securedelivery.mtasts.MtaStsPolicy;
import dev.securedelivery.policy.MxHostPlan;
import dev.securedelivery.policy.TlsRequirement;
import dev.securedelivery.reportingpolicy.TlsRptDiscovery;
import dev.securedelivery.smtp.DeliveryAttempt;
import dev.securedelivery.smtp.PkixFailure;
import dev.securedelivery.smtp.SmtpClient;
import dev.securedelivery.tlsrpt.ResultType;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import javax.net.ssl.X509TrustManager;
import org.xbill.DNS.Type;

/**
 * One MX host of a domain as a sender sees it: covered by the domain's MTA-STS policy (RFC 8461 4.1),
 * its TLSA records (RFC 7672 2.2, DNSSEC-validated), a STARTTLS session on port 25 and the
 * certificate presented there, judged by PKIX (RFC 8461 4.2) and by the TLSA records (RFC 7672 3).
 * Where the host is this James, the key its keystore holds now against those TLSA records: a key
 * change not yet published is found before James presents it.
 */
final class MxHostCheck {
    private static final long LOOKUP_SECONDS = 60;

    private final DnsResolver dns;
    private final X509TrustManager pkix;
    private final SmtpClient smtp;
    private final Clock clock;
    private final Duration expiryWarning;
    private final List<X509Certificate> heldCertificate;
    private final Set<String> ourMxHosts;
    private final PolicyMemory memory;

    MxHostCheck(
            DnsResolver dns,
            X509TrustManager pkix,
            SmtpClient smtp,
            Clock clock,
            Duration expiryWarning,
            List<X509Certificate> heldCertificate,
            Set<String> ourMxHosts,
            PolicyMemory memory) {
        this.dns = dns;
        this.pkix = pkix;
        this.smtp = smtp;
        this.clock = clock;
        this.expiryWarning = expiryWarning;
        this.heldCertificate = heldCertificate;
        this.ourMxHosts = ourMxHosts;
        this.memory = memory;
    }

    void check(String domain, String host, MtaStsPolicy policy, Findings findings) {
        if (policy != null && policy.mode() != MtaStsMode.NONE && !policy.matches(host)) {
            findings.add(Finding.of(
                            Severity.PROBLEM,
                            host,
                            "not covered by the MTA-STS policy's mx patterns " + policy.mxPatterns()
                                    + ": senders enforcing it never deliver here (RFC 8461 4.1)",
                            "add \"mx: " + host + "\" to the policy and publish a new id")
                    .forHost(host)
                    .reportedAs(ResultType.VALIDATION_FAILURE));
        }
        DaneRequirement dane;
        try {
            dane = new DaneLookup(dns)
                    .requirement(host, mxSecure(domain), domain)
                    .get(LOOKUP_SECONDS, TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException e) {
            findings.add(Finding.of(Severity.LOOKUP_FAILURE, host, "TLSA lookup: " + e, null)
                    .forHost(host));
            return;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        }
        switch (dane.kind()) {
            case UNAVAILABLE:
                if (dane.failureType().isPresent()) {
                    findings.add(Finding.of(
                                    Severity.PROBLEM,
                                    host,
                                    dane.reason(),
                                    Fixes.forType(dane.failureType().get()))
                            .forHost(host)
                            .reportedAs(dane.failureType().get()));
                } else {
                    findings.add(Finding.of(Severity.LOOKUP_FAILURE, host, dane.reason(), null)
                            .forHost(host));
                }
                break;
            case NONE:
                findings.add(Finding.of(Severity.INFO, host, "DANE: " + dane.reason(), null)
                        .forHost(host));
                break;
            default:
                findings.add(Finding.of(Severity.OK, host, "TLSA at _25._tcp." + host + ": " + dane.records(), null)
                        .forHost(host));
                daneTlsRpt(domain, host, dane, findings);
        }
        List<InetAddress> addresses = dane.addresses();
        if (addresses.isEmpty()) {
            addresses = addresses(host, findings);
        }
        if (addresses.isEmpty()) {
            findings.add(Finding.of(Severity.PROBLEM, host, "no address", "publish A or AAAA records for " + host)
                    .forHost(host));
            return;
        }
        InetAddress address = addresses.get(0);
        String about = host + " [" + address.getHostAddress() + "]";
        // STARTTLS required, the chain taken as presented: judged below by PKIX and by TLSA, each with its
        // own verdict.
        DeliveryAttempt peer = smtp.probe(
                MxHostPlan.usable(host, 0, List.of(address), TlsRequirement.ENCRYPT, null, "self-check"), address);
        if (peer.outcome() != DeliveryAttempt.Outcome.SECURED
                || peer.peerCertificates().isEmpty()) {
            if (peer.resultType().isPresent()) {
                findings.add(Finding.of(
                                Severity.PROBLEM,
                                about,
                                peer.detail(),
                                Fixes.forType(peer.resultType().get()))
                        .forHost(host)
                        .reportedAs(peer.resultType().get()));
            } else {
                findings.add(Finding.of(Severity.LOOKUP_FAILURE, about, "cannot connect: " + peer.detail(), null)
                        .forHost(host));
            }
            return;
        }
        List<X509Certificate> chain = peer.peerCertificates();
        findings.add(Finding.of(
                        Severity.OK,
                        about,
                        "STARTTLS: " + peer.tlsProtocol().orElse("") + " "
                                + peer.cipherSuite().orElse(""),
                        null)
                .forHost(host));
        certificate(host, about, chain, policy, findings);
        if (dane.kind() == DaneRequirement.Kind.DANE) {
            ReferenceIdentifiers names = dane.referenceIdentifiers().orElse(ReferenceIdentifiers.of(host));
            DaneVerification verification = DaneVerifier.verify(chain, dane.records(), names, clock.instant());
            if (verification.isVerified()) {
                findings.add(Finding.of(
                                Severity.OK,
                                about,
                                "TLSA: "
                                        + verification
                                                .method()
                                                .map(Object::toString)
                                                .orElse("") + " matched by "
                                        + verification
                                                .matchedRecord()
                                                .map(Object::toString)
                                                .orElse(""),
                                null)
                        .forHost(host));
            } else {
                findings.add(Finding.of(
                                Severity.PROBLEM,
                                about,
                                "TLSA records match nothing the server presents: " + verification.failures()
                                        + ": DANE senders defer all mail to it",
                                "publish \"" + TlsaRollover.record(chain.get(0)).toPresentation() + "\" at _25._tcp."
                                        + host + " (the key the server presents now), before removing the old records")
                        .forHost(host)
                        .reportedAs(ResultType.TLSA_INVALID));
            }
            heldKey(host, about, chain, dane, names, findings);
        }
    }

    // The key this James's keystore holds, where the host is this James and it is not the key presented:
    // once James presents it, the TLSA records must already match it (RFC 7671 8.1).
    private void heldKey(
            String host,
            String about,
            List<X509Certificate> presented,
            DaneRequirement dane,
            ReferenceIdentifiers names,
            Findings findings) {
        if (heldCertificate.isEmpty() || !isOurs(host, dane.addresses())) {
            return;
        }
        X509Certificate held = heldCertificate.get(0);
        Instant now = clock.instant();
        long ttl = tlsaTtl(host);
        boolean matched =
                DaneVerifier.verify(heldCertificate, dane.records(), names, now).isVerified();
        Optional<Instant> since = matched
                ? Optional.of(
                        memory.keySeenSince(host, TlsaRollover.record(held).toPresentation(), now))
                : Optional.empty();
        TlsaRollover rollover = TlsaRollover.of(host, presented.get(0), held, dane.records(), ttl, since, now);
        switch (rollover.step()) {
            case PUBLISH_NEXT:
                if (Arrays.equals(
                        held.getPublicKey().getEncoded(),
                        presented.get(0).getPublicKey().getEncoded())) {
                    // Presented already: the TLSA mismatch above says it.
                    return;
                }
                findings.add(Finding.of(
                                Severity.WARNING,
                                about,
                                "the keystore holds a key that no TLSA record at _25._tcp." + host
                                        + " matches: once James presents it, DANE senders defer all mail to " + host,
                                "publish \"" + TlsaRollover.record(held).toPresentation()
                                        + "\" beside the current record, wait "
                                        + (ttl > 0 ? ttl + " s (the TLSA TTL)" : "the TLSA TTL")
                                        + " after it is seen, then restart James with the new key (RFC 7671 8.1)")
                        .forHost(host)
                        .reportedAs(ResultType.TLSA_INVALID));
                break;
            case WAIT:
                findings.add(Finding.of(
                                Severity.INFO,
                                about,
                                "key change under way: " + rollover.explanation(),
                                "restart James with the keystore's key after "
                                        + rollover.safeFrom()
                                                .map(Object::toString)
                                                .orElse("the TLSA TTL"))
                        .forHost(host));
                break;
            case SWITCH:
                findings.add(Finding.of(
                                Severity.INFO,
                                about,
                                "key change: " + rollover.explanation(),
                                "restart James" + " with the keystore's key; then remove the old TLSA record")
                        .forHost(host));
                break;
            case REMOVE_OLD:
                findings.add(Finding.of(
                                Severity.INFO,
                                about,
                                "key change done: " + rollover.explanation(),
                                "remove " + rollover.toRemove() + " at _25._tcp." + host)
                        .forHost(host));
                break;
            default:
                break;
        }
    }

    private boolean isOurs(String host, List<InetAddress> addresses) {
        if (!ourMxHosts.isEmpty()) {
            return ourMxHosts.contains(host);
        }
        for (InetAddress address : addresses.isEmpty() ? addresses(host, new Findings(host)) : addresses) {
            try {
                if (address.isLoopbackAddress() || NetworkInterface.getByInetAddress(address) != null) {
                    return true;
                }
            } catch (SocketException e) {
                // Not an address of this machine's, as far as can be told.
            }
        }
        return false;
    }

    private long tlsaTtl(String host) {
        DnsAnswer answer = dns.lookupNow(DomainCheck.name("_25._tcp." + host), Type.TLSA);
        return answer.isAnswered() ? answer.ttlSeconds() : 0;
    }

    private boolean mxSecure(String domain) {
        return dns.lookupNow(DomainCheck.name(domain), Type.MX).status() == DnsStatus.SECURE;
    }

    private void certificate(
            String host, String about, List<X509Certificate> chain, MtaStsPolicy policy, Findings findings) {
        X509Certificate leaf = chain.get(0);
        Instant now = clock.instant();
        Instant expires = leaf.getNotAfter().toInstant();
        long days = Duration.between(now, expires).toDays();
        findings.certificateExpires(expires);
        findings.add(Finding.of(
                        Severity.INFO,
                        about,
                        "certificate for " + names(leaf) + ", issued by "
                                + leaf.getIssuerX500Principal().getName() + ", " + chain.size()
                                + " certificate(s) sent, expires " + expires + " (" + days + " days)",
                        null)
                .forHost(host));
        if (now.isAfter(expires)) {
            findings.add(Finding.of(
                            Severity.PROBLEM,
                            about,
                            "the certificate expired " + (-days) + " days ago",
                            Fixes.forType(ResultType.CERTIFICATE_EXPIRED))
                    .forHost(host)
                    .reportedAs(ResultType.CERTIFICATE_EXPIRED));
        } else if (Duration.between(now, expires).compareTo(expiryWarning) < 0) {
            findings.add(Finding.of(
                            Severity.WARNING,
                            about,
                            "the certificate expires " + expires + " (in " + days + " days)",
                            "renew it now")
                    .forHost(host)
                    .reportedAs(ResultType.CERTIFICATE_EXPIRED));
        }
        Optional<PkixFailure> failure = PkixFailure.of(pkix, host, chain);
        boolean enforced = policy != null && policy.mode() != MtaStsMode.NONE;
        if (failure.isEmpty()) {
            findings.add(Finding.of(Severity.OK, about, "PKIX: valid for " + host, null)
                    .forHost(host));
        } else if (enforced) {
            findings.add(Finding.of(
                            Severity.PROBLEM,
                            about,
                            "PKIX: " + failure.get().detail() + "; the MTA-STS policy needs it (RFC 8461 4.2)",
                            Fixes.forType(failure.get().type()))
                    .forHost(host)
                    .reportedAs(failure.get().type()));
        } else {
            findings.add(Finding.of(
                            Severity.INFO,
                            about,
                            "PKIX: " + failure.get().detail() + " (no MTA-STS policy needs it)",
                            null)
                    .forHost(host));
        }
    }

    /**
     * The TLS-RPT record of a DANE MX host's TLSA base domain: its DANE reports go there, not to the
     * recipient domain's (RFC 8460 4.4), so the host's operator gets them.
     */
    private void daneTlsRpt(String domain, String host, DaneRequirement dane, Findings findings) {
        String base =
                dane.referenceIdentifiers().map(ReferenceIdentifiers::primary).orElse(host);
        if (base.equals(domain)) {
            // The domain's own record, checked once by the domain's check.
            return;
        }
        String owner = "_smtp._tls." + base;
        TlsRptDiscovery.Result found = new TlsRptDiscovery(dns).discoverNow(base);
        switch (found.kind()) {
            case FOUND:
                findings.ok(
                        owner,
                        "DANE reports for " + host + " go to "
                                + found.record().orElseThrow().reportUris());
                break;
            case NONE:
                findings.info(
                        owner,
                        "no TLS-RPT record: senders send " + host + "'s operator no reports of failed DANE"
                                + " (RFC 8460 4.4: DANE reports go to the TLSA base domain)",
                        Fixes.tlsRptRecord("tlsrpt@" + domain) + ", at " + owner);
                break;
            case INVALID:
                findings.problem(
                        owner,
                        found.reason() + ": senders send " + host + "'s operator no DANE reports",
                        Fixes.tlsRptRecord("tlsrpt@" + domain));
                break;
            default:
                lookupFailed(found, owner, findings);
        }
    }

    static void lookupFailed(TlsRptDiscovery.Result found, String owner, Findings findings) {
        if (found.bogus()) {
            findings.add(Finding.of(
                            Severity.PROBLEM,
                            owner,
                            "DNSSEC validation failed (bogus): " + found.reason(),
                            Fixes.forType(ResultType.DNSSEC_INVALID))
                    .reportedAs(ResultType.DNSSEC_INVALID));
        } else {
            findings.lookupFailure(owner, found.reason());
        }
    }

    private List<InetAddress> addresses(String host, Findings findings) {
        List<InetAddress> addresses = new ArrayList<>();
        for (int type : new int[] {Type.A, Type.AAAA}) {
            DnsAnswer answer = dns.lookupNow(DomainCheck.name(host), type);
            if (answer.isAnswered()) {
                addresses.addAll(answer.addresses());
            } else if (answer.status() == DnsStatus.FAILED) {
                findings.add(Finding.of(
                                Severity.LOOKUP_FAILURE,
                                host,
                                Type.string(type) + " lookup: " + answer.failureReason(),
                                null)
                        .forHost(host));
            }
        }
        return addresses;
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
