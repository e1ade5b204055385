package dev.securedelivery.policy;

import dev.securedelivery.dane.DaneRequirement;
import dev.securedelivery.tlsrpt.ResultType;
import java.net.InetAddress;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * One MX host in a {@link DeliveryPlan}: what a connection to it must achieve and why, or why it
 * gets no mail this time.
 */
public final class MxHostPlan {
    private final String host;
    private final int preference;
    private final List<InetAddress> addresses;
    private final TlsRequirement requirement;
    private final DaneRequirement dane;
    private final String rule;
    private final String exclusion;
    private final ResultType exclusionType;
    private final boolean requireTls;

    private MxHostPlan(
            String host,
            int preference,
            List<InetAddress> addresses,
            TlsRequirement requirement,
            DaneRequirement dane,
            String rule,
            String exclusion,
            ResultType exclusionType,
            boolean requireTls) {
        this.host = Objects.requireNonNull(host, "host");
        this.preference = preference;
        this.addresses = List.copyOf(addresses);
        this.requirement = requirement;
        this.dane = dane;
        this.rule = Objects.requireNonNull(rule, "rule");
        this.exclusion = exclusion;
        this.exclusionType = exclusionType;
        this.requireTls = requireTls;
    }

    /** A host to try, with what its connection must achieve and the rule that says so. */
    public static MxHostPlan usable(
            String host,
            int preference,
            List<InetAddress> addresses,
            TlsRequirement requirement,
            DaneRequirement dane,
            String rule) {
        return new MxHostPlan(
                host, preference, addresses, Objects.requireNonNull(requirement), dane, rule, null, null, false);
    }

    /** A host that gets no mail this time, and why. */
    public static MxHostPlan excluded(String host, int preference, String reason, ResultType type) {
        return new MxHostPlan(host, preference, List.of(), null, null, reason, reason, type, false);
    }

    /**
     * This usable host held to {@code requirement} for one message, for the reason {@code why}; with
     * {@code requireTls}, the server must also offer REQUIRETLS and the message is sent with it
     * (RFC 8689 4.2.1).
     */
    public MxHostPlan forMessage(TlsRequirement requirement, boolean requireTls, String why) {
        if (isExcluded()) {
            throw new IllegalStateException(host + " is excluded");
        }
        DaneRequirement kept = requirement == TlsRequirement.DANE ? dane : null;
        return new MxHostPlan(
                host, preference, addresses, requirement, kept, rule + "; " + why, null, null, requireTls);
    }

    public String host() {
        return host;
    }

    public int preference() {
        return preference;
    }

    /** Where to connect, IPv4 first; empty for an excluded host. */
    public List<InetAddress> addresses() {
        return addresses;
    }

    public boolean isExcluded() {
        return exclusion != null;
    }

    /** What the connection must achieve; empty for an excluded host. */
    public Optional<TlsRequirement> requirement() {
        return Optional.ofNullable(requirement);
    }

    /** The DANE side, for {@link TlsRequirement#DANE}: the TLSA records and the names to check. */
    public Optional<DaneRequirement> dane() {
        return Optional.ofNullable(dane);
    }

    /** The name to send as SNI and, for PKIX, to find in the certificate. */
    public String serverName() {
        return dane != null && requirement == TlsRequirement.DANE ? dane.serverName() : host;
    }

    /** Which rule decided, in words: the TLSA records found, the MTA-STS policy, the override. */
    public String rule() {
        return rule;
    }

    /** Why the host gets no mail this time. */
    public Optional<String> exclusion() {
        return Optional.ofNullable(exclusion);
    }

    /**
     * Whether the message must travel with REQUIRETLS: the server must offer it after STARTTLS, and
     * MAIL FROM carries the parameter (RFC 8689 4.2.1 step 5).
     */
    public boolean requireTls() {
        return requireTls;
    }

    /** The RFC 8460 result type of the exclusion, where one applies. */
    public Optional<ResultType> exclusionType() {
        return Optional.ofNullable(exclusionType);
    }

    @Override
    public String toString() {
        String name = host + " (" + preference + ")";
        return isExcluded()
                ? "excluded " + name + " [" + exclusion + "]"
                : name + " " + requirement + (requireTls ? "+requiretls" : "") + " [" + rule + "]";
    }
}
