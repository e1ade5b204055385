package dev.securedelivery.posture;

import dev.securedelivery.dane.DaneRequirement;
import dev.securedelivery.mtasts.MtaStsLookup;
import dev.securedelivery.policy.DeliveryPlan;
import dev.securedelivery.policy.MxHostPlan;
import java.util.Objects;
import java.util.Optional;

/**
 * What a destination domain publishes, as far as the delivery found out: an MTA-STS policy, DANE
 * TLSA records for its MX hosts, a TLS-RPT record. Each is known yes, known no, or unknown (the
 * lookup failed or was not made).
 */
public final class Publication {
    /** One answer. */
    public enum Known {
        YES,
        NO,
        UNKNOWN;

        /** {@code 1}, {@code 0} or {@code ?}: the form in files. */
        char code() {
            return this == YES ? '1' : this == NO ? '0' : '?';
        }

        static Known ofCode(char code) {
            switch (code) {
                case '1':
                    return YES;
                case '0':
                    return NO;
                case '?':
                    return UNKNOWN;
                default:
                    throw new IllegalArgumentException("not 1, 0 or ?: " + code);
            }
        }

        /** For JSON: true, false, or null for unknown. */
        public Boolean asBoolean() {
            return this == UNKNOWN ? null : this == YES;
        }

        // A known answer replaces an older one; an unknown one keeps what was known.
        Known updatedBy(Known newer) {
            return newer == UNKNOWN ? this : newer;
        }
    }

    public static final Publication UNKNOWN = new Publication(Known.UNKNOWN, Known.UNKNOWN, Known.UNKNOWN);

    private final Known mtaSts;
    private final Known dane;
    private final Known tlsRpt;

    public Publication(Known mtaSts, Known dane, Known tlsRpt) {
        this.mtaSts = Objects.requireNonNull(mtaSts, "mtaSts");
        this.dane = Objects.requireNonNull(dane, "dane");
        this.tlsRpt = Objects.requireNonNull(tlsRpt, "tlsRpt");
    }

    /**
     * What {@code plan} found: an MTA-STS policy (any mode) when the lookup found one; DANE when a
     * host has DNSSEC-secure TLSA records (usable or not, RFC 7672 2.2), no when every host is known
     * to have none or the MX records are not DNSSEC-signed (DANE cannot apply then, RFC 7672 2.2.1).
     * TLS-RPT is not part of a plan: unknown here, {@link TlsRptProbe} asks.
     */
    public static Publication of(Optional<DeliveryPlan> plan) {
        if (plan.isEmpty()) {
            return UNKNOWN;
        }
        Known mtaSts = plan.get()
                .mtaSts()
                .map(lookup -> lookup.outcome() == MtaStsLookup.Outcome.POLICY
                        ? Known.YES
                        : lookup.outcome() == MtaStsLookup.Outcome.NO_POLICY ? Known.NO : Known.UNKNOWN)
                .orElse(Known.UNKNOWN);
        return new Publication(mtaSts, dane(plan.get()), Known.UNKNOWN);
    }

    /** Only whether the domain publishes a TLS-RPT record (RFC 8460 3) known. */
    public static Publication ofTlsRpt(boolean publishes) {
        return new Publication(Known.UNKNOWN, Known.UNKNOWN, publishes ? Known.YES : Known.NO);
    }

    private static Known dane(DeliveryPlan plan) {
        boolean anyUnknown = false;
        boolean anyHost = false;
        for (MxHostPlan host : plan.hosts()) {
            Optional<DaneRequirement> dane = host.dane();
            if (dane.isEmpty()) {
                anyUnknown = true;
                continue;
            }
            anyHost = true;
            DaneRequirement.Kind kind = dane.get().kind();
            if (kind == DaneRequirement.Kind.DANE || kind == DaneRequirement.Kind.ENCRYPT) {
                return Known.YES;
            }
            anyUnknown |= kind == DaneRequirement.Kind.UNAVAILABLE;
        }
        if (anyHost && !anyUnknown) {
            return Known.NO;
        }
        // Hosts without a DANE answer: none was needed where the MX records are insecure.
        return plan.hosts().isEmpty() || plan.mxSecure() ? Known.UNKNOWN : Known.NO;
    }

    public Known mtaSts() {
        return mtaSts;
    }

    public Known dane() {
        return dane;
    }

    public Known tlsRpt() {
        return tlsRpt;
    }

    /** This, each answer replaced by {@code newer}'s where that one is known. */
    Publication updatedBy(Publication newer) {
        return new Publication(
                mtaSts.updatedBy(newer.mtaSts), dane.updatedBy(newer.dane), tlsRpt.updatedBy(newer.tlsRpt));
    }

    /** Three characters, {@code 1}, {@code 0} or {@code ?}: MTA-STS, DANE, TLS-RPT. */
    public String code() {
        return new String(new char[] {mtaSts.code(), dane.code(), tlsRpt.code()});
    }

    /** The publication {@link #code()} wrote; {@link IllegalArgumentException} for anything else. */
    public static Publication ofCode(String code) {
        if (code.length() != 3) {
            throw new IllegalArgumentException("not three characters: " + code);
        }
        return new Publication(
                Known.ofCode(code.charAt(0)), Known.ofCode(code.charAt(1)), Known.ofCode(code.charAt(2)));
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof Publication && code().equals(((Publication) other).code());
    }

    @Override
    public int hashCode() {
        return code().hashCode();
    }

    @Override
    public String toString() {
        return "mta-sts=" + mtaSts + " dane=" + dane + " tls-rpt=" + tlsRpt;
    }
}
