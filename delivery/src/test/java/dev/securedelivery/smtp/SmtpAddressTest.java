package dev.securedelivery.smtp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Envelope addresses into SMTP paths (RFC 5321 4.1.2): parsed once, written in the one form allowed. */
class SmtpAddressTest {
    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(
            delimiter = '|',
            value = {
                "user@example.test|<user@example.test>",
                "first.last+tag@example.test|<first.last+tag@example.test>",
                "\"plain\"@example.test|<plain@example.test>",
                "\"john smith\"@example.test|<\"john smith\"@example.test>",
                "\"a..b\"@example.test|<\"a..b\"@example.test>",
                "\"q\\\"uote\"@example.test|<\"q\\\"uote\"@example.test>",
                "\"back\\\\slash\"@example.test|<\"back\\\\slash\"@example.test>",
                "\".dot\"@example.test|<\".dot\"@example.test>",
                "\"at@sign\"@example.test|<\"at@sign\"@example.test>",
                "user@[192.0.2.1]|<user@[192.0.2.1]>"
            })
    void anAddressIsWrittenAsADotStringOrAQuotedString(String address, String path) throws Exception {
        assertThat(SmtpAddress.parse(address).path()).isEqualTo(path);
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "\"a\\\nRSET\"@example.test",
                "a\r\nRSET@example.test",
                "nul\u0000@example.test",
                "\"tab\\\t\"@example.test",
                "del\u007f@example.test",
                "user@exa\nmple.test",
                "user@example.test>",
                "user@exa mple.test",
                "no-at-sign",
                "user@",
                "@example.test",
                "\"\"@example.test",
                "\"unbalanced\\\"@example.test",
                "\"in\"side\"@example.test"
            })
    void anAddressNoCommandCanCarryIsRefusedWithoutRepeatingIt(String address) {
        assertThatThrownBy(() -> SmtpAddress.parse(address))
                .isInstanceOf(SmtpAddress.InvalidAddressException.class)
                .satisfies(
                        e -> assertThat(e.getMessage()).doesNotContain("RSET").doesNotContain("example"));
    }

    @Test
    void theLocalPartIsKeptAsItsValueAndAnAddressEqualsItsUnquotedForm() throws Exception {
        SmtpAddress quoted = SmtpAddress.parse("\"plain\"@example.test");

        assertThat(quoted.localPart()).isEqualTo("plain");
        assertThat(quoted.domain()).isEqualTo("example.test");
        assertThat(quoted).isEqualTo(SmtpAddress.parse("plain@example.test"));
    }

    @Test
    void charactersBeyondAsciiPassAsTheyAre() throws Exception {
        assertThat(SmtpAddress.parse("jürgen@example.test").path()).isEqualTo("<jürgen@example.test>");
    }
}
