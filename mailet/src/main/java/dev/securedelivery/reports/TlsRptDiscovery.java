package dev.securedelivery.reports;

import dev.securedelivery.dns.DnsAnswer;
import dev.securedelivery.dns.DnsResolver;
import dev.securedelivery.mtasts.MtaStsDiscovery;
import dev.securedelivery.tlsrpt.TlsRptRecord;
import dev.securedelivery.tlsrpt.TlsRptSyntaxException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.xbill.DNS.Name;
import org.xbill.DNS.TXTRecord;
import org.xbill.DNS.TextParseException;
import org.xbill.DNS.Type;

/**
 * Where a policy domain wants its reports: the {@code _smtp._tls.<domain>} record (RFC 8460 3),
 * read when the report is sent, so that a record changed during the day counts. No record, or an
 * invalid one, means no report (3); a failed or bogus lookup is neither, and is tried again.
 */
final class TlsRptDiscovery {
    /** What the lookup found. */
    static final class Result {
        enum Kind {
            FOUND,
            NONE,
            INVALID,
            FAILED
        }

        final Kind kind;
        final TlsRptRecord record;
        final String reason;

        private Result(Kind kind, TlsRptRecord record, String reason) {
            this.kind = kind;
            this.record = record;
            this.reason = reason;
        }
    }

    private final DnsResolver dns;

    TlsRptDiscovery(DnsResolver dns) {
        this.dns = dns;
    }

    Result discover(String policyDomain) {
        String owner = "_smtp._tls." + policyDomain;
        Name name;
        try {
            name = Name.fromString(owner, Name.root);
        } catch (TextParseException e) {
            return new Result(Result.Kind.NONE, null, owner + " is not a DNS name");
        }
        DnsAnswer answer = dns.lookupNow(name, Type.TXT);
        if (!answer.isAnswered()) {
            // Failed or bogus; a bogus answer may be an attacker redirecting reports: tried again later.
            return new Result(
                    Result.Kind.FAILED,
                    null,
                    "DNS lookup of " + owner + " TXT failed (" + answer.status() + "): " + answer.failureReason());
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
