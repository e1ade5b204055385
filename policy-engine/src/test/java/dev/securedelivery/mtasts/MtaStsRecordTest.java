package dev.securedelivery.mtasts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** RFC 8461 3.1: the _mta-sts TXT record. */
class MtaStsRecordTest {

    @Test
    void theExampleOfSection3_1Parses() throws Exception {
        MtaStsRecord record = MtaStsRecord.parse("v=STSv1; id=20160831085700Z;");

        assertThat(record.id()).isEqualTo("20160831085700Z");
        assertThat(record.extensions()).isEmpty();
    }

    @Test
    void theTrailingDelimiterIsOptionalAndWhitespaceMaySurroundDelimiters() throws Exception {
        assertThat(MtaStsRecord.parse("v=STSv1;id=abc").id()).isEqualTo("abc");
        assertThat(MtaStsRecord.parse("v=STSv1 ;\tid=abc ; ").id()).isEqualTo("abc");
    }

    @Test
    void extensionsFollowingTheGrammarAreKept() throws Exception {
        MtaStsRecord record = MtaStsRecord.parse("v=STSv1; ext_1.a-b=x!y:z~; id=1");

        assertThat(record.extensions()).isEqualTo(Map.of("ext_1.a-b", "x!y:z~"));
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "v=STSv1;", // no id
                "v=STSv1; id=", // empty id
                "v=STSv1; id=123456789012345678901234567890123", // 33 characters
                "v=STSv1; id=2016-08-31", // not alphanumeric
                "v=STSv1; id=a; id=b-c", // a repeated id must be well-formed too
                "v=STSv1; id=a;; x=1", // empty field
                "v=STSv1; id=a b", // no delimiter between fields
                "v=STSv1; id=1 ", // whitespace without a following ";"
                "v=STSv1 id=1", // no delimiter after the version
                "v=STSv1; id=1; _x=1", // extension name starts with "_"
                "v=STSv1; id=1; x=", // empty extension value
                "v=STSv1; id=1; x=a=b", // "=" in a value
                "v=STSv1; id=1; x=\u00e9", // not visible ASCII
                "v=STSv1; id=1; =1", // no name
                "v=STSv2; id=1",
                "V=STSv1; id=1",
            })
    void malformedRecordsAreRejected(String text) {
        assertThatThrownBy(() -> MtaStsRecord.parse(text)).isInstanceOf(MtaStsSyntaxException.class);
    }

    @Test
    void errorsSayWhatIsWrong() {
        assertThatThrownBy(() -> MtaStsRecord.parse("v=STSv1;")).hasMessage("the record has no id field");
        assertThatThrownBy(() -> MtaStsRecord.parse("v=STSv1; id=a-b"))
                .hasMessage("id must be 1 to 32 letters and digits, got \"a-b\"");
    }

    @Test
    void aRepeatedFieldIsIgnoredAfterItsFirstOccurrence() throws Exception {
        MtaStsRecord record = MtaStsRecord.parse("v=STSv1; id=first; x=1; id=second; x=2");

        assertThat(record.id()).isEqualTo("first");
        assertThat(record.extensions()).isEqualTo(Map.of("x", "1"));
    }

    @Test
    void onlyRecordsBeginningWithTheVersionAndADelimiterAreStsRecords() {
        assertThat(MtaStsRecord.isStsRecord("v=STSv1; id=1")).isTrue();
        assertThat(MtaStsRecord.isStsRecord("v=STSv1 ; broken")).isTrue();
        assertThat(MtaStsRecord.isStsRecord("v=STSv1;")).isTrue();
        assertThat(MtaStsRecord.isStsRecord("v=spf1 -all")).isFalse();
        assertThat(MtaStsRecord.isStsRecord("v=STSv10; id=1")).isFalse();
        assertThat(MtaStsRecord.isStsRecord("v=STSv1")).isFalse();
        assertThat(MtaStsRecord.isStsRecord(" v=STSv1; id=1")).isFalse();
        assertThat(MtaStsRecord.isStsRecord("google-site-verification=abc")).isFalse();
    }
}
