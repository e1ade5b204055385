package dev.securedelivery.smtp;

import dev.securedelivery.dane.DaneRequirement;
import dev.securedelivery.dane.ReferenceIdentifiers;
import dev.securedelivery.dane.TlsaRecord;
import dev.securedelivery.mtasts.MtaStsLookup;
import dev.securedelivery.policy.DeliveryPlan;
import dev.securedelivery.policy.DomainOverride;
import dev.securedelivery.policy.MxHostPlan;
import dev.securedelivery.policy.TlsRequirement;
import dev.securedelivery.requiretls.MessageSecurity;
import java.net.InetAddress;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * Everything the security decision of one SMTP session rests on: an idle session is given to a
 * message only when the message's key equals the key the session was opened under
 * ({@link IdleSessions}). The key holds
 * <ul>
 *   <li>the destination (policy) domain: sessions are never shared between recipient domains, even
 *       where two domains name the same MX host, so that no domain's mail rides on a session another
 *       domain's plan decided;</li>
 *   <li>the MX host name and the address connected to;</li>
 *   <li>the host's {@link TlsRequirement}, whether REQUIRETLS is demanded of it, the name sent as
 *       SNI and checked, and for DANE the TLSA RRset (as a set) and the reference identifiers the
 *       session was authenticated against;</li>
 *   <li>the MTA-STS state of the plan: its outcome, policy id and policy text (a new policy, even one
 *       under the same id, opens new sessions), and the local override, if any;</li>
 *   <li>what the message demands ({@link MessageSecurity}: REQUIRETLS, {@code TLS-Required: No}, a
 *       level) and whether its sessions count in TLS reports (RFC 8460 5.3: a report's own delivery
 *       does not), so that a session is recorded for TLS reports exactly as a fresh one would be.</li>
 * </ul>
 */
public final class SessionKey {
    private final String destination;
    private final String host;
    private final InetAddress address;
    private final TlsRequirement requirement;
    private final boolean requireTls;
    private final String serverName;
    private final Set<TlsaRecord> tlsa;
    private final List<String> referenceIdentifiers;
    private final MtaStsLookup.Outcome mtaStsOutcome;
    private final String mtaStsPolicyId;
    private final String mtaStsPolicyText;
    private final DomainOverride override;
    private final MessageSecurity demands;
    private final boolean reported;

    SessionKey(
            String destination,
            MxHostPlan host,
            InetAddress address,
            MtaStsLookup.Outcome mtaStsOutcome,
            String mtaStsPolicyId,
            String mtaStsPolicyText,
            DomainOverride override,
            MessageSecurity demands,
            boolean reported) {
        this.destination = Objects.requireNonNull(destination, "destination");
        this.host = host.host();
        this.address = Objects.requireNonNull(address, "address");
        this.requirement = host.requirement()
                .orElseThrow(() -> new IllegalArgumentException(host.host() + " is excluded from the plan"));
        this.requireTls = host.requireTls();
        this.serverName = host.serverName();
        DaneRequirement dane = host.dane().orElse(null);
        this.tlsa = dane == null ? Set.of() : Set.copyOf(dane.records());
        this.referenceIdentifiers = dane == null
                ? List.of()
                : dane.referenceIdentifiers().map(ReferenceIdentifiers::names).orElse(List.of());
        this.mtaStsOutcome = mtaStsOutcome;
        this.mtaStsPolicyId = mtaStsPolicyId;
        this.mtaStsPolicyText = mtaStsPolicyText;
        this.override = override;
        this.demands = Objects.requireNonNull(demands, "demands");
        this.reported = reported;
    }

    /**
     * The key of a session to {@code address} of {@code host} (the host as held for this message)
     * under {@code planned} (the destination's own plan) for a message that demands {@code demands}.
     *
     * @param reported whether the message's sessions count in TLS reports
     */
    public static SessionKey of(
            DeliveryPlan planned, MxHostPlan host, InetAddress address, MessageSecurity demands, boolean reported) {
        MtaStsLookup mtaSts = planned.mtaSts().orElse(null);
        return new SessionKey(
                planned.domain(),
                host,
                address,
                mtaSts == null ? null : mtaSts.outcome(),
                mtaSts == null ? null : mtaSts.policyId().orElse(null),
                mtaSts == null ? null : mtaSts.policyText().orElse(null),
                planned.override().orElse(null),
                demands,
                reported);
    }

    public String destination() {
        return destination;
    }

    public String host() {
        return host;
    }

    public InetAddress address() {
        return address;
    }

    public TlsRequirement requirement() {
        return requirement;
    }

    @Override
    public boolean equals(Object other) {
        if (this == other) {
            return true;
        }
        if (!(other instanceof SessionKey)) {
            return false;
        }
        SessionKey that = (SessionKey) other;
        return requireTls == that.requireTls
                && reported == that.reported
                && destination.equals(that.destination)
                && host.equals(that.host)
                && address.equals(that.address)
                && requirement == that.requirement
                && serverName.equals(that.serverName)
                && tlsa.equals(that.tlsa)
                && referenceIdentifiers.equals(that.referenceIdentifiers)
                && mtaStsOutcome == that.mtaStsOutcome
                && Objects.equals(mtaStsPolicyId, that.mtaStsPolicyId)
                && Objects.equals(mtaStsPolicyText, that.mtaStsPolicyText)
                && override == that.override
                && demands.equals(that.demands);
    }

    @Override
    public int hashCode() {
        return Objects.hash(destination, host, address, requirement, requireTls, tlsa, mtaStsPolicyId, demands);
    }

    /** For logs: where and how, without the policy text. */
    @Override
    public String toString() {
        return destination + " via " + host + " [" + address.getHostAddress() + "] " + requirement
                + (requireTls ? "+requiretls" : "")
                + (mtaStsPolicyId == null ? "" : " sts-id=" + mtaStsPolicyId)
                + (tlsa.isEmpty() ? "" : " tlsa=" + tlsa.size())
                + (demands.demandsAnything() ? " demands " + demands : "");
    }
}
