package dev.securedelivery.reportingpolicy;

import dev.securedelivery.dns.DnsAnswer;
import dev.securedelivery.dns.DnsResolver;
import dev.securedelivery.dns.DnsStatus;
import dev.securedelivery.mtasts.MtaStsDiscovery;
import dev.securedelivery.tlsrpt.TlsRptRecord;
import dev.securedelivery.tlsrpt.TlsRptSyntaxException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.xbill.DNS.Name;
import org.xbill.DNS.TXTRecord;
import org.xbill.DNS.TextParseException;
import org.xbill.DNS.Type;

/**
 * Where a policy domain wants its reports: the {@code _smtp._tls.<domain>} record (RFC 8460 3). No
 * record, or an invalid one, means no report (3); a failed or bogus lookup is neither, and is tried
 * again.
 */
public final class TlsRptDiscovery {
    /** What the lookup found. */
    public static final class Result {
        /** The four outcomes of a lookup. */
        public enum Kind {
            /** A valid record: {@link Result#record()} says where reports go. */
            FOUND,
            /** No record, or the name is no DNS name: the domain wants no report. */
            NONE,
            /** Records, none valid: no report either (RFC 8460 3). */
            INVALID,
            /** The lookup failed or its answer was bogus: nothing is known. */
            FAILED
        }

        private final Kind kind;
        private final TlsRptRecord record;
        private final String reason;
        private final boolean bogus;

        private Result(Kind kind, TlsRptRecord record, String reason) {
            this(kind, record, reason, false);
        }

        private Result(Kind kind, TlsRptRecord record, String reason, boolean bogus) {
            this.kind = kind;
            this.record = record;
            this.reason = reason;
            this.bogus = bogus;
        }

        public Kind kind() {
            return kind;
        }

        /** The record, when {@link Kind#FOUND}. */
        public Optional<TlsRptRecord> record() {
            return Optional.ofNullable(record);
        }

        /** Why there is no record, for a log line; empty when {@link Kind#FOUND}. */
        public String reason() {
            return reason == null ? "" : reason;
        }

        /** Whether the lookup {@link Kind#FAILED} because its answer failed DNSSEC validation (bogus). */
        public boolean bogus() {
            return bogus;
        }

        /** Whether the domain publishes a valid record; empty when the lookup failed. */
        public Optional<Boolean> publishes() {
            return kind == Kind.FAILED ? Optional.empty() : Optional.of(kind == Kind.FOUND);
        }
    }

    private final DnsResolver dns;

    public TlsRptDiscovery(DnsResolver dns) {
        this.dns = Objects.requireNonNull(dns, "dns");
    }

    /** Looks up {@code policyDomain}'s record; the answer comes within the resolver's timeout. */
    public CompletableFuture<Result> discover(String policyDomain) {
        String owner = "_smtp._tls." + policyDomain;
        Name name;
        try {
            name = Name.fromString(owner, Name.root);
        } catch (TextParseException e) {
            return CompletableFuture.completedFuture(new Result(Result.Kind.NONE, null, owner + " is not a DNS name"));
        }
        return dns.lookup(name, Type.TXT)
                .handle((answer, failure) -> failure != null
                        ? new Result(Result.Kind.FAILED, null, "DNS lookup of " + owner + " TXT failed: " + failure)
                        : read(owner, answer));
    }

    /** {@link #discover} for a caller that has a thread to block. */
    public Result discoverNow(String policyDomain) {
        try {
            return discover(policyDomain).get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Result(Result.Kind.FAILED, null, "interrupted");
        } catch (java.util.concurrent.ExecutionException e) {
            // discover handles every failure of the lookup; nothing else can fail.
            return new Result(Result.Kind.FAILED, null, e.getCause().toString());
        }
    }

    private static Result read(String owner, DnsAnswer answer) {
        if (!answer.isAnswered()) {
            // Failed or bogus; a bogus answer may be an attacker redirecting reports: tried again later.
            return new Result(
                    Result.Kind.FAILED,
                    null,
                    "DNS lookup of " + owner + " TXT failed (" + answer.status() + "): " + answer.failureReason(),
                    answer.status() == DnsStatus.BOGUS);
        }
        List<String> texts = new ArrayList<>();
        for (TXTRecord txt : answer.records(TXTRecord.class)) {
            texts.add(MtaStsDiscovery.joined(txt));
        }
        try {
            Optional<TlsRptRecord> record = TlsRptRecord.select(texts);
            return record.map(found -> new Result(Result.Kind.FOUND, found, null))
                    .orElseGet(() -> new Result(Result.Kind.NONE, null, "no TLS-RPT record at " + owner));
        } catch (TlsRptSyntaxException e) {
            return new Result(Result.Kind.INVALID, null, "invalid TLS-RPT record at " + owner + ": " + e.getMessage());
        }
    }
}
