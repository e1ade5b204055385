package dev.securedelivery.dns;

import dev.securedelivery.peertext.PeerText;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;
import org.xbill.DNS.Type;

/**
 * The outcome of one lookup of a name and type, after following CNAMEs.
 *
 * <p>An answered lookup ({@link DnsStatus#SECURE} or {@link DnsStatus#INSECURE}) has records, or
 * none because the name does not exist ({@link #nameExists()} false) or has no records of the type.
 * A {@link DnsStatus#BOGUS} or {@link DnsStatus#FAILED} lookup has no records and a reason.
 */
public final class DnsAnswer {
    /** The longest {@link #failureReason()}. */
    public static final int MAX_REASON_LENGTH = PeerText.MAX_LENGTH;

    private final Name name;
    private final int type;
    private final DnsStatus status;
    private final Name canonicalName;
    private final List<Record> records;
    private final boolean nameExists;
    private final long ttlSeconds;
    private final String failureReason;

    private DnsAnswer(
            Name name,
            int type,
            DnsStatus status,
            Name canonicalName,
            List<? extends Record> records,
            boolean nameExists,
            long ttlSeconds,
            String failureReason) {
        this.name = Objects.requireNonNull(name, "name");
        this.type = type;
        this.status = Objects.requireNonNull(status, "status");
        this.canonicalName = Objects.requireNonNull(canonicalName, "canonicalName");
        this.records = Collections.unmodifiableList(new ArrayList<>(records));
        this.nameExists = nameExists;
        this.ttlSeconds = ttlSeconds;
        this.failureReason = failureReason;
    }

    /** Records of the asked type owned by {@code canonicalName}, as found. */
    public static DnsAnswer records(
            Name name, int type, boolean secure, Name canonicalName, List<? extends Record> records, long ttlSeconds) {
        return new DnsAnswer(
                name,
                type,
                secure ? DnsStatus.SECURE : DnsStatus.INSECURE,
                canonicalName,
                records,
                true,
                ttlSeconds,
                null);
    }

    /** The (canonical) name exists but has no records of the asked type. */
    public static DnsAnswer noData(Name name, int type, boolean secure, Name canonicalName, long ttlSeconds) {
        return new DnsAnswer(
                name,
                type,
                secure ? DnsStatus.SECURE : DnsStatus.INSECURE,
                canonicalName,
                List.of(),
                true,
                ttlSeconds,
                null);
    }

    /** The (canonical) name does not exist. */
    public static DnsAnswer nxDomain(Name name, int type, boolean secure, Name canonicalName, long ttlSeconds) {
        return new DnsAnswer(
                name,
                type,
                secure ? DnsStatus.SECURE : DnsStatus.INSECURE,
                canonicalName,
                List.of(),
                false,
                ttlSeconds,
                null);
    }

    /** The answer failed DNSSEC validation; {@code reason} is kept as {@link #failureReason()} says. */
    public static DnsAnswer bogus(Name name, int type, String reason) {
        return new DnsAnswer(name, type, DnsStatus.BOGUS, name, List.of(), true, 0, PeerText.clean(reason));
    }

    /** No usable answer could be had; {@code reason} is kept as {@link #failureReason()} says. */
    public static DnsAnswer failed(Name name, int type, String reason) {
        return new DnsAnswer(name, type, DnsStatus.FAILED, name, List.of(), true, 0, PeerText.clean(reason));
    }

    public Name name() {
        return name;
    }

    public int type() {
        return type;
    }

    public DnsStatus status() {
        return status;
    }

    /** True when the upstream answered (secure or insecure), with records or without. */
    public boolean isAnswered() {
        return status == DnsStatus.SECURE || status == DnsStatus.INSECURE;
    }

    /** The name the records were found at: {@link #name()} unless CNAMEs were followed. */
    public Name canonicalName() {
        return canonicalName;
    }

    public List<Record> records() {
        return records;
    }

    /** The records of the asked type, cast to their class. */
    public <T extends Record> List<T> records(Class<T> recordClass) {
        List<T> typed = new ArrayList<>(records.size());
        for (Record record : records) {
            if (recordClass.isInstance(record)) {
                typed.add(recordClass.cast(record));
            }
        }
        return typed;
    }

    /** The addresses of an A or AAAA answer (empty for any other type). */
    public List<InetAddress> addresses() {
        List<InetAddress> addresses = new ArrayList<>(records.size());
        for (Record record : records) {
            if (record instanceof ARecord) {
                addresses.add(((ARecord) record).getAddress());
            } else if (record instanceof AAAARecord) {
                addresses.add(((AAAARecord) record).getAddress());
            }
        }
        return addresses;
    }

    /** False only for an answered NXDOMAIN. */
    public boolean nameExists() {
        return nameExists;
    }

    /**
     * How long the answer may be cached: the smallest TTL of the records and CNAMEs used, or for a
     * negative answer the SOA-derived negative TTL (RFC 2308 5). Zero for a failure.
     */
    public long ttlSeconds() {
        return ttlSeconds;
    }

    /**
     * Why the lookup is {@link DnsStatus#BOGUS} or {@link DnsStatus#FAILED}, on one line without
     * control characters, at most {@link #MAX_REASON_LENGTH} characters (and "..."); null otherwise.
     */
    public String failureReason() {
        return failureReason;
    }

    @Override
    public String toString() {
        StringBuilder text = new StringBuilder()
                .append(name)
                .append(' ')
                .append(Type.string(type))
                .append(": ")
                .append(status);
        if (!canonicalName.equals(name)) {
            text.append(" via CNAME ").append(canonicalName);
        }
        if (failureReason != null) {
            text.append(" (").append(failureReason).append(')');
        } else if (!nameExists) {
            text.append(" NXDOMAIN");
        } else if (records.isEmpty()) {
            text.append(" NODATA");
        } else {
            text.append(' ').append(records.size()).append(" record(s)");
        }
        return text.toString();
    }
}
