package dev.securedelivery.dane;

import dev.securedelivery.dns.DnsAnswer;
import dev.securedelivery.dns.DnsResolver;
import dev.securedelivery.dns.DnsStatus;
import dev.securedelivery.tlsrpt.ResultType;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import org.xbill.DNS.Name;
import org.xbill.DNS.NameTooLongException;
import org.xbill.DNS.TLSARecord;
import org.xbill.DNS.TextParseException;
import org.xbill.DNS.Type;

/**
 * The DNS half of DANE for one MX host (RFC 7672 2.1, 2.2): its addresses must be secure before
 * TLSA records are looked for; the TLSA records are looked for at the CNAME-expanded name first
 * when every link is secure, then at the host name itself (RFC 7672 2.2.2, RFC 7671 7); where they
 * are found is the TLSA base domain, sent as SNI and the first reference identifier.
 *
 * <p>A bogus answer makes the host {@link DaneRequirement.Kind#UNAVAILABLE} with {@code
 * dnssec-invalid}, a failed lookup makes it unavailable too: never is either read as "no TLSA
 * records". The one exception is an A or AAAA lookup where DANE cannot apply (the name or its other
 * addresses are not secure): it only leaves its address family out (RFC 7672 2.1.1). The resolver must validate ({@link dev.securedelivery.dns.DnssecValidation}): through
 * a resolver that does not, every answer is insecure and DANE never applies.
 */
public final class DaneLookup {
    /** RFC 7672 2.2.3: TLSA records for SMTP live at _25._tcp.<base domain>. */
    private static final Name SMTP_SERVICE = Name.fromConstantString("_25._tcp");

    private final DnsResolver dns;

    public DaneLookup(DnsResolver dns) {
        this.dns = Objects.requireNonNull(dns, "dns");
    }

    /**
     * What DANE asks of {@code mxHost}.
     *
     * @param mxHost the MX host name, or the next-hop domain itself when it has no MX records
     * @param hostNameSecure whether the name itself is trustworthy: the MX RRset it came from was
     *     secure (RFC 7672 2.2.1), or it is the next-hop domain
     * @param nextHopDomain the recipient domain, also accepted in DANE-TA(2) certificates (RFC 7671 10.2)
     */
    public CompletableFuture<DaneRequirement> requirement(String mxHost, boolean hostNameSecure, String nextHopDomain) {
        String host = normalize(mxHost);
        Name name;
        try {
            name = Name.fromString(host, Name.root);
        } catch (TextParseException e) {
            return CompletableFuture.completedFuture(
                    DaneRequirement.unavailable(host, "\"" + mxHost + "\" is not a host name", null));
        }
        CompletableFuture<DnsAnswer> v4 = dns.lookup(name, Type.A);
        CompletableFuture<DnsAnswer> v6 = dns.lookup(name, Type.AAAA);
        return v4.thenCombine(v6, (a, aaaa) -> new Candidate(host, name, hostNameSecure, nextHopDomain, a, aaaa))
                .thenCompose(this::tlsa);
    }

    /** The addresses of one host, and what they say about its TLSA lookup. */
    private static final class Candidate {
        final String host;
        final Name name;
        final boolean hostNameSecure;
        final String nextHopDomain;
        final DnsAnswer a;
        final DnsAnswer aaaa;
        final List<InetAddress> addresses;

        Candidate(String host, Name name, boolean hostNameSecure, String nextHopDomain, DnsAnswer a, DnsAnswer aaaa) {
            this.host = host;
            this.name = name;
            this.hostNameSecure = hostNameSecure;
            this.nextHopDomain = nextHopDomain;
            this.a = a;
            this.aaaa = aaaa;
            this.addresses = new ArrayList<>(a.addresses());
            addresses.addAll(aaaa.addresses());
        }

        /** The CNAME-expanded name, when the addresses came through a secure chain to another name. */
        Name expanded() {
            DnsAnswer withData = a.records().isEmpty() ? aaaa : a;
            Name canonical = withData.canonicalName();
            return withData.status() == DnsStatus.SECURE && !canonical.equals(name) ? canonical : null;
        }
    }

    private CompletableFuture<DaneRequirement> tlsa(Candidate candidate) {
        String host = candidate.host;
        DaneRequirement failure = null;
        boolean answeredSecurely = true;
        for (DnsAnswer answer : List.of(candidate.a, candidate.aaaa)) {
            if (answer.status() == DnsStatus.BOGUS || answer.status() == DnsStatus.FAILED) {
                if (failure == null) {
                    failure = answer.status() == DnsStatus.BOGUS
                            ? DaneRequirement.unavailable(
                                    host,
                                    "the " + Type.string(answer.type()) + " records of " + host + " are bogus: "
                                            + answer.failureReason(),
                                    ResultType.DNSSEC_INVALID)
                            : DaneRequirement.unavailable(
                                    host,
                                    "the " + Type.string(answer.type()) + " lookup of " + host + " failed: "
                                            + answer.failureReason(),
                                    null);
                }
            } else {
                answeredSecurely &= answer.status() == DnsStatus.SECURE;
            }
        }
        // RFC 7672 2.1.1, 2.2.1: an address lookup that fails rules the host out where DANE may apply
        // (a secure name whose answered addresses are secure too: their status must be known before
        // TLSA records are looked for). Where DANE cannot apply it only leaves its family out, so that
        // one nameserver timing out on AAAA does not hold mail for a domain DANE does not protect. A
        // bogus answer alike: through dnsjava's validator an upstream SERVFAIL is seen as bogus, and
        // bogus records are never used. With no address left, the failure stands.
        if (failure != null && ((candidate.hostNameSecure && answeredSecurely) || candidate.addresses.isEmpty())) {
            return done(failure);
        }
        String leftOut = failure == null
                ? ""
                : "; " + failure.reason() + ": not fatal where DANE cannot apply, the other addresses are used"
                        + " (RFC 7672 2.1.1)";
        if (!candidate.hostNameSecure) {
            return done(DaneRequirement.none(
                    host,
                    candidate.addresses,
                    "the MX records naming " + host + " are not DNSSEC-signed (RFC 7672 2.2.1)" + leftOut,
                    failure));
        }
        if (failure != null) {
            return done(DaneRequirement.none(
                    host,
                    candidate.addresses,
                    "the address records of " + host + " are not DNSSEC-signed (RFC 7672 2.2)" + leftOut,
                    failure));
        }
        if (candidate.addresses.isEmpty()) {
            return done(DaneRequirement.none(host, candidate.addresses, host + " has no address"));
        }
        if (candidate.a.status() != DnsStatus.SECURE || candidate.aaaa.status() != DnsStatus.SECURE) {
            return done(DaneRequirement.none(
                    host,
                    candidate.addresses,
                    "the address records of " + host + " are not DNSSEC-signed (RFC 7672 2.2)"));
        }
        Name expanded = candidate.expanded();
        if (expanded == null) {
            return lookupAt(candidate, candidate.name, null);
        }
        // RFC 7672 2.2.2, RFC 7671 7: the expanded name first, then the name the MX record gave.
        return lookupAt(candidate, expanded, candidate.name);
    }

    private CompletableFuture<DaneRequirement> lookupAt(Candidate candidate, Name base, Name fallback) {
        Name query;
        try {
            query = Name.concatenate(SMTP_SERVICE, base);
        } catch (NameTooLongException e) {
            return fallback != null
                    ? lookupAt(candidate, fallback, null)
                    : done(DaneRequirement.none(
                            candidate.host, candidate.addresses, "no TLSA name fits under " + base));
        }
        return dns.lookup(query, Type.TLSA).thenCompose(answer -> {
            String baseDomain = normalize(base.toString());
            String where = normalize(query.toString());
            switch (answer.status()) {
                case BOGUS:
                    return done(DaneRequirement.unavailable(
                            candidate.host,
                            "the TLSA records at " + where + " are bogus: " + answer.failureReason(),
                            ResultType.DNSSEC_INVALID));
                case FAILED:
                    return done(DaneRequirement.unavailable(
                            candidate.host,
                            "the TLSA lookup at " + where + " failed: " + answer.failureReason(),
                            null));
                case SECURE:
                    if (!answer.records().isEmpty()) {
                        List<TlsaRecord> records = new ArrayList<>();
                        answer.records(TLSARecord.class).forEach(record -> records.add(TlsaRecord.from(record)));
                        ReferenceIdentifiers names = ReferenceIdentifiers.of(referenceNames(baseDomain, candidate));
                        return done(DaneRequirement.tlsa(
                                candidate.host,
                                candidate.addresses,
                                records,
                                names,
                                records.size() + " secure TLSA record(s) at " + where));
                    }
                    break;
                default:
                    break;
            }
            String none = answer.status() == DnsStatus.SECURE
                    ? "no TLSA records at " + where
                    : "the TLSA records at " + where + " are not DNSSEC-signed";
            if (fallback != null) {
                return lookupAt(candidate, fallback, null);
            }
            return done(DaneRequirement.none(candidate.host, candidate.addresses, none));
        });
    }

    // RFC 7671 10.2 and RFC 7672 3.2.2: the TLSA base domain first, then the MX host name and the
    // next-hop domain.
    private static List<String> referenceNames(String baseDomain, Candidate candidate) {
        List<String> names = new ArrayList<>();
        names.add(baseDomain);
        names.add(candidate.host);
        if (candidate.nextHopDomain != null) {
            names.add(normalize(candidate.nextHopDomain));
        }
        return names;
    }

    private static String normalize(String name) {
        String lower = name.toLowerCase(Locale.ROOT);
        return lower.endsWith(".") ? lower.substring(0, lower.length() - 1) : lower;
    }

    private static CompletableFuture<DaneRequirement> done(DaneRequirement requirement) {
        return CompletableFuture.completedFuture(requirement);
    }
}
