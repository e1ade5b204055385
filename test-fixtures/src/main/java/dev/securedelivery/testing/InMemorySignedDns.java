package dev.securedelivery.testing;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;
import org.xbill.DNS.CNAMERecord;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.NSECRecord;
import org.xbill.DNS.Name;
import org.xbill.DNS.NameTooLongException;
import org.xbill.DNS.RRSIGRecord;
import org.xbill.DNS.RRset;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/**
 * A DNS upstream inside the JVM that answers from {@link SignedZone}s the way a recursive resolver
 * answers a validator: RRSIGs with every signed RRset, CNAMEs chased, NODATA and NXDOMAIN with
 * the SOA and the NSEC records that prove them, DS queries answered by the parent zone. It can
 * also misbehave: strip the signatures of a name, fail (every query for a name, or one type of
 * it), or stay silent.
 */
public final class InMemorySignedDns extends InMemoryUpstream {
    private final List<SignedZone> zones = new ArrayList<>();
    private final Set<Name> stripped = ConcurrentHashMap.newKeySet();
    private final Set<Name> failing = ConcurrentHashMap.newKeySet();
    /** By lower-case name and type: SERVFAIL, or no answer at all. */
    private final Map<String, Failure> failingTypes = new ConcurrentHashMap<>();

    private final Map<String, AtomicInteger> queries = new ConcurrentHashMap<>();

    /** The zones: a tree whose top zone is the trust anchor's, each delegated by its parent. */
    public InMemorySignedDns(SignedZone... zones) {
        for (SignedZone zone : zones) {
            this.zones.add(zone);
        }
    }

    /** Answers for {@code owner} come without RRSIGs, as from a resolver that strips them. */
    public InMemorySignedDns stripSignatures(String owner) {
        stripped.add(InMemoryDns.name(owner));
        return this;
    }

    private enum Failure {
        SERVFAIL,
        SILENCE
    }

    /** Queries for {@code owner} get SERVFAIL. */
    public InMemorySignedDns servfail(String owner) {
        failing.add(InMemoryDns.name(owner));
        return this;
    }

    /**
     * Queries for {@code owner} and {@code type} only get SERVFAIL, as from a resolver whose
     * nameservers time out on that type alone (other types of the name are answered). Through
     * dnsjava's validating resolver (3.7) an upstream SERVFAIL comes back as SERVFAIL with the
     * extended error "DNSSEC Bogus", which DnsResolver reads as bogus, not failed;
     * {@link #silence(String, int)} gives a failure that stays one.
     */
    public InMemorySignedDns servfail(String owner, int type) {
        failingTypes.put(key(InMemoryDns.name(owner), type), Failure.SERVFAIL);
        return this;
    }

    /** Queries for {@code owner} and {@code type} are never answered (the caller's timeout must end them). */
    public InMemorySignedDns silence(String owner, int type) {
        failingTypes.put(key(InMemoryDns.name(owner), type), Failure.SILENCE);
        return this;
    }

    private static String key(Name name, int type) {
        return name.toString().toLowerCase(Locale.ROOT) + "/" + type;
    }

    public int queryCount(String owner, int type) {
        AtomicInteger count = queries.get(InMemoryDns.name(owner) + "/" + type);
        return count == null ? 0 : count.get();
    }

    @Override
    public CompletionStage<Message> sendAsync(Message query, Executor executor) {
        Record question = query.getQuestion();
        queries.computeIfAbsent(question.getName() + "/" + question.getType(), k -> new AtomicInteger())
                .incrementAndGet();
        Message response = new Message(query.getHeader().getID());
        response.getHeader().setFlag(Flags.QR);
        response.getHeader().setFlag(Flags.RA);
        response.addRecord(question, Section.QUESTION);
        Failure failure = failingTypes.get(key(question.getName(), question.getType()));
        if (failure == Failure.SILENCE) {
            return new CompletableFuture<>();
        }
        if (failure == Failure.SERVFAIL || failing.contains(question.getName())) {
            response.getHeader().setRcode(Rcode.SERVFAIL);
            return CompletableFuture.completedFuture(response);
        }
        Set<Record> answer = new LinkedHashSet<>();
        Set<Record> authority = new LinkedHashSet<>();
        int rcode = resolve(question.getName(), question.getType(), answer, authority, 0);
        response.getHeader().setRcode(rcode);
        answer.forEach(record -> response.addRecord(record, Section.ANSWER));
        authority.forEach(record -> response.addRecord(record, Section.AUTHORITY));
        return CompletableFuture.completedFuture(response);
    }

    private int resolve(Name name, int type, Set<Record> answer, Set<Record> authority, int depth) {
        SignedZone zone = zoneFor(name, type);
        if (zone == null || depth > 16) {
            return Rcode.SERVFAIL;
        }
        RRset rrset = zone.rrset(name, type);
        if (rrset != null) {
            addSigned(zone, rrset, answer);
            return Rcode.NOERROR;
        }
        RRset alias = type == Type.CNAME ? null : zone.rrset(name, Type.CNAME);
        if (alias != null) {
            addSigned(zone, alias, answer);
            return resolve(((CNAMERecord) alias.first()).getTarget(), type, answer, authority, depth + 1);
        }
        addSigned(zone, new RRset(zone.soa()), authority);
        if (zone.exists(name)) {
            // NODATA: the NSEC at the name shows the type is absent; an empty non-terminal has
            // none, and the NSEC covering it proves it only has names below.
            NSECRecord proof = zone.nsecAt(name) != null ? zone.nsecAt(name) : zone.nsecCovering(name);
            addProof(zone, proof, authority);
            return Rcode.NOERROR;
        }
        // NXDOMAIN: no such name, and no wildcard at the closest encloser either.
        addProof(zone, zone.nsecCovering(name), authority);
        try {
            addProof(
                    zone,
                    zone.nsecCovering(Name.concatenate(Name.fromConstantString("*"), zone.closestEncloser(name))),
                    authority);
        } catch (NameTooLongException e) {
            // no wildcard name can be that long either
        }
        return Rcode.NXDOMAIN;
    }

    /** The deepest zone holding {@code name}; for DS at a zone's apex, its parent (RFC 4035 3.1.4.1). */
    private SignedZone zoneFor(Name name, int type) {
        SignedZone best = null;
        for (SignedZone zone : zones) {
            boolean apexDs = type == Type.DS && name.equals(zone.origin());
            if (name.subdomain(zone.origin())
                    && !apexDs
                    && (best == null || zone.origin().labels() > best.origin().labels())) {
                best = zone;
            }
        }
        return best;
    }

    private void addSigned(SignedZone zone, RRset rrset, Set<Record> section) {
        rrset.rrs().forEach(section::add);
        RRSIGRecord signature = zone.signature(rrset.getName(), rrset.getType());
        if (signature != null && !stripped.contains(rrset.getName())) {
            section.add(signature);
        }
    }

    private void addProof(SignedZone zone, NSECRecord proof, Set<Record> authority) {
        if (proof != null) {
            addSigned(zone, new RRset(proof), authority);
        }
    }

    @Override
    public String toString() {
        return "InMemorySignedDns" + zones;
    }
}
