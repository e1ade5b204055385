package dev.securedelivery.mtasts;

import dev.securedelivery.dns.DnsAnswer;
import dev.securedelivery.dns.DnsResolver;
import dev.securedelivery.tlsrpt.ResultType;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import org.xbill.DNS.Name;
import org.xbill.DNS.TXTRecord;
import org.xbill.DNS.TextParseException;
import org.xbill.DNS.Type;

/**
 * Policy discovery through DNS (RFC 8461 3.1): the TXT records at {@code _mta-sts.<domain>},
 * CNAMEs followed, each record's character-strings joined without spaces, every record that does
 * not begin with {@code v=STSv1;} discarded, and exactly one left.
 *
 * <p>NXDOMAIN and NODATA mean "no record"; a failed or bogus lookup is a failure, never "no
 * record", so that an attacker who blocks DNS cannot pass for a domain without a policy.
 */
public final class MtaStsDiscovery {
    private final DnsResolver dns;

    public MtaStsDiscovery(DnsResolver dns) {
        this.dns = Objects.requireNonNull(dns, "dns");
    }

    /** What the lookup found. */
    public static final class Result {
        /** The three outcomes RFC 8461 3.1 tells apart. */
        public enum Kind {
            /** Exactly one valid MTA-STS record. */
            FOUND,
            /** No record, several, or an invalid one: the domain has no available policy. */
            ABSENT,
            /** The lookup itself failed; nothing is known. */
            FAILED
        }

        private final Kind kind;
        private final MtaStsRecord record;
        private final MtaStsFailure failure;
        private final long ttlSeconds;

        private Result(Kind kind, MtaStsRecord record, MtaStsFailure failure, long ttlSeconds) {
            this.kind = kind;
            this.record = record;
            this.failure = failure;
            this.ttlSeconds = ttlSeconds;
        }

        public Kind kind() {
            return kind;
        }

        /** The record, for {@link Kind#FOUND}; null otherwise. */
        public MtaStsRecord record() {
            return record;
        }

        /** Why there is no record, or why the lookup failed; null for {@link Kind#FOUND}. */
        public MtaStsFailure failure() {
            return failure;
        }

        /** How long DNS lets the answer be reused; zero for a failure. */
        public long ttlSeconds() {
            return ttlSeconds;
        }

        @Override
        public String toString() {
            return kind + (record != null ? " " + record : "") + (failure != null ? " (" + failure + ")" : "");
        }
    }

    /** The TXT record name for {@code domain}. */
    public static String recordName(String domain) {
        return "_mta-sts." + domain;
    }

    /**
     * The record of {@code domain} (an A-label name, no trailing dot); {@code fresh} skips the
     * resolver's cache, for a forced check.
     */
    public CompletableFuture<Result> discover(String domain, boolean fresh) {
        Name name;
        try {
            name = Name.fromString(recordName(domain), Name.root);
        } catch (TextParseException e) {
            return CompletableFuture.completedFuture(
                    new Result(Result.Kind.ABSENT, null, new MtaStsFailure(null, domain + " is not a domain name"), 0));
        }
        return (fresh ? dns.lookupFresh(name, Type.TXT) : dns.lookup(name, Type.TXT))
                .thenApply(answer -> interpret(domain, answer));
    }

    static Result interpret(String domain, DnsAnswer answer) {
        String where = recordName(domain);
        if (!answer.isAnswered()) {
            return new Result(
                    Result.Kind.FAILED,
                    null,
                    new MtaStsFailure(
                            ResultType.STS_POLICY_FETCH_ERROR,
                            "DNS lookup of " + where + " TXT failed (" + answer.status() + "): "
                                    + answer.failureReason()),
                    0);
        }
        List<String> stsRecords = new ArrayList<>();
        for (TXTRecord txt : answer.records(TXTRecord.class)) {
            String text = joined(txt);
            if (MtaStsRecord.isStsRecord(text)) {
                stsRecords.add(text);
            }
        }
        long ttl = answer.ttlSeconds();
        if (stsRecords.isEmpty()) {
            String why = answer.records().isEmpty()
                    ? (answer.nameExists() ? "no TXT record at " : "no such name ") + where
                    : "no TXT record at " + where + " begins with v=STSv1;";
            return new Result(Result.Kind.ABSENT, null, new MtaStsFailure(null, why), ttl);
        }
        if (stsRecords.size() > 1) {
            return new Result(
                    Result.Kind.ABSENT,
                    null,
                    new MtaStsFailure(
                            ResultType.STS_POLICY_INVALID,
                            stsRecords.size() + " MTA-STS records at " + where + "; RFC 8461 3.1 needs exactly one"),
                    ttl);
        }
        try {
            return new Result(Result.Kind.FOUND, MtaStsRecord.parse(stsRecords.get(0)), null, ttl);
        } catch (MtaStsSyntaxException e) {
            return new Result(
                    Result.Kind.ABSENT,
                    null,
                    new MtaStsFailure(
                            ResultType.STS_POLICY_INVALID,
                            "invalid MTA-STS record at " + where + ": " + e.getMessage()),
                    ttl);
        }
    }

    /**
     * The text of one TXT record as MTA-STS and TLS-RPT read it. RFC 8461 3.1: the strings of one
     * record are concatenated without adding spaces. The grammar is US-ASCII; any other byte maps
     * to a character the parser rejects.
     */
    public static String joined(TXTRecord txt) {
        StringBuilder text = new StringBuilder();
        for (byte[] string : txt.getStringsAsByteArrays()) {
            text.append(new String(string, StandardCharsets.ISO_8859_1));
        }
        return text.toString();
    }
}
