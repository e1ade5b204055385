package dev.securedelivery.testing;

import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import org.xbill.DNS.DClass;
import org.xbill.DNS.DNSKEYRecord;
import org.xbill.DNS.DNSSEC;
import org.xbill.DNS.DSRecord;
import org.xbill.DNS.NSECRecord;
import org.xbill.DNS.NSRecord;
import org.xbill.DNS.Name;
import org.xbill.DNS.RRSIGRecord;
import org.xbill.DNS.RRset;
import org.xbill.DNS.Record;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.TXTRecord;
import org.xbill.DNS.Type;

/**
 * A DNS zone built in the test: records, delegations to child zones, and, when signed, one
 * ECDSA P-256 key (algorithm 13) that signs every authoritative RRset, with the NSEC chain that
 * proves what does not exist (RFC 4034, 4035). {@link InMemorySignedDns} answers from it like a
 * recursive resolver would. Safe to use from several threads: it signs lazily, under its lock.
 */
public final class SignedZone {
    static final long TTL = 300;
    static final long NEGATIVE_TTL = 60;

    private final Name origin;
    private final boolean signed;
    private final KeyPair key;
    private final DNSKEYRecord dnskey;
    /** Owner name, then type: the zone's data as added, in canonical order. */
    private final TreeMap<Name, Map<Integer, RRset>> data = new TreeMap<>();

    private final Map<Name, SignedZone> delegations = new HashMap<>();
    private final Map<Name, Map<Integer, RRSIGRecord>> signatures = new HashMap<>();
    private final TreeMap<Name, NSECRecord> nsec = new TreeMap<>();
    private Instant inception;
    private Instant expiration;

    private SignedZone(Name origin, boolean signed) {
        this.origin = origin;
        this.signed = signed;
        Name nameServer = InMemoryDns.name("ns." + origin);
        add(new SOARecord(
                origin,
                DClass.IN,
                TTL,
                nameServer,
                InMemoryDns.name("admin." + origin),
                1,
                3600,
                600,
                86400,
                NEGATIVE_TTL));
        add(new NSRecord(origin, DClass.IN, TTL, nameServer));
        if (signed) {
            try {
                KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
                generator.initialize(new ECGenParameterSpec("secp256r1"));
                this.key = generator.generateKeyPair();
                // Flags 257: a zone key that is also the secure entry point (one key signs all).
                this.dnskey = new DNSKEYRecord(
                        origin, DClass.IN, TTL, 257, 3, DNSSEC.Algorithm.ECDSAP256SHA256, key.getPublic());
            } catch (GeneralSecurityException | DNSSEC.DNSSECException e) {
                throw new IllegalStateException(e);
            }
            add(dnskey);
        } else {
            this.key = null;
            this.dnskey = null;
        }
    }

    /** A zone signed with a fresh key, signatures valid from an hour ago for 30 days. */
    public static SignedZone signed(String origin) {
        return new SignedZone(InMemoryDns.name(origin), true);
    }

    /** A zone without DNSSEC. */
    public static SignedZone unsigned(String origin) {
        return new SignedZone(InMemoryDns.name(origin), false);
    }

    public Name origin() {
        return origin;
    }

    public boolean isSigned() {
        return signed;
    }

    /** The DS record of this zone's key, for its parent or as a trust anchor. */
    public DSRecord ds() {
        if (!signed) {
            throw new IllegalStateException(origin + " is not signed");
        }
        return new DSRecord(origin, DClass.IN, TTL, DNSSEC.Digest.SHA256, dnskey);
    }

    /** A record in zone-file syntax, e.g. {@code add("mx.example.test.", Type.A, "192.0.2.1")}. */
    public SignedZone add(String owner, int type, String rdata) {
        try {
            return add(Record.fromString(InMemoryDns.name(owner), type, DClass.IN, TTL, rdata, Name.root));
        } catch (IOException e) {
            throw new IllegalArgumentException(rdata, e);
        }
    }

    public SignedZone addTxt(String owner, String... strings) {
        return add(new TXTRecord(InMemoryDns.name(owner), DClass.IN, TTL, List.of(strings)));
    }

    public synchronized SignedZone add(Record record) {
        if (!record.getName().subdomain(origin)) {
            throw new IllegalArgumentException(record.getName() + " is not in " + origin);
        }
        data.computeIfAbsent(record.getName(), name -> new LinkedHashMap<>())
                .computeIfAbsent(record.getType(), type -> new RRset())
                .addRR(record);
        invalidate();
        return this;
    }

    /** Removes the RRset of {@code type} at {@code owner}, re-signing the zone (the NSEC chain changes too). */
    public synchronized SignedZone remove(String owner, int type) {
        Map<Integer, RRset> types = data.get(InMemoryDns.name(owner));
        if (types != null) {
            types.remove(type);
            if (types.isEmpty()) {
                data.remove(InMemoryDns.name(owner));
            }
        }
        invalidate();
        return this;
    }

    /**
     * Replaces the data of an RRset but keeps its signature: a forgery a validator must catch.
     * Call it last: any later change re-signs the zone.
     */
    public synchronized SignedZone forge(String owner, int type, String rdata) {
        Name name = InMemoryDns.name(owner);
        sign();
        RRSIGRecord signature = signatures.get(name).get(type);
        data.get(name).remove(type);
        add(owner, type, rdata);
        sign();
        signatures.get(name).put(type, signature);
        return this;
    }

    /**
     * Delegates {@code child} (a zone directly or further below this one): NS records here and,
     * if the child is signed, its DS record, which makes the child secure; without DS it is an
     * insecure delegation, proven by this zone's NSEC record at the child's name.
     */
    public SignedZone delegate(SignedZone child) {
        return delegate(child, child.isSigned());
    }

    /** As {@link #delegate(SignedZone)}, choosing whether the DS record is published. */
    public synchronized SignedZone delegate(SignedZone child, boolean withDs) {
        if (!child.origin.subdomain(origin) || child.origin.equals(origin)) {
            throw new IllegalArgumentException(child.origin + " is not below " + origin);
        }
        delegations.put(child.origin, child);
        add(new NSRecord(child.origin, DClass.IN, TTL, InMemoryDns.name("ns." + child.origin)));
        if (withDs) {
            add(child.ds());
        }
        return this;
    }

    /** Signs with signatures valid between the two instants (the default: an hour ago to 30 days on). */
    public synchronized SignedZone signatureValidity(Instant inception, Instant expiration) {
        this.inception = inception;
        this.expiration = expiration;
        invalidate();
        return this;
    }

    // ---- what InMemorySignedDns reads ----

    synchronized RRset rrset(Name owner, int type) {
        Map<Integer, RRset> types = data.get(owner);
        return types == null ? null : types.get(type);
    }

    synchronized RRSIGRecord signature(Name owner, int type) {
        if (!signed) {
            return null;
        }
        sign();
        Map<Integer, RRSIGRecord> owned = signatures.get(owner);
        return owned == null ? null : owned.get(type);
    }

    synchronized SOARecord soa() {
        return (SOARecord) rrset(origin, Type.SOA).first();
    }

    /** Whether {@code name} exists: it owns records, or names below it do (an empty non-terminal). */
    synchronized boolean exists(Name name) {
        Name next = data.ceilingKey(name);
        return next != null && next.subdomain(name);
    }

    /** The delegation point at or above {@code name}, below the apex; null if none. */
    synchronized Name delegationAbove(Name name) {
        for (Name current = name; current.labels() > origin.labels(); current = new Name(current, 1)) {
            if (!current.equals(origin) && delegations.containsKey(current)) {
                return current;
            }
        }
        return null;
    }

    /** The NSEC record owned by {@code name}, or null. */
    synchronized NSECRecord nsecAt(Name name) {
        sign();
        return nsec.get(name);
    }

    /** The NSEC record whose span covers {@code name} (owner before it, next after it). */
    synchronized NSECRecord nsecCovering(Name name) {
        sign();
        if (nsec.isEmpty()) {
            return null;
        }
        Map.Entry<Name, NSECRecord> before = nsec.lowerEntry(name);
        return before != null ? before.getValue() : nsec.lastEntry().getValue();
    }

    /** The longest existing ancestor of {@code name} in this zone. */
    synchronized Name closestEncloser(Name name) {
        Name current = name;
        while (current.labels() > origin.labels() && !exists(current)) {
            current = new Name(current, 1);
        }
        return current;
    }

    private void invalidate() {
        signatures.clear();
        nsec.clear();
    }

    /** Computes the NSEC chain and the signatures if the data changed since the last time. */
    private synchronized void sign() {
        if (!signed || !nsec.isEmpty()) {
            return;
        }
        Instant from = inception != null ? inception : Instant.now().minus(Duration.ofHours(1));
        Instant until = expiration != null ? expiration : Instant.now().plus(Duration.ofDays(30));
        // NSEC owners: every name with authoritative data or a delegation, not what lies below a cut.
        List<Name> owners = new ArrayList<>();
        for (Name name : data.keySet()) {
            Name cut = delegationAbove(name);
            if (cut == null || cut.equals(name)) {
                owners.add(name);
            }
        }
        for (int i = 0; i < owners.size(); i++) {
            Name owner = owners.get(i);
            Name next = owners.get((i + 1) % owners.size());
            TreeSet<Integer> types = new TreeSet<>(data.get(owner).keySet());
            types.add(Type.NSEC);
            types.add(Type.RRSIG);
            nsec.put(
                    owner,
                    new NSECRecord(
                            owner,
                            DClass.IN,
                            NEGATIVE_TTL,
                            next,
                            types.stream().mapToInt(Integer::intValue).toArray()));
        }
        try {
            for (Name owner : owners) {
                boolean delegation = delegations.containsKey(owner);
                Map<Integer, RRSIGRecord> owned = signatures.computeIfAbsent(owner, name -> new HashMap<>());
                for (Map.Entry<Integer, RRset> rrset : data.get(owner).entrySet()) {
                    // At a delegation only DS is the parent's to sign; NS belongs to the child.
                    if (!delegation || rrset.getKey() == Type.DS) {
                        owned.put(rrset.getKey(), DNSSEC.sign(rrset.getValue(), dnskey, key.getPrivate(), from, until));
                    }
                }
                owned.put(Type.NSEC, DNSSEC.sign(new RRset(nsec.get(owner)), dnskey, key.getPrivate(), from, until));
            }
        } catch (DNSSEC.DNSSECException e) {
            throw new IllegalStateException("cannot sign " + origin, e);
        }
    }

    @Override
    public String toString() {
        return origin + (signed ? " (signed)" : " (unsigned)");
    }
}
