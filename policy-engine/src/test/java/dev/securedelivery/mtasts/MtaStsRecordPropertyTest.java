package dev.securedelivery.mtasts;

import static org.assertj.core.api.Assertions.assertThat;

import dev.securedelivery.testing.HostileText;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * The {@code _mta-sts} TXT record parser under hostile input (RFC 8461 3.1): every text ends in a
 * record or an {@link MtaStsSyntaxException} whose message is fit for a log line, and a record
 * holds only what the grammar allows and re-reads to itself.
 */
class MtaStsRecordPropertyTest {

    @Property
    void everyTextIsARecordOrASyntaxError(@ForAll("records") String text) {
        check(text);
    }

    /** Found by everyTextIsARecordOrASyntaxError: the message quoted a CR, an ESC or a bidi override as it came. */
    @Example
    void aSyntaxErrorQuotesControlCharactersEscaped() {
        assertSyntaxError("v=STSv1\r\nInjected: yes", "expected \";\" at position 7, got \"\\x0d\"");
        assertSyntaxError("v=STSv1; id=a\u001b[31mb", "id must be 1 to 32 letters and digits, got \"a\\x1b[31mb\"");
        assertSyntaxError("v=STSv1; id=a; e\u202ex=1", "\"e\\u202ex\" is not a field name");
    }

    private static void assertSyntaxError(String text, String message) {
        try {
            MtaStsRecord.parse(text);
            throw new AssertionError("parsed: " + HostileText.escaped(text));
        } catch (MtaStsSyntaxException e) {
            assertThat(e.getMessage()).isEqualTo(message);
        }
    }

    @Property
    void validRecordsKeepTheirIdAndFirstExtensions(@ForAll("ids") String id, @ForAll("extensions") List<String> fields)
            throws MtaStsSyntaxException {
        MtaStsRecord record =
                MtaStsRecord.parse("v=STSv1; id=" + id + (fields.isEmpty() ? "" : "; ") + String.join("; ", fields));

        assertThat(record.id()).isEqualTo(id);
        for (String field : fields) {
            String name = field.substring(0, field.indexOf('='));
            assertThat(record.extensions()).containsKey(name);
        }
    }

    /**
     * What the parser promises for any text: a record (then the text is an MTA-STS record by
     * {@link MtaStsRecord#isStsRecord}, its id and extensions follow the grammar, and its fields
     * written out again read back to the same record), or a syntax error whose message is free of
     * control characters and capped. Anything else thrown fails the caller.
     */
    static void check(String text) {
        boolean candidate = MtaStsRecord.isStsRecord(text);
        MtaStsRecord record;
        try {
            record = MtaStsRecord.parse(text);
        } catch (MtaStsSyntaxException e) {
            HostileText.assertLogSafe("the message", e.getMessage(), true);
            return;
        }
        assertThat(candidate).as("a parsed record is an MTA-STS record").isTrue();
        assertThat(MtaStsRecord.isValidId(record.id())).isTrue();
        StringBuilder again = new StringBuilder("v=STSv1; id=").append(record.id());
        for (Map.Entry<String, String> extension : record.extensions().entrySet()) {
            // RFC 8461 3.1: sts-ext-name and sts-ext-value.
            assertThat(extension.getKey()).matches("[A-Za-z0-9][A-Za-z0-9_.-]{0,31}");
            assertThat(extension.getValue()).matches("[\\x21-\\x3a\\x3c\\x3e-\\x7e]+");
            again.append("; ").append(extension.getKey()).append('=').append(extension.getValue());
        }
        try {
            assertThat(MtaStsRecord.parse(again.toString())).isEqualTo(record);
        } catch (MtaStsSyntaxException e) {
            throw new AssertionError("\"" + again + "\" does not re-read: " + e.getMessage(), e);
        }
    }

    @Provide
    Arbitrary<String> records() {
        return HostileText.hostile(validRecords(), "v=STSv1", ";", "; ", "id=", "=", "id=abc", "\t");
    }

    @Provide
    Arbitrary<String> ids() {
        return Arbitraries.strings().alpha().numeric().ofMinLength(1).ofMaxLength(32);
    }

    @Provide
    Arbitrary<List<String>> extensions() {
        return extension().list().ofMaxSize(3);
    }

    private static Arbitrary<String> extension() {
        return Combinators.combine(
                        Arbitraries.strings().alpha().numeric().ofLength(1),
                        Arbitraries.strings().alpha().numeric().withChars("_-.").ofMaxLength(31),
                        Arbitraries.strings()
                                .withCharRange('!', '~')
                                .ofMinLength(1)
                                .ofMaxLength(16)
                                .filter(value -> value.indexOf(';') < 0 && value.indexOf('=') < 0))
                .as((first, rest, value) -> first + rest + "=" + value)
                .filter(field -> !field.startsWith("id="));
    }

    /** Records by the grammar: the id and extensions in any order, any delimiter spacing, a final ";" or not. */
    static Arbitrary<String> validRecords() {
        Arbitrary<String> space = Arbitraries.of("", " ", "\t", "  ");
        Arbitrary<String> id = Arbitraries.strings()
                .alpha()
                .numeric()
                .ofMinLength(1)
                .ofMaxLength(32)
                .map(v -> "id=" + v);
        Arbitrary<List<String>> fields = Combinators.combine(
                        id, extension().list().ofMaxSize(3))
                .as((first, rest) -> {
                    List<String> all = new ArrayList<>(rest);
                    all.add(first);
                    return all;
                })
                .flatMap(Arbitraries::shuffle);
        return Combinators.combine(fields, space, space, Arbitraries.of("", ";", " ;", "; "))
                .as((list, before, after, end) -> {
                    StringBuilder text = new StringBuilder("v=STSv1");
                    for (String field : list) {
                        text.append(before).append(';').append(after).append(field);
                    }
                    return text.append(end).toString();
                });
    }
}
