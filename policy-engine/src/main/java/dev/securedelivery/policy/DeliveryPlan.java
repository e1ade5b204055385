package dev.securedelivery.policy;

import dev.securedelivery.mtasts.MtaStsLookup;
import dev.securedelivery.tlsrpt.ResultType;
import java.util.ArrayList;
import java.util.List;
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

    DeliveryPlan(String domain, Outcome outcome, List<MxHostPlan> hosts, MtaStsLookup mtaSts, DomainOverride override,
            String reason, ResultType failureType) {
        this.domain = Objects.requireNonNull(domain, "domain");
        this.outcome = Objects.requireNonNull(outcome, "outcome");
        this.hosts = List.copyOf(hosts);
        this.mtaSts = mtaSts;
        this.override = override;
        this.reason = reason;
        this.failureType = failureType;
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

    /** Whether an MTA-STS policy in enforce mode shaped this plan (RFC 8461 5.1 asks to refresh it before failing for good). */
    public boolean enforcesMtaSts() {
        return mtaSts != null && mtaSts.policy().isPresent()
                && (mtaSts.policy().get().mode() == dev.securedelivery.mtasts.MtaStsMode.ENFORCE
                || (override == DomainOverride.MTA_STS_ENFORCE
                        && mtaSts.policy().get().mode() == dev.securedelivery.mtasts.MtaStsMode.TESTING));
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
                line.append(outcome.name().toLowerCase(java.util.Locale.ROOT).replace('_', ' '))
                        .append(" (").append(reason).append(')');
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
        return line.toString();
    }

    private static String describe(MtaStsLookup lookup) {
        switch (lookup.outcome()) {
            case POLICY:
                return lookup.policy().orElseThrow().mode() + " id " + lookup.policyId().orElse("");
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
