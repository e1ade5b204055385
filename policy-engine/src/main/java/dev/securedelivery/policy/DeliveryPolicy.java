package dev.securedelivery.policy;

import dev.securedelivery.dane.DaneLookup;
import dev.securedelivery.dane.DaneRequirement;
import dev.securedelivery.dns.DnsAnswer;
import dev.securedelivery.dns.DnsResolver;
import dev.securedelivery.dns.DnsStatus;
import dev.securedelivery.mtasts.DomainNames;
import dev.securedelivery.mtasts.MtaStsEngine;
import dev.securedelivery.mtasts.MtaStsLookup;
import dev.securedelivery.mtasts.MtaStsMode;
import dev.securedelivery.mtasts.MtaStsPolicy;
import dev.securedelivery.requiretls.MessageSecurity;
import dev.securedelivery.tlsrpt.ResultType;
import java.io.Closeable;
import java.io.IOException;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import org.xbill.DNS.MXRecord;
import org.xbill.DNS.Name;
import org.xbill.DNS.TextParseException;
import org.xbill.DNS.Type;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * Decides, per destination domain, which MX hosts get mail and what each connection must achieve.
 *
 * <p>The rules, in order, for each MX host (taken in MX preference order, RFC 5321 5.1):
 * <ol>
 *   <li>An override {@code none}, {@code opportunistic} or {@code require-tls} decides alone.
 *   <li>A host whose DNS lookups were bogus or failed is skipped this time (RFC 7672 2.1.1). Where
 *       DANE cannot apply (the MX RRset is insecure, RFC 7672 2.2.1) and no {@code dane-only}
 *       override asks for it, a failed or bogus A or AAAA lookup only leaves out that address
 *       family: the host is skipped only if the other family gives no address either.
 *   <li>{@code dane-only}: a host without usable TLSA records is skipped ({@code dane-required}).
 *   <li>Usable TLSA records: {@link TlsRequirement#DANE}, whatever MTA-STS says (RFC 8461 2).
 *   <li>An MTA-STS policy whose state is unknown (its lookup failed) skips the host: it may be
 *       enforce, and a DNS failure must not downgrade (RFC 8461 3.1).
 *   <li>An {@code enforce} policy (or {@code testing} under {@code mta-sts-enforce}) skips a host
 *       that matches no {@code mx} pattern (RFC 8461 4.1) and requires {@link TlsRequirement#PKIX}
 *       of the others (RFC 8461 4.2, 5).
 *   <li>Secure TLSA records, none usable: {@link TlsRequirement#ENCRYPT} (RFC 7672 3.1.3).
 *   <li>Otherwise {@link TlsRequirement#OPPORTUNISTIC}; a {@code testing} policy's verdict is noted.
 * </ol>
 * Skipping is a temporary failure for that host: the next host is tried, and a plan with no host
 * left is {@link DeliveryPlan.Outcome#DEFER}, never a permanent failure (RFC 8461 5).
 */
public final class DeliveryPolicy implements Closeable {
    private static final Logger LOGGER = LoggerFactory.getLogger(DeliveryPolicy.class);
    /** The MDC key of the destination domain, on plan and delivery log lines alike. */
    public static final String MDC_DOMAIN = MtaStsEngine.MDC_DOMAIN;

    private final DnsResolver dns;
    private final DaneLookup dane;
    private final MtaStsEngine mtaSts;
    private final Map<String, DomainOverride> overrides;

    /**
     * @param dns a DNSSEC-validating resolver (through one that is not, DANE never applies)
     * @param overrides per-domain overrides, keyed by lower-case A-label domain
     */
    public DeliveryPolicy(DnsResolver dns, MtaStsEngine mtaSts, Map<String, DomainOverride> overrides) {
        this.dns = Objects.requireNonNull(dns, "dns");
        this.dane = new DaneLookup(dns);
        this.mtaSts = Objects.requireNonNull(mtaSts, "mtaSts");
        this.overrides = Map.copyOf(overrides);
    }

    public MtaStsEngine mtaSts() {
        return mtaSts;
    }

    /** The resolver plans are made with, for other lookups that should see the same DNS. */
    public DnsResolver dns() {
        return dns;
    }

    /** The plan for mail to {@code domain}; logged at INFO in one line. */
    public CompletableFuture<DeliveryPlan> plan(String domain) {
        String key = normalize(domain);
        Name name;
        try {
            name = Name.fromString(key, Name.root);
        } catch (TextParseException | IllegalArgumentException e) {
            return CompletableFuture.completedFuture(new DeliveryPlan(key, DeliveryPlan.Outcome.NO_SUCH_DOMAIN,
                    List.of(), null, null, "\"" + domain + "\" is not a domain name", null));
        }
        DomainOverride override = overrides.get(key);
        CompletableFuture<MtaStsLookup> policy = mtaSts.lookupAsync(key);
        return dns.lookup(name, Type.MX)
                .thenCompose(mx -> hosts(key, mx, override, policy))
                .thenApply(plan -> {
                    logWithDomain(plan);
                    return plan;
                });
    }

    // The line may be written on a DNS or MTA-STS thread, or on the delivering thread that has already
    // put the domain in the MDC: put it there either way, and leave the MDC as it was.
    private static void logWithDomain(DeliveryPlan plan) {
        String before = MDC.get(MDC_DOMAIN);
        MDC.put(MDC_DOMAIN, plan.domain());
        try {
            LOGGER.info("{}", plan.explain());
        } finally {
            if (before == null) {
                MDC.remove(MDC_DOMAIN);
            } else {
                MDC.put(MDC_DOMAIN, before);
            }
        }
    }

    /** See {@link MtaStsEngine#refresh(String)}: before a message is failed for good under an enforce policy. */
    public MtaStsLookup refreshMtaSts(String domain) {
        return mtaSts.refresh(domain);
    }

    private CompletableFuture<DeliveryPlan> hosts(String domain, DnsAnswer mx, DomainOverride override,
            CompletableFuture<MtaStsLookup> policy) {
        if (mx.status() == DnsStatus.BOGUS) {
            return defer(domain, policy, override, "the MX records are bogus: " + mx.failureReason(),
                    ResultType.DNSSEC_INVALID);
        }
        if (mx.status() == DnsStatus.FAILED) {
            return defer(domain, policy, override, "the MX lookup failed: " + mx.failureReason(), null);
        }
        if (!mx.nameExists()) {
            return CompletableFuture.completedFuture(new DeliveryPlan(domain, DeliveryPlan.Outcome.NO_SUCH_DOMAIN,
                    List.of(), null, override, "the domain does not exist (NXDOMAIN)", null));
        }
        List<MXRecord> records = mx.records(MXRecord.class);
        if (records.size() == 1 && records.get(0).getTarget().equals(Name.root)) {
            return CompletableFuture.completedFuture(new DeliveryPlan(domain, DeliveryPlan.Outcome.NULL_MX,
                    List.of(), null, override, "the domain accepts no mail (null MX, RFC 7505)", null));
        }
        boolean secure = mx.status() == DnsStatus.SECURE;
        // RFC 7672 2.1.1 and 2.2.1: a failed address lookup rules a host out only where DANE may
        // apply; with an insecure MX RRset it cannot, unless a local policy demands DANE anyway.
        boolean failuresFatal = secure || override == DomainOverride.DANE_ONLY;
        List<Candidate> candidates = new ArrayList<>();
        if (records.isEmpty()) {
            // RFC 5321 5.1: without MX records the domain itself is the one, implicit, MX host.
            CompletableFuture<HostDns> lookup = secure ? fromDane(dane.requirement(domain, true, domain))
                    : withoutDane(domain, domain, true, failuresFatal,
                            "the address records of " + domain + " are not DNSSEC-signed (RFC 7672 2.2)");
            candidates.add(new Candidate(domain, 0, lookup));
        } else {
            records.sort(Comparator.comparingInt(MXRecord::getPriority)
                    .thenComparing(record -> record.getTarget().toString()));
            for (MXRecord record : records) {
                if (record.getTarget().equals(Name.root)) {
                    continue;
                }
                String host = normalize(record.getTarget().toString());
                CompletableFuture<HostDns> lookup = secure ? fromDane(dane.requirement(host, true, domain))
                        : withoutDane(host, domain, false, failuresFatal,
                                "the MX records naming " + host + " are not DNSSEC-signed (RFC 7672 2.2.1)");
                candidates.add(new Candidate(host, record.getPriority(), lookup));
            }
        }
        CompletableFuture<?>[] lookups = candidates.stream().map(candidate -> candidate.dns)
                .toArray(CompletableFuture[]::new);
        return CompletableFuture.allOf(lookups).thenCombine(policy, (done, sts) -> decide(domain, candidates, sts,
                override, secure));
    }

    private CompletableFuture<DeliveryPlan> defer(String domain, CompletableFuture<MtaStsLookup> policy,
            DomainOverride override, String reason, ResultType type) {
        return policy.thenApply(sts -> new DeliveryPlan(domain, DeliveryPlan.Outcome.DEFER, List.of(), sts, override,
                reason, type));
    }

    private static final class Candidate {
        final String host;
        final int preference;
        final CompletableFuture<HostDns> dns;

        Candidate(String host, int preference, CompletableFuture<HostDns> dns) {
            this.host = host;
            this.preference = preference;
            this.dns = dns;
        }
    }

    /**
     * What DNS says of one MX host: {@link DaneLookup}'s answer where DANE may apply, or, where it
     * cannot, the host's addresses alone (always {@link DaneRequirement.Kind#NONE} or {@link
     * DaneRequirement.Kind#UNAVAILABLE}).
     */
    private static final class HostDns {
        final DaneRequirement.Kind kind;
        final List<InetAddress> addresses;
        final String reason;
        final ResultType failureType;
        /** DaneLookup's answer; null for a host looked up without DANE. */
        final DaneRequirement dane;
        /** An address lookup that failed but did not rule the host out, in words; null if none. */
        final String ignoredFailure;

        private HostDns(DaneRequirement.Kind kind, List<InetAddress> addresses, String reason, ResultType failureType,
                DaneRequirement dane, String ignoredFailure) {
            this.kind = kind;
            this.addresses = List.copyOf(addresses);
            this.reason = reason;
            this.failureType = failureType;
            this.dane = dane;
            this.ignoredFailure = ignoredFailure;
        }

        static HostDns of(DaneRequirement dane) {
            return new HostDns(dane.kind(), dane.addresses(), dane.reason(), dane.failureType().orElse(null), dane,
                    null);
        }

        static HostDns unavailable(String reason, ResultType failureType) {
            return new HostDns(DaneRequirement.Kind.UNAVAILABLE, List.of(), reason, failureType, null, null);
        }

        static HostDns none(List<InetAddress> addresses, String reason, String ignoredFailure) {
            return new HostDns(DaneRequirement.Kind.NONE, addresses, reason, null, null, ignoredFailure);
        }
    }

    private static CompletableFuture<HostDns> fromDane(CompletableFuture<DaneRequirement> requirement) {
        return requirement.thenApply(HostDns::of);
    }

    /**
     * The addresses of {@code host}, named by an insecure MX RRset (or, with {@code implicitMx}, the
     * domain itself after an insecure answer that it has no MX records), without TLSA lookup: DANE
     * cannot apply to it (RFC 7672 2.2.1; 2.2.2 for the domain itself). Unless {@code failuresFatal},
     * an A or AAAA lookup that failed counts as that family having no address: RFC 7672 2.1.1 and
     * 2.2.1 make an address lookup failure fatal only where DANE applies, because only there must
     * the addresses' DNSSEC status be known before TLSA records are looked up. So one nameserver
     * timing out on AAAA no longer holds mail for a domain that DANE does not protect; the host is
     * still skipped when neither family gives an address. A bogus answer is treated alike: through
     * dnsjava's in-JVM validator an upstream SERVFAIL comes back as bogus (extended error "DNSSEC
     * Bogus"), so that is how such a timeout is usually seen; and bogus records are never used,
     * only their family left out.
     */
    private CompletableFuture<HostDns> withoutDane(String host, String domain, boolean implicitMx,
            boolean failuresFatal, String noDane) {
        Name name;
        try {
            name = Name.fromString(host, Name.root);
        } catch (TextParseException e) {
            return CompletableFuture.completedFuture(HostDns.unavailable("\"" + host + "\" is not a host name",
                    null));
        }
        CompletableFuture<DnsAnswer> v4 = dns.lookup(name, Type.A);
        CompletableFuture<DnsAnswer> v6 = dns.lookup(name, Type.AAAA);
        return v4.thenCompose(a -> v6.thenCompose(aaaa -> {
            if (implicitMx && (a.status() == DnsStatus.SECURE || aaaa.status() == DnsStatus.SECURE)) {
                // RFC 7672 2.2.2: for the domain itself, secure addresses would make DANE apply after
                // all (not expected after an insecure MX answer): DaneLookup decides, as before.
                return fromDane(dane.requirement(host, true, domain));
            }
            return CompletableFuture.completedFuture(addressesOnly(host, a, aaaa, failuresFatal, noDane));
        }));
    }

    private static HostDns addressesOnly(String host, DnsAnswer a, DnsAnswer aaaa, boolean failuresFatal,
            String noDane) {
        List<InetAddress> addresses = new ArrayList<>();
        List<String> failures = new ArrayList<>();
        HostDns firstFailure = null;
        for (DnsAnswer answer : List.of(a, aaaa)) {
            if (answer.isAnswered()) {
                addresses.addAll(answer.addresses());
                continue;
            }
            HostDns failure = answer.status() == DnsStatus.BOGUS
                    ? HostDns.unavailable("the " + Type.string(answer.type()) + " records of " + host + " are bogus: "
                            + answer.failureReason(), ResultType.DNSSEC_INVALID)
                    : HostDns.unavailable("the " + Type.string(answer.type()) + " lookup of " + host + " failed: "
                            + answer.failureReason(), null);
            if (failuresFatal) {
                return failure;
            }
            if (firstFailure == null) {
                firstFailure = failure;
            }
            failures.add(failure.reason);
        }
        if (addresses.isEmpty() && firstFailure != null) {
            // Nothing to connect to, and DNS may yet give addresses: skip the host this time.
            return firstFailure;
        }
        String ignored = failures.isEmpty() ? null : String.join("; ", failures)
                + ": not fatal where DANE cannot apply, the other addresses are used (RFC 7672 2.1.1)";
        return HostDns.none(addresses, noDane, ignored);
    }

    private DeliveryPlan decide(String domain, List<Candidate> candidates, MtaStsLookup sts, DomainOverride override,
            boolean mxSecure) {
        List<MxHostPlan> hosts = new ArrayList<>();
        for (Candidate candidate : candidates) {
            hosts.add(decide(candidate, candidate.dns.join(), sts, override));
        }
        boolean anyUsable = hosts.stream().anyMatch(host -> !host.isExcluded());
        if (anyUsable) {
            return new DeliveryPlan(domain, DeliveryPlan.Outcome.DELIVER, hosts, sts, override, null, null, mxSecure,
                    MessageSecurity.NONE);
        }
        ResultType type = hosts.stream().map(MxHostPlan::exclusionType).filter(java.util.Optional::isPresent)
                .map(java.util.Optional::get).findFirst().orElse(null);
        return new DeliveryPlan(domain, DeliveryPlan.Outcome.DEFER, hosts, sts, override,
                "no MX host can be used now" + (mxSecure ? "" : " (the MX records are not DNSSEC-signed)"), type,
                mxSecure, MessageSecurity.NONE);
    }

    private static MxHostPlan decide(Candidate candidate, HostDns lookup, MtaStsLookup sts,
            DomainOverride override) {
        MxHostPlan plan = decideHost(candidate, lookup, sts, override);
        if (lookup.ignoredFailure == null || plan.isExcluded()) {
            return plan;
        }
        // Said in the plan's line, so that a host reached over one address family only is seen as such.
        return MxHostPlan.usable(plan.host(), plan.preference(), plan.addresses(), plan.requirement().orElseThrow(),
                plan.dane().orElse(null), plan.rule() + "; " + lookup.ignoredFailure);
    }

    private static MxHostPlan decideHost(Candidate candidate, HostDns lookup, MtaStsLookup sts,
            DomainOverride override) {
        String host = candidate.host;
        int preference = candidate.preference;
        if (lookup.kind == DaneRequirement.Kind.UNAVAILABLE) {
            return MxHostPlan.excluded(host, preference, lookup.reason, lookup.failureType);
        }
        if (lookup.addresses.isEmpty()) {
            return MxHostPlan.excluded(host, preference, host + " has no address", null);
        }
        if (override == DomainOverride.NONE) {
            return MxHostPlan.usable(host, preference, lookup.addresses, TlsRequirement.NO_TLS, null,
                    "override none: no TLS");
        }
        if (override == DomainOverride.OPPORTUNISTIC) {
            return MxHostPlan.usable(host, preference, lookup.addresses, TlsRequirement.OPPORTUNISTIC, null,
                    "override opportunistic");
        }
        if (override == DomainOverride.REQUIRE_TLS) {
            return MxHostPlan.usable(host, preference, lookup.addresses, TlsRequirement.PKIX, null,
                    "override require-tls");
        }
        if (lookup.kind == DaneRequirement.Kind.DANE) {
            // RFC 8461 2: where DANE TLSA records are published, DANE decides, not MTA-STS.
            return MxHostPlan.usable(host, preference, lookup.addresses, TlsRequirement.DANE, lookup.dane,
                    lookup.reason);
        }
        if (override == DomainOverride.DANE_ONLY) {
            return MxHostPlan.excluded(host, preference, "override dane-only, and " + lookup.reason,
                    ResultType.DANE_REQUIRED);
        }
        if (sts.outcome() == MtaStsLookup.Outcome.TEMPORARY_FAILURE) {
            return MxHostPlan.excluded(host, preference, "the MTA-STS policy is unknown: "
                    + sts.failure().map(Object::toString).orElse("lookup failed"), null);
        }
        MtaStsPolicy policy = sts.policy().orElse(null);
        boolean enforce = policy != null && (policy.mode() == MtaStsMode.ENFORCE
                || (policy.mode() == MtaStsMode.TESTING && override == DomainOverride.MTA_STS_ENFORCE));
        String stsRule = policy == null ? null : "mta-sts " + policy.mode()
                + (enforce && policy.mode() == MtaStsMode.TESTING ? " enforced by override" : "")
                + " id " + sts.policyId().orElse("");
        if (enforce) {
            if (!policy.matches(host)) {
                // mox reports this as validation-failure with reason mtasts-policy-mx-mismatch.
                return MxHostPlan.excluded(host, preference, "not in the MTA-STS policy " + policy.mxPatterns()
                        + " (RFC 8461 4.1)", ResultType.VALIDATION_FAILURE);
            }
            return MxHostPlan.usable(host, preference, lookup.addresses, TlsRequirement.PKIX, null, stsRule);
        }
        if (lookup.kind == DaneRequirement.Kind.ENCRYPT) {
            return MxHostPlan.usable(host, preference, lookup.addresses, TlsRequirement.ENCRYPT, lookup.dane,
                    lookup.reason + ", none usable");
        }
        String rule = lookup.reason;
        if (policy != null && policy.mode() == MtaStsMode.TESTING) {
            rule += "; " + stsRule + (policy.matches(host) ? ": would require PKIX" : ": would exclude this host");
        }
        return MxHostPlan.usable(host, preference, lookup.addresses, TlsRequirement.OPPORTUNISTIC, null, rule);
    }

    // The engine's form of a name (DomainNames); a name that is none is kept, lower-cased, so that
    // the plan can say so.
    private static String normalize(String domain) {
        String name = domain.trim();
        String normalized = DomainNames.normalize(name);
        if (normalized != null) {
            return normalized;
        }
        return (name.endsWith(".") ? name.substring(0, name.length() - 1) : name).toLowerCase(Locale.ROOT);
    }

    @Override
    public void close() throws IOException {
        mtaSts.close();
    }
}
