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

    private MxHostPlan(String host, int preference, List<InetAddress> addresses, TlsRequirement requirement,
            DaneRequirement dane, String rule, String exclusion, ResultType exclusionType) {
        this.host = Objects.requireNonNull(host, "host");
        this.preference = preference;
        this.addresses = List.copyOf(addresses);
        this.requirement = requirement;
        this.dane = dane;
        this.rule = Objects.requireNonNull(rule, "rule");
        this.exclusion = exclusion;
        this.exclusionType = exclusionType;
    }

    /** A host to try, with what its connection must achieve and the rule that says so. */
    public static MxHostPlan usable(String host, int preference, List<InetAddress> addresses, TlsRequirement requirement,
            DaneRequirement dane, String rule) {
        return new MxHostPlan(host, preference, addresses, Objects.requireNonNull(requirement), dane, rule, null, null);
    }

    /** A host that gets no mail this time, and why. */
    public static MxHostPlan excluded(String host, int preference, String reason, ResultType type) {
        return new MxHostPlan(host, preference, List.of(), null, null, reason, reason, type);
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

    /** The RFC 8460 result type of the exclusion, where one applies. */
    public Optional<ResultType> exclusionType() {
        return Optional.ofNullable(exclusionType);
    }

    @Override
    public String toString() {
        String name = host + " (" + preference + ")";
        return isExcluded() ? "excluded " + name + " [" + exclusion + "]" : name + " " + requirement + " [" + rule + "]";
    }
}
