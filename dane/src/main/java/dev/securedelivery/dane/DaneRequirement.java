package dev.securedelivery.dane;

import dev.securedelivery.tlsrpt.ResultType;
import java.net.InetAddress;
import java.time.Clock;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What DANE asks of one MX host (RFC 7672 2.2): authenticate it by its TLSA records, encrypt
 * without authenticating, nothing, or wait: DNS could not say.
 */
public final class DaneRequirement {
    /** The four outcomes of RFC 7672 2.1 and 2.2 for one host. */
    public enum Kind {
        /** Secure TLSA records, at least one usable: TLS, authenticated by them (RFC 7672 2.2). */
        DANE,
        /** Secure TLSA records, none usable: TLS required, without authentication (RFC 7672 3.1.3). */
        ENCRYPT,
        /** No secure TLSA records (insecure zone, insecure MX RRset, none published): DANE does not apply. */
        NONE,
        /** A lookup was bogus or failed: the host gets no mail until DNS answers (RFC 7672 2.1.1). */
        UNAVAILABLE
    }

    private final String host;
    private final Kind kind;
    private final List<InetAddress> addresses;
    private final List<TlsaRecord> records;
    private final ReferenceIdentifiers names;
    private final String reason;
    private final ResultType failureType;
    private final DaneRequirement addressFailure;

    private DaneRequirement(
            String host,
            Kind kind,
            List<InetAddress> addresses,
            List<TlsaRecord> records,
            ReferenceIdentifiers names,
            String reason,
            ResultType failureType,
            DaneRequirement addressFailure) {
        this.host = Objects.requireNonNull(host, "host");
        this.kind = Objects.requireNonNull(kind, "kind");
        this.addresses = List.copyOf(addresses);
        this.records = List.copyOf(records);
        this.names = names;
        this.reason = Objects.requireNonNull(reason, "reason");
        this.failureType = failureType;
        this.addressFailure = addressFailure;
    }

    /** Secure TLSA records for {@code host}: {@link Kind#DANE} if one is usable, else {@link Kind#ENCRYPT}. */
    public static DaneRequirement tlsa(
            String host,
            List<InetAddress> addresses,
            List<TlsaRecord> records,
            ReferenceIdentifiers names,
            String reason) {
        boolean usable = records.stream().anyMatch(TlsaRecord::isUsable);
        return new DaneRequirement(
                host, usable ? Kind.DANE : Kind.ENCRYPT, addresses, records, names, reason, null, null);
    }

    static DaneRequirement none(String host, List<InetAddress> addresses, String reason) {
        return none(host, addresses, reason, null);
    }

    /** @param addressFailure an address lookup that failed but, DANE not applying, did not rule the host out */
    static DaneRequirement none(
            String host, List<InetAddress> addresses, String reason, DaneRequirement addressFailure) {
        return new DaneRequirement(host, Kind.NONE, addresses, List.of(), null, reason, null, addressFailure);
    }

    static DaneRequirement unavailable(String host, String reason, ResultType failureType) {
        return new DaneRequirement(host, Kind.UNAVAILABLE, List.of(), List.of(), null, reason, failureType, null);
    }

    /** The MX host name, lower case, no trailing dot. */
    public String host() {
        return host;
    }

    public Kind kind() {
        return kind;
    }

    /** The host's addresses, IPv4 first; empty when unavailable or when the host has none. */
    public List<InetAddress> addresses() {
        return addresses;
    }

    /** The TLSA records found, usable or not; empty unless {@link Kind#DANE} or {@link Kind#ENCRYPT}. */
    public List<TlsaRecord> records() {
        return records;
    }

    /** The names a DANE-TA(2) certificate must carry, the TLSA base domain first; for DANE only. */
    public Optional<ReferenceIdentifiers> referenceIdentifiers() {
        return Optional.ofNullable(names);
    }

    /** The name to send as SNI: the TLSA base domain (RFC 7671 10.2), else the host name. */
    public String serverName() {
        return names != null ? names.primary() : host;
    }

    /** Why this is the requirement: where the records were found, or which lookup said what. */
    public String reason() {
        return reason;
    }

    /** For {@link Kind#UNAVAILABLE} after a bogus answer: {@code dnssec-invalid} (RFC 8460 4.3.2.1). */
    public Optional<ResultType> failureType() {
        return Optional.ofNullable(failureType);
    }

    /**
     * For {@link Kind#NONE}: an A or AAAA lookup that was bogus or failed where DANE cannot apply, so
     * that it only left its address family out (RFC 7672 2.1.1); the host as it would be had the
     * failure counted, for a local policy that demands DANE anyway.
     */
    public Optional<DaneRequirement> addressFailure() {
        return Optional.ofNullable(addressFailure);
    }

    /** A trust manager that holds a connection to this host to its TLSA records. */
    public DaneTrustManager trustManager(Clock clock) {
        if (kind != Kind.DANE) {
            throw new IllegalStateException(host + " has no usable TLSA records: " + reason);
        }
        return new DaneTrustManager(records, names, clock);
    }

    @Override
    public String toString() {
        return host + ": " + kind + " (" + reason + ")";
    }
}
