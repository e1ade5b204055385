package dev.securedelivery.owndomains;

import dev.securedelivery.dane.TlsaRecord;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A key change of an MX host under DANE, in the order RFC 7671 8.1 and RFC 7672 8.1 ask: publish a
 * record for the next key beside the current one; wait until every resolver that cached the old set
 * has it again (the TLSA TTL, counted from when the new set is seen, DNSSEC-validated); put the next
 * key in service; then remove the old record. At each step, what DNS shows and what the server
 * presents say which step it is. Records are {@code 3 1 1} (DANE-EE, the key's SPKI, SHA-256), which
 * survive a renewal that keeps the key (RFC 7671 5.1).
 */
public final class TlsaRollover {
    /** Where a key change stands. */
    public enum Step {
        /** The next key has no record yet: publish one beside the current. */
        PUBLISH_NEXT,
        /** Its record is seen; resolvers may still hold the old set until the TTL has passed. */
        WAIT,
        /** Safe to put the next key in service: its record is seen and the TTL has passed. */
        SWITCH,
        /** The next key is in service; the old record can go. */
        REMOVE_OLD,
        /** Nothing left to do: one record, the key in service. */
        DONE
    }

    private final Step step;
    private final List<TlsaRecord> toAdd;
    private final List<TlsaRecord> toRemove;
    private final Instant safeFrom;
    private final String explanation;

    private TlsaRollover(
            Step step, List<TlsaRecord> toAdd, List<TlsaRecord> toRemove, Instant safeFrom, String explanation) {
        this.step = step;
        this.toAdd = List.copyOf(toAdd);
        this.toRemove = List.copyOf(toRemove);
        this.safeFrom = safeFrom;
        this.explanation = explanation;
    }

    /** The {@code 3 1 1} record of {@code certificate}'s key. */
    public static TlsaRecord record(X509Certificate certificate) {
        return TlsaRecord.forCertificate(
                TlsaRecord.DANE_EE, TlsaRecord.SELECTOR_SPKI, TlsaRecord.MATCH_SHA256, certificate);
    }

    /**
     * Where the change from the key {@code presented} (what the MX presents now) to {@code next}
     * stands, given the TLSA records DNS validates at {@code _25._tcp.<host>} now ({@code published},
     * with their TTL) and since when the next key's record has been seen ({@code nextSeenSince}, empty
     * if not known).
     */
    public static TlsaRollover of(
            String host,
            X509Certificate presented,
            X509Certificate next,
            List<TlsaRecord> published,
            long ttlSeconds,
            Optional<Instant> nextSeenSince,
            Instant now) {
        Objects.requireNonNull(presented, "presented");
        Objects.requireNonNull(next, "next");
        String owner = "_25._tcp." + host;
        TlsaRecord nextRecord = record(next);
        TlsaRecord presentedRecord = record(presented);
        boolean nextPublished = matchesAny(published, next);
        boolean switched = Arrays.equals(
                presented.getPublicKey().getEncoded(), next.getPublicKey().getEncoded());
        if (switched) {
            List<TlsaRecord> old = new ArrayList<>();
            for (TlsaRecord record : published) {
                if (!record.matches(next)) {
                    old.add(record);
                }
            }
            if (!nextPublished) {
                return new TlsaRollover(
                        Step.PUBLISH_NEXT,
                        List.of(nextRecord),
                        List.of(),
                        null,
                        "the server presents the next key already, and no record at " + owner
                                + " matches it: DANE senders defer; publish " + nextRecord + " now");
            }
            if (!old.isEmpty()) {
                return new TlsaRollover(
                        Step.REMOVE_OLD,
                        List.of(),
                        old,
                        null,
                        "the next key is in service and matched; the old record(s) " + old + " at " + owner
                                + " can go");
            }
            return new TlsaRollover(
                    Step.DONE, List.of(), List.of(), null, owner + " has the one record of the key in service");
        }
        if (!nextPublished) {
            List<TlsaRecord> add = new ArrayList<>(List.of(nextRecord));
            if (!matchesAny(published, presented)) {
                add.add(0, presentedRecord);
            }
            return new TlsaRollover(
                    Step.PUBLISH_NEXT,
                    add,
                    List.of(),
                    null,
                    "publish " + nextRecord + " at " + owner + " beside the current key's record, then wait "
                            + ttlSeconds
                            + " s (the TLSA TTL) after it is seen, before the server presents the next key");
        }
        Duration ttl = Duration.ofSeconds(Math.max(0, ttlSeconds));
        if (nextSeenSince.isEmpty()) {
            return new TlsaRollover(
                    Step.WAIT,
                    List.of(),
                    List.of(),
                    now.plus(ttl),
                    "the next key's record is seen at " + owner + "; it is safe to switch once it has been seen for "
                            + ttlSeconds + " s (the TLSA TTL): at " + now.plus(ttl) + " if it was published just now");
        }
        Instant safe = nextSeenSince.get().plus(ttl);
        if (now.isBefore(safe)) {
            return new TlsaRollover(
                    Step.WAIT,
                    List.of(),
                    List.of(),
                    safe,
                    "the next key's record has been seen since " + nextSeenSince.get() + "; resolvers may hold the old"
                            + " set until " + safe + " (the TLSA TTL of " + ttlSeconds + " s)");
        }
        return new TlsaRollover(
                Step.SWITCH,
                List.of(),
                List.of(),
                safe,
                "safe to put the next key in service: its record has been seen since " + nextSeenSince.get()
                        + ", longer than the TLSA TTL of " + ttlSeconds + " s");
    }

    private static boolean matchesAny(List<TlsaRecord> records, X509Certificate certificate) {
        for (TlsaRecord record : records) {
            if (record.isUsable() && record.matches(certificate)) {
                return true;
            }
        }
        return false;
    }

    public Step step() {
        return step;
    }

    /** The records to add now. */
    public List<TlsaRecord> toAdd() {
        return toAdd;
    }

    /** The records that can go now. */
    public List<TlsaRecord> toRemove() {
        return toRemove;
    }

    /** From when switching is safe, where that is known. */
    public Optional<Instant> safeFrom() {
        return Optional.ofNullable(safeFrom);
    }

    public String explanation() {
        return explanation;
    }

    @Override
    public String toString() {
        return step + ": " + explanation;
    }
}
