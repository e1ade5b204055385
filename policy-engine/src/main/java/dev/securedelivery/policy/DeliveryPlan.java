package dev.securedelivery.policy;

import dev.securedelivery.mtasts.MtaStsLookup;
import dev.securedelivery.mtasts.MtaStsMode;
import dev.securedelivery.mtasts.MtaStsPolicy;
import dev.securedelivery.requiretls.MessageSecurity;
import dev.securedelivery.requiretls.SecurityLevel;
import dev.securedelivery.tlsrpt.ResultType;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * How mail for one domain is to be delivered: the MX hosts in order, each with what its connection
 * must achieve, and the reasons; or why it cannot be delivered now.
 */
public final class DeliveryPlan {
    /** Whether mail can go now. */
    public enum Outcome {
        /** At least one MX host can be tried. */
        DELIVER,
        /** No host can be used now (DNS failed or was bogus, policies exclude every host): retry later. */
        DEFER,
        /** The domain does not exist (NXDOMAIN). */
        NO_SUCH_DOMAIN,
        /** The domain accepts no mail: a null MX record (RFC 7505). */
        NULL_MX
    }

    private final String domain;
    private final Outcome outcome;
    private final List<MxHostPlan> hosts;
    private final MtaStsLookup mtaSts;
    private final DomainOverride override;
    private final String reason;
    private final ResultType failureType;
    private final boolean mxSecure;
    private final MessageSecurity message;

    DeliveryPlan(
            String domain,
            Outcome outcome,
            List<MxHostPlan> hosts,
            MtaStsLookup mtaSts,
            DomainOverride override,
            String reason,
            ResultType failureType) {
        this(domain, outcome, hosts, mtaSts, override, reason, failureType, false, MessageSecurity.NONE);
    }

    /**
     * @param mxSecure whether the MX records were DNSSEC-validated (RFC 8689 4.2.1 step 2)
     * @param message what the message this plan is for demands, or {@link MessageSecurity#NONE} for a
     *     destination's own plan
     */
    DeliveryPlan(
            String domain,
            Outcome outcome,
            List<MxHostPlan> hosts,
            MtaStsLookup mtaSts,
            DomainOverride override,
            String reason,
            ResultType failureType,
            boolean mxSecure,
            MessageSecurity message) {
        this.domain = Objects.requireNonNull(domain, "domain");
        this.outcome = Objects.requireNonNull(outcome, "outcome");
        this.hosts = List.copyOf(hosts);
        this.mtaSts = mtaSts;
        this.override = override;
        this.reason = reason;
        this.failureType = failureType;
        this.mxSecure = mxSecure;
        this.message = Objects.requireNonNull(message, "message");
    }

    public String domain() {
        return domain;
    }

    public Outcome outcome() {
        return outcome;
    }

    /** Every MX host, in the order to try them, the excluded ones too. */
    public List<MxHostPlan> hosts() {
        return hosts;
    }

    /** The hosts to try, in order. */
    public List<MxHostPlan> usableHosts() {
        List<MxHostPlan> usable = new ArrayList<>();
        for (MxHostPlan host : hosts) {
            if (!host.isExcluded()) {
                usable.add(host);
            }
        }
        return usable;
    }

    /** The domain's MTA-STS answer, when it was asked. */
    public Optional<MtaStsLookup> mtaSts() {
        return Optional.ofNullable(mtaSts);
    }

    public Optional<DomainOverride> override() {
        return Optional.ofNullable(override);
    }

    /** Why the outcome is not {@link Outcome#DELIVER}. */
    public Optional<String> reason() {
        return Optional.ofNullable(reason);
    }

    /** The RFC 8460 result type of what stops delivery, where one applies. */
    public Optional<ResultType> failureType() {
        return Optional.ofNullable(failureType);
    }

    /**
     * This destination's plan for one message that demands {@code security}: each usable host held
     * to the stricter of the two. Every rule that combines them is here:
     * <ol>
     *   <li>{@code TLS-Required: No} relaxes a host that must have TLS to opportunistic STARTTLS
     *       (RFC 8689 3), except where a local override demands more ({@code require-tls},
     *       {@code dane-only}, {@code mta-sts-enforce}). Hosts the plan ruled out stay out.
     *   <li>Level {@code dane}: a host without usable TLSA records is ruled out for this message.
     *   <li>Level {@code authenticated} (REQUIRETLS's too, RFC 8689 4.2.1 step 4): a host that would
     *       not be authenticated is held to PKIX and its MX host name.
     *   <li>Level {@code tls}: a host that might go plaintext must have STARTTLS.
     *   <li>REQUIRETLS: a PKIX host whose name neither DNSSEC-signed MX records nor an MTA-STS policy
     *       in enforce mode vouch for is ruled out (RFC 8689 4.2.1 step 2); the others must offer
     *       REQUIRETLS (step 5).
     * </ol>
     * A plan with no host left defers: the message waits, as for any host the policy rules out.
     */
    public DeliveryPlan forMessage(MessageSecurity security) {
        if (!security.demandsAnything() || outcome != Outcome.DELIVER) {
            return this;
        }
        List<MxHostPlan> adjusted = new ArrayList<>();
        for (MxHostPlan host : hosts) {
            adjusted.add(host.isExcluded() ? host : forMessage(host, security));
        }
        boolean anyUsable = adjusted.stream().anyMatch(host -> !host.isExcluded());
        return new DeliveryPlan(
                domain,
                anyUsable ? Outcome.DELIVER : Outcome.DEFER,
                adjusted,
                mtaSts,
                override,
                anyUsable ? null : "no MX host can give what the message demands (" + security + ")",
                null,
                mxSecure,
                security);
    }

    private MxHostPlan forMessage(MxHostPlan host, MessageSecurity security) {
        TlsRequirement requirement = host.requirement().orElseThrow();
        if (security.tlsOptional() && requirement.requiresTls() && !overrideDemandsMore()) {
            // RFC 8689 3: the destination's policy is ignored, but STARTTLS is still used when offered.
            requirement = TlsRequirement.OPPORTUNISTIC;
        }
        SecurityLevel level = security.level().orElse(null);
        if (level == SecurityLevel.DANE && requirement != TlsRequirement.DANE) {
            return MxHostPlan.excluded(
                    host.host(),
                    host.preference(),
                    host.host() + " has no usable DANE TLSA" + " records; the message requires level "
                            + SecurityLevel.DANE,
                    null);
        }
        if (level == SecurityLevel.AUTHENTICATED
                && requirement != TlsRequirement.DANE
                && requirement != TlsRequirement.PKIX) {
            requirement = TlsRequirement.PKIX;
        }
        if (level == SecurityLevel.TLS && !requirement.requiresTls()) {
            requirement = TlsRequirement.ENCRYPT;
        }
        if (security.requireTls() && requirement == TlsRequirement.PKIX && !mxSecure && !enforcedPolicyLists(host)) {
            return MxHostPlan.excluded(
                    host.host(),
                    host.preference(),
                    "REQUIRETLS: the name " + host.host()
                            + " is vouched for neither by DNSSEC-signed MX records nor by an MTA-STS policy in enforce mode"
                            + " (RFC 8689 4.2.1)",
                    null);
        }
        return host.forMessage(requirement, security.requireTls(), "message: " + security + ", so " + requirement);
    }

    private boolean overrideDemandsMore() {
        return override == DomainOverride.REQUIRE_TLS
                || override == DomainOverride.DANE_ONLY
                || override == DomainOverride.MTA_STS_ENFORCE;
    }

    private boolean enforcedPolicyLists(MxHostPlan host) {
        MtaStsPolicy policy = mtaSts == null ? null : mtaSts.policy().orElse(null);
        return policy != null && enforcesMtaSts() && policy.matches(host.host());
    }

    /** Whether the MX records were DNSSEC-validated (without that, DANE does not apply: RFC 7672 2.2.1). */
    public boolean mxSecure() {
        return mxSecure;
    }

    /** Whether an MTA-STS policy in enforce mode shaped this plan (RFC 8461 5.1 asks to refresh it before failing for good). */
    public boolean enforcesMtaSts() {
        return mtaSts != null
                && mtaSts.policy().isPresent()
                && (mtaSts.policy().get().mode() == MtaStsMode.ENFORCE
                        || (override == DomainOverride.MTA_STS_ENFORCE
                                && mtaSts.policy().get().mode() == MtaStsMode.TESTING));
    }

    /** The plan in one line: the hosts in order, each with its requirement and rule, and what decided. */
    public String explain() {
        StringBuilder line = new StringBuilder(domain).append(": ");
        switch (outcome) {
            case DELIVER:
                line.append("deliver via ");
                break;
            case DEFER:
                line.append("defer (").append(reason).append(')');
                break;
            default:
                line.append(outcome.name().toLowerCase(Locale.ROOT).replace('_', ' '))
                        .append(" (")
                        .append(reason)
                        .append(')');
        }
        List<String> parts = new ArrayList<>();
        hosts.forEach(host -> parts.add(host.toString()));
        if (!parts.isEmpty()) {
            line.append(outcome == Outcome.DELIVER ? "" : "; hosts: ").append(String.join(", ", parts));
        }
        if (mtaSts != null) {
            line.append("; mta-sts: ").append(describe(mtaSts));
        }
        if (override != null) {
            line.append("; override: ").append(override);
        }
        if (message.demandsAnything()) {
            line.append("; message: ").append(message);
        }
        return line.toString();
    }

    private static String describe(MtaStsLookup lookup) {
        switch (lookup.outcome()) {
            case POLICY:
                return lookup.policy().orElseThrow().mode() + " id "
                        + lookup.policyId().orElse("");
            case NO_POLICY:
                return "none";
            default:
                return "unknown (" + lookup.failure().map(Object::toString).orElse("") + ")";
        }
    }

    @Override
    public String toString() {
        return explain();
    }
}
