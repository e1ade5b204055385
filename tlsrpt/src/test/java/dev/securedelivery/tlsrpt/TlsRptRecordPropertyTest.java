package dev.securedelivery.tlsrpt;

import static org.assertj.core.api.Assertions.assertThat;

import dev.securedelivery.testing.HostileText;
import java.net.URI;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * The {@code _smtp._tls} TXT record parser under hostile input (RFC 8460 3): every text ends in a
 * record or a {@link TlsRptSyntaxException}, and a record re-reads to itself from its own text.
 */
class TlsRptRecordPropertyTest {

    @Property
    void everyTextIsARecordOrASyntaxError(@ForAll("records") String text) {
        check(text);
    }

    @Property
    void recordsAndSyntaxErrorsAreFitForALog(@ForAll("records") String text) {
        try {
            TlsRptRecord record = TlsRptRecord.parse(text);
            for (URI uri : record.reportUris()) {
                HostileText.assertLogSafe("a report URI", uri.toString(), false);
            }
        } catch (TlsRptSyntaxException e) {
            HostileText.assertLogSafe("the message", e.getMessage(), true);
        }
    }

    @Property
    void validRecordsKeepTheirReportAddressesInOrder(@ForAll("uriLists") List<String> uris) throws Exception {
        TlsRptRecord record = TlsRptRecord.parse("v=TLSRPTv1; rua=" + String.join(",", uris));

        // Each distinct URI once (URI equality: a host in another case is the same), in order, up to the limit.
        List<URI> distinct = new ArrayList<>(
                new LinkedHashSet<>(uris.stream().map(URI::create).collect(Collectors.toList())));
        assertThat(record.reportUris())
                .containsExactlyElementsOf(
                        distinct.subList(0, Math.min(distinct.size(), TlsRptRecord.MAX_REPORT_URIS)));
    }

    @Property
    void aSetOfTxtRecordsSelectsOneRecordOrNoneOrFails(@ForAll("recordSets") List<String> texts) {
        try {
            Optional<TlsRptRecord> selected = TlsRptRecord.select(texts);
            long candidates =
                    texts.stream().filter(TlsRptRecord::isTlsRptRecord).count();
            assertThat(candidates).isEqualTo(selected.isPresent() ? 1 : 0);
        } catch (TlsRptSyntaxException e) {
            // Its message: see recordsAndSyntaxErrorsAreFitForALog.
        }
    }

    /**
     * What the parser promises for any text: a record whose URIs are mailto: or https: and whose
     * text re-reads to the same record, or a syntax error (whether either is fit for a log: see
     * {@link #recordsAndSyntaxErrorsAreFitForALog}). Anything else thrown fails the caller.
     */
    static void check(String text) {
        TlsRptRecord record;
        try {
            record = TlsRptRecord.parse(text);
        } catch (TlsRptSyntaxException e) {
            return;
        }
        assertThat(TlsRptRecord.isTlsRptRecord(text)).isTrue();
        assertThat(record.reportUris()).isNotEmpty();
        for (URI uri : record.reportUris()) {
            assertThat(uri.getScheme().toLowerCase(Locale.ROOT)).isIn("mailto", "https");
        }
        for (Map.Entry<String, String> extension : record.extensions().entrySet()) {
            HostileText.assertLogSafe("an extension", extension.getKey() + "=" + extension.getValue(), false);
        }
        TlsRptRecord again;
        try {
            again = TlsRptRecord.parse(record.toString());
        } catch (TlsRptSyntaxException e) {
            throw new AssertionError(
                    "\"" + HostileText.escaped(record.toString()) + "\" does not re-read: " + e.getMessage(), e);
        }
        assertThat(again.reportUris()).isEqualTo(record.reportUris());
        assertThat(again.extensions()).isEqualTo(record.extensions());
    }

    @Provide
    Arbitrary<String> records() {
        return HostileText.hostile(
                validRecords(), "v=TLSRPTv1", ";", "rua=", "mailto:", "https://", ",", "%0d%0a", "@", "=");
    }

    @Provide
    Arbitrary<List<String>> uriLists() {
        return uri().list().ofMinSize(1).ofMaxSize(4);
    }

    @Provide
    Arbitrary<List<String>> recordSets() {
        return Arbitraries.oneOf(records(), Arbitraries.of("v=spf1 -all", "v=TLSRPTv10; rua=mailto:a@b.example"))
                .list()
                .ofMaxSize(3);
    }

    static Arbitrary<String> validRecords() {
        Arbitrary<String> space = Arbitraries.of("", " ", "  ", "\t");
        Arbitrary<String> rua = uri().list().ofMinSize(1).ofMaxSize(3).map(uris -> "rua=" + String.join(",", uris));
        Arbitrary<String> extension = Combinators.combine(
                        Arbitraries.strings().alpha().numeric().ofMinLength(1).ofMaxLength(1),
                        Arbitraries.strings().alpha().numeric().withChars("_-.").ofMaxLength(8),
                        Arbitraries.strings()
                                .withCharRange('!', '~')
                                .ofMinLength(1)
                                .ofMaxLength(12)
                                .filter(value -> value.indexOf(';') < 0 && value.indexOf('=') < 0))
                .as((first, rest, value) -> first + rest + "=" + value);
        return Combinators.combine(space, rua, extension.list().ofMaxSize(2), space, Arbitraries.of("", ";", "; "))
                .as((before, ruaField, extensions, after, end) -> {
                    StringBuilder text =
                            new StringBuilder("v=TLSRPTv1;").append(before).append(ruaField);
                    for (String field : extensions) {
                        text.append(after).append(';').append(before).append(field);
                    }
                    return text.append(end).toString();
                });
    }

    private static Arbitrary<String> uri() {
        Arbitrary<String> label =
                Arbitraries.strings().alpha().numeric().ofMinLength(1).ofMaxLength(10);
        // java.net.URI takes a last label that starts with a digit for no host name at all.
        Arbitrary<String> domain = Combinators.combine(
                        label.list().ofMinSize(1).ofMaxSize(3),
                        Arbitraries.strings().alpha().ofMinLength(2).ofMaxLength(6))
                .as((labels, top) -> String.join(".", labels) + "." + top);
        Arbitrary<String> mailto =
                Combinators.combine(label, domain).as((local, host) -> "mailto:" + local + "@" + host);
        Arbitrary<String> https = Combinators.combine(domain, label.list().ofMaxSize(3))
                .as((host, path) -> "https://" + host + (path.isEmpty() ? "" : "/" + String.join("/", path)));
        return Arbitraries.oneOf(mailto, https);
    }
}
