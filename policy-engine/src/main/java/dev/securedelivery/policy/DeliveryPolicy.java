package dev.securedelivery.policy;

import dev.securedelivery.dane.DaneLookup;
import dev.securedelivery.dane.DaneRequirement;
import dev.securedelivery.dns.DnsAnswer;
import dev.securedelivery.dns.DnsResolver;
import dev.securedelivery.dns.DnsStatus;
import dev.securedelivery.mtasts.DomainNames;
import dev.securedelivery.mtasts.MtaStsEngine;
import dev.securedelivery.mtasts.MtaStsFailure;
import dev.securedelivery.mtasts.MtaStsLookup;
import dev.securedelivery.mtasts.MtaStsMode;
import dev.securedelivery.mtasts.MtaStsPolicy;
import dev.securedelivery.peertext.PeerText;
import dev.securedelivery.requiretls.MessageSecurity;
import dev.securedelivery.tlsrpt.ResultType;
import java.io.Closeable;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;
import org.xbill.DNS.MXRecord;
import org.xbill.DNS.Name;
import org.xbill.DNS.TextParseException;
import org.xbill.DNS.Type;

/**
 * Decides, per destination domain, which MX hosts get mail and what each connection must achieve.
 *
 * <p>The rules, in order, for each MX host (taken in MX preference order, RFC 5321 5.1):
 * <ol>
 *   <li>An override {@code none}, {@code opportunistic} or {@code require-tls} decides alone.
 *   <li>A host whose DNS lookups were bogus or failed is skipped this time (RFC 7672 2.1.1). Where
 *       DANE cannot apply, a failed or bogus A or AAAA lookup only leaves out that address family
 *       ({@link DaneLookup}), unless a {@code dane-only} override asks for DANE anyway.
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
 * left is {@link DeliveryPlan.Outcome#DEFER}, never a permanent failure (RFC 8461 5). Only the
 * {@value #MAX_MX_HOSTS} most preferred MX hosts are planned.
 */
public final class DeliveryPolicy implements Closeable {
    private static final Logger LOGGER = LoggerFactory.getLogger(DeliveryPolicy.class);
    /**
     * The most MX hosts a plan considers, the most preferred first. RFC 5321 sets no limit; real domains
     * publish a handful, and a delivery tries at most a few addresses anyway (DeliveryLimits).
     */
    public static final int MAX_MX_HOSTS = 20;
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
    public CompletableFuture<DeliveryPlan> plan(DomainName domain) {
        String key = domain.asciiName();
        Name name;
        try {
            name = Name.fromString(key, Name.root);
        } catch (TextParseException | IllegalArgumentException e) {
            return CompletableFuture.completedFuture(new DeliveryPlan(
                    key,
                    DeliveryPlan.Outcome.NO_SUCH_DOMAIN,
                    List.of(),
                    null,
                    null,
                    "\"" + key + "\" is not a domain name",
                    null));
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
    public MtaStsLookup refreshMtaSts(DomainName domain) {
        return mtaSts.refresh(domain.asciiName());
    }

    private CompletableFuture<DeliveryPlan> hosts(
            String domain, DnsAnswer mx, DomainOverride override, CompletableFuture<MtaStsLookup> policy) {
        if (mx.status() == DnsStatus.BOGUS) {
            return defer(
                    domain,
                    policy,
                    override,
                    "the MX records are bogus: " + mx.failureReason(),
                    ResultType.DNSSEC_INVALID);
        }
        if (mx.status() == DnsStatus.FAILED) {
            return defer(domain, policy, override, "the MX lookup failed: " + mx.failureReason(), null);
        }
        if (!mx.nameExists()) {
            return CompletableFuture.completedFuture(new DeliveryPlan(
                    domain,
                    DeliveryPlan.Outcome.NO_SUCH_DOMAIN,
                    List.of(),
                    null,
                    override,
                    "the domain does not exist (NXDOMAIN)",
                    null));
        }
        List<MXRecord> records = mx.records(MXRecord.class);
        if (records.size() == 1 && records.get(0).getTarget().equals(Name.root)) {
            return CompletableFuture.completedFuture(new DeliveryPlan(
                    domain,
                    DeliveryPlan.Outcome.NULL_MX,
                    List.of(),
                    null,
                    override,
                    "the domain accepts no mail (null MX, RFC 7505)",
                    null));
        }
        boolean secure = mx.status() == DnsStatus.SECURE;
        List<Candidate> candidates = new ArrayList<>();
        if (records.isEmpty()) {
            // RFC 5321 5.1: without MX records the domain itself is the one, implicit, MX host.
            candidates.add(new Candidate(domain, 0, dane.requirement(domain, true, domain)));
        } else {
            records.sort(Comparator.comparingInt(MXRecord::getPriority)
                    .thenComparing(record -> record.getTarget().toString()));
            for (MXRecord record : records) {
                if (record.getTarget().equals(Name.root)) {
                    continue;
                }
                if (candidates.size() == MAX_MX_HOSTS) {
                    // Whoever controls the domain chooses how many: 1,000 MX hosts must not cost 3,000 lookups.
                    LOGGER.info(
                            "{}: {} MX records; only the {} most preferred are planned",
                            domain,
                            records.size(),
                            MAX_MX_HOSTS);
                    break;
                }
                String target = record.getTarget().toString();
                String host = DomainNames.normalize(target);
                if (host == null) {
                    // RFC 5321 2.3.5 and 5.1: an MX names a host. One that is no host name (mx_2, an
                    // address) is skipped, as Postfix does, before any lookup: SNI, the PKIX name check
                    // and the MTA-STS mx patterns could not take it either.
                    candidates.add(Candidate.notAHostName(shown(target), record.getPriority()));
                    continue;
                }
                candidates.add(new Candidate(host, record.getPriority(), dane.requirement(host, secure, domain)));
            }
        }
        CompletableFuture<?>[] lookups = candidates.stream()
                .filter(Candidate::isHostName)
                .map(candidate -> candidate.dane)
                .toArray(CompletableFuture[]::new);
        return CompletableFuture.allOf(lookups)
                .thenCombine(policy, (done, sts) -> decide(domain, candidates, sts, override, secure));
    }

    private CompletableFuture<DeliveryPlan> defer(
            String domain,
            CompletableFuture<MtaStsLookup> policy,
            DomainOverride override,
            String reason,
            ResultType type) {
        return policy.thenApply(
                sts -> new DeliveryPlan(domain, DeliveryPlan.Outcome.DEFER, List.of(), sts, override, reason, type));
    }

    private static final class Candidate {
        final String host;
        final int preference;
        final CompletableFuture<DaneRequirement> dane;

        Candidate(String host, int preference, CompletableFuture<DaneRequirement> dane) {
            this.host = host;
            this.preference = preference;
            this.dane = dane;
        }

        /** An MX whose target is no host name: excluded, nothing looked up. */
        static Candidate notAHostName(String target, int preference) {
            return new Candidate(target, preference, null);
        }

        boolean isHostName() {
            return dane != null;
        }
    }

    private DeliveryPlan decide(
            String domain, List<Candidate> candidates, MtaStsLookup sts, DomainOverride override, boolean mxSecure) {
        List<MxHostPlan> hosts = new ArrayList<>();
        for (Candidate candidate : candidates) {
            hosts.add(
                    candidate.isHostName()
                            ? decide(candidate, candidate.dane.join(), sts, override)
                            : MxHostPlan.excluded(
                                    candidate.host,
                                    candidate.preference,
                                    "not a host name (RFC 5321 2.3.5): skipped",
                                    null));
        }
        boolean anyUsable = hosts.stream().anyMatch(host -> !host.isExcluded());
        if (anyUsable) {
            return new DeliveryPlan(
                    domain,
                    DeliveryPlan.Outcome.DELIVER,
                    hosts,
                    sts,
                    override,
                    null,
                    null,
                    mxSecure,
                    MessageSecurity.NONE);
        }
        ResultType type = hosts.stream()
                .map(MxHostPlan::exclusionType)
                .filter(java.util.Optional::isPresent)
                .map(java.util.Optional::get)
                .findFirst()
                .orElse(null);
        return new DeliveryPlan(
                domain,
                DeliveryPlan.Outcome.DEFER,
                hosts,
                sts,
                override,
                "no MX host can be used now" + (mxSecure ? "" : " (the MX records are not DNSSEC-signed)"),
                type,
                mxSecure,
                MessageSecurity.NONE);
    }

    private static MxHostPlan decide(
            Candidate candidate, DaneRequirement dane, MtaStsLookup sts, DomainOverride override) {
        String host = candidate.host;
        int preference = candidate.preference;
        if (override == DomainOverride.DANE_ONLY) {
            // Where DANE is demanded, a failed address lookup counts (RFC 7672 2.1.1).
            dane = dane.addressFailure().orElse(dane);
        }
        if (dane.kind() == DaneRequirement.Kind.UNAVAILABLE) {
            return MxHostPlan.excluded(
                    host, preference, dane.reason(), dane.failureType().orElse(null));
        }
        if (dane.addresses().isEmpty()) {
            return MxHostPlan.excluded(host, preference, host + " has no address", null);
        }
        if (override == DomainOverride.NONE) {
            return MxHostPlan.usable(
                    host, preference, dane.addresses(), TlsRequirement.NO_TLS, null, "override none: no TLS");
        }
        if (override == DomainOverride.OPPORTUNISTIC) {
            return MxHostPlan.usable(
                    host, preference, dane.addresses(), TlsRequirement.OPPORTUNISTIC, null, "override opportunistic");
        }
        if (override == DomainOverride.REQUIRE_TLS) {
            return MxHostPlan.usable(
                    host, preference, dane.addresses(), TlsRequirement.PKIX, null, "override require-tls");
        }
        if (dane.kind() == DaneRequirement.Kind.DANE) {
            // RFC 8461 2: where DANE TLSA records are published, DANE decides, not MTA-STS.
            return MxHostPlan.usable(host, preference, dane.addresses(), TlsRequirement.DANE, dane, dane.reason());
        }
        if (override == DomainOverride.DANE_ONLY) {
            return MxHostPlan.excluded(
                    host, preference, "override dane-only, and " + dane.reason(), ResultType.DANE_REQUIRED);
        }
        if (sts.outcome() == MtaStsLookup.Outcome.TEMPORARY_FAILURE) {
            // The lookup's RFC 8460 type (sts-policy-fetch-error), so that the TLS report counts the host.
            return MxHostPlan.excluded(
                    host,
                    preference,
                    "the MTA-STS policy is unknown: "
                            + sts.failure().map(Object::toString).orElse("lookup failed"),
                    sts.failure().flatMap(MtaStsFailure::resultType).orElse(null));
        }
        MtaStsPolicy policy = sts.policy().orElse(null);
        boolean enforce = policy != null
                && (policy.mode() == MtaStsMode.ENFORCE
                        || (policy.mode() == MtaStsMode.TESTING && override == DomainOverride.MTA_STS_ENFORCE));
        String stsRule = policy == null
                ? null
                : "mta-sts " + policy.mode()
                        + (enforce && policy.mode() == MtaStsMode.TESTING ? " enforced by override" : "")
                        + " id " + sts.policyId().orElse("");
        if (enforce) {
            if (!policy.matches(host)) {
                // mox reports this as validation-failure with reason mtasts-policy-mx-mismatch.
                return MxHostPlan.excluded(
                        host,
                        preference,
                        "not in the MTA-STS policy " + policy.mxPatterns() + " (RFC 8461 4.1)",
                        ResultType.VALIDATION_FAILURE);
            }
            return MxHostPlan.usable(host, preference, dane.addresses(), TlsRequirement.PKIX, null, stsRule);
        }
        if (dane.kind() == DaneRequirement.Kind.ENCRYPT) {
            return MxHostPlan.usable(
                    host, preference, dane.addresses(), TlsRequirement.ENCRYPT, dane, dane.reason() + ", none usable");
        }
        String rule = dane.reason();
        if (policy != null && policy.mode() == MtaStsMode.TESTING) {
            rule += "; " + stsRule + (policy.matches(host) ? ": would require PKIX" : ": would exclude this host");
        }
        return MxHostPlan.usable(host, preference, dane.addresses(), TlsRequirement.OPPORTUNISTIC, null, rule);
    }

    // A name that is no host name, as the plan shows it: the DNS's text form, lower-cased, cleaned.
    private static String shown(String target) {
        String name = target.endsWith(".") ? target.substring(0, target.length() - 1) : target;
        return PeerText.clean(name.toLowerCase(Locale.ROOT), 255);
    }

    @Override
    public void close() throws IOException {
        mtaSts.close();
    }
}
