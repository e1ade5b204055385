package dev.securedelivery.cli;

import dev.securedelivery.mtasts.MtaStsFetcher;
import dev.securedelivery.mtasts.MtaStsPolicy;
import dev.securedelivery.mtasts.MtaStsRecord;
import dev.securedelivery.mtasts.MtaStsSyntaxException;
import dev.securedelivery.owndomains.Fixes;
import dev.securedelivery.tlsrpt.TlsRptRecord;
import dev.securedelivery.tlsrpt.TlsRptSyntaxException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** {@code lint-policy} and {@code lint-txt}: offline checks by the same parsers the engine uses. */
final class Lint {
    private Lint() {}

    static Report policy(String source, InputStream standardInput) throws SecureDeliveryCli.InvalidInputException {
        byte[] body;
        try (InputStream in = source.equals("-") ? standardInput : Files.newInputStream(Path.of(source))) {
            // RFC 8461 3.3 lets senders refuse a policy over 64 KiB: read one byte past the limit.
            body = in.readNBytes(MtaStsFetcher.MAX_BODY_BYTES + 1);
        } catch (IOException e) {
            throw new SecureDeliveryCli.InvalidInputException("cannot read " + source + ": " + e.getMessage());
        }
        Report report = new Report("lint-policy", source);
        if (body.length > MtaStsFetcher.MAX_BODY_BYTES) {
            return report.problem(
                    "policy",
                    "larger than " + MtaStsFetcher.MAX_BODY_BYTES + " bytes: senders may refuse it (RFC 8461 3.3)",
                    "keep the policy under 64 KiB");
        }
        String text;
        try {
            text = StandardCharsets.UTF_8
                    .newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(body))
                    .toString();
        } catch (CharacterCodingException e) {
            return report.problem("policy", "not UTF-8 text", "save the policy as plain UTF-8 (RFC 8461 3.2)");
        }
        List<String> warnings = new ArrayList<>();
        try {
            MtaStsPolicy policy = MtaStsPolicy.parse(text, warnings);
            report.ok(
                    "policy",
                    "valid: mode " + policy.mode() + ", mx " + policy.mxPatterns() + ", max_age "
                            + policy.maxAgeSeconds());
            warnings.forEach(warning -> report.info("policy", warning));
            report.data("policy", policy.toPolicyText());
        } catch (MtaStsSyntaxException e) {
            report.problem(
                    "policy",
                    e.getMessage(),
                    "follow the policy grammar of RFC 8461 3.2: version: STSv1,"
                            + " mode: enforce|testing|none, one mx: line per host pattern, max_age: seconds");
        }
        return report;
    }

    static Report txt(String record) {
        Report report = new Report("lint-txt", record);
        String text = record.trim();
        if (MtaStsRecord.isStsRecord(text)) {
            try {
                MtaStsRecord parsed = MtaStsRecord.parse(text);
                report.ok("_mta-sts", "valid MTA-STS record, id " + parsed.id());
            } catch (MtaStsSyntaxException e) {
                report.problem("_mta-sts", e.getMessage(), Fixes.STS_RECORD);
            }
        } else if (TlsRptRecord.isTlsRptRecord(text)) {
            try {
                TlsRptRecord parsed = TlsRptRecord.parse(text);
                report.ok("_smtp._tls", "valid TLS-RPT record, reports to " + parsed.reportUris());
            } catch (TlsRptSyntaxException e) {
                report.problem("_smtp._tls", e.getMessage(), Fixes.tlsRptRecord("you@example.com"));
            }
        } else {
            report.problem(
                    "record",
                    "neither an MTA-STS (v=STSv1) nor a TLS-RPT (v=TLSRPTv1) record",
                    "the record must start with its version field");
        }
        return report;
    }
}
