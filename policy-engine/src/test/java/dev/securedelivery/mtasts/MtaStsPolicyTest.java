package dev.securedelivery.mtasts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** RFC 8461 3.2 (the policy grammar) and 4.1 (MX host matching). */
class MtaStsPolicyTest {

    @Nested
    class Grammar {
        @Test
        void theExampleOfSection3_2Parses() throws Exception {
            MtaStsPolicy policy = MtaStsPolicy.parse("version: STSv1\r\n"
                    + "mode: enforce\r\n"
                    + "mx: mail.example.com\r\n"
                    + "mx: *.example.net\r\n"
                    + "mx: backupmx.example.com\r\n"
                    + "max_age: 604800\r\n");

            assertThat(policy.mode()).isEqualTo(MtaStsMode.ENFORCE);
            assertThat(policy.mxPatterns())
                    .containsExactly("mail.example.com", "*.example.net", "backupmx.example.com");
            assertThat(policy.maxAgeSeconds()).isEqualTo(604800);
        }

        @Test
        void aParsedPolicyKeepsItsBodyAsServedAndEqualsOneThatSaysTheSame() throws Exception {
            String served = "mx:  mail.example.com\r\nmax_age: 604800\r\nversion: STSv1\r\nmode: enforce\r\n";
            MtaStsPolicy parsed = MtaStsPolicy.parse(served);
            MtaStsPolicy built = MtaStsPolicy.of(MtaStsMode.ENFORCE, List.of("mail.example.com"), 604800);

            // RFC 8460 4.4: TLS reports quote the body as served; the rebuilt text is another one.
            assertThat(parsed.servedText()).contains(served);
            assertThat(built.servedText()).isEmpty();
            assertThat(built.toPolicyText()).isNotEqualTo(served);
            assertThat(parsed).isEqualTo(built).hasSameHashCodeAs(built);
        }

        @Test
        void linesMayEndInLfAndTheLastTerminatorIsOptional() throws Exception {
            MtaStsPolicy policy =
                    MtaStsPolicy.parse("version: STSv1\nmode: testing\nmx: mx.example.com\nmax_age: 86400");

            assertThat(policy.mode()).isEqualTo(MtaStsMode.TESTING);
        }

        @Test
        void fieldsMayComeInAnyOrderWithWhitespaceAfterTheColonAndAtTheEndOfTheLine() throws Exception {
            MtaStsPolicy policy =
                    MtaStsPolicy.parse("max_age:86400 \nmx:\t mx.example.com\t\nmode:  enforce\nversion: STSv1\n");

            assertThat(policy.mode()).isEqualTo(MtaStsMode.ENFORCE);
            assertThat(policy.mxPatterns()).containsExactly("mx.example.com");
        }

        @Test
        void modeNoneNeedsNoMx() throws Exception {
            MtaStsPolicy policy = MtaStsPolicy.parse("version: STSv1\nmode: none\nmax_age: 86400\n");

            assertThat(policy.mode()).isEqualTo(MtaStsMode.NONE);
            assertThat(policy.mxPatterns()).isEmpty();
        }

        @ParameterizedTest
        @ValueSource(strings = {"enforce", "testing"})
        void enforceAndTestingNeedAtLeastOneMx(String mode) {
            assertThatThrownBy(() -> MtaStsPolicy.parse("version: STSv1\nmode: " + mode + "\nmax_age: 86400\n"))
                    .isInstanceOf(MtaStsSyntaxException.class)
                    .hasMessage("mode " + mode + " needs at least one mx field");
        }

        @Test
        void versionModeAndMaxAgeAreRequired() {
            assertThatThrownBy(() -> MtaStsPolicy.parse("mode: none\nmax_age: 1\n"))
                    .hasMessage("the policy has no version field");
            assertThatThrownBy(() -> MtaStsPolicy.parse("version: STSv1\nmax_age: 1\n"))
                    .hasMessage("the policy has no mode field");
            assertThatThrownBy(() -> MtaStsPolicy.parse("version: STSv1\nmode: none\n"))
                    .hasMessage("the policy has no max_age field");
        }

        @Test
        void aRepeatedVersionModeOrMaxAgeIsIgnoredAfterItsFirstOccurrence() throws Exception {
            List<String> warnings = new ArrayList<>();

            MtaStsPolicy policy = MtaStsPolicy.parse(
                    "version: STSv1\nmode: enforce\nmode: testing\n"
                            + "mx: mx.example.com\nmax_age: 86400\nmax_age: 5\nversion: STSv1\n",
                    warnings);

            assertThat(policy.mode()).isEqualTo(MtaStsMode.ENFORCE);
            assertThat(policy.maxAgeSeconds()).isEqualTo(86400);
            assertThat(warnings)
                    .containsExactly(
                            "line 3: mode repeats line 2 and is ignored",
                            "line 6: max_age repeats line 5 and is ignored",
                            "line 7: version repeats line 1 and is ignored");
        }

        @Test
        void aRepeatedFieldMustStillBeWellFormed() {
            assertThatThrownBy(() -> MtaStsPolicy.parse(
                            "version: STSv1\nmode: enforce\nmode: bogus\n" + "mx: mx.example.com\nmax_age: 1\n"))
                    .hasMessageStartingWith("line 3: mode: expected enforce, testing or none");
        }

        @ParameterizedTest
        @ValueSource(strings = {"STSv2", "stsv1", "STSv1;", "STSv10"})
        void theOnlyVersionIsStsV1(String version) {
            assertThatThrownBy(() -> MtaStsPolicy.parse("version: " + version + "\nmode: none\nmax_age: 1\n"))
                    .hasMessageStartingWith("line 1: version: expected STSv1");
        }

        @ParameterizedTest
        @ValueSource(strings = {"Enforce", "ENFORCE", "enforcing", "report", "enforce testing"})
        void modeIsOneOfThreeCaseSensitiveKeywords(String mode) {
            assertThatThrownBy(() -> MtaStsPolicy.parse("version: STSv1\nmode: " + mode + "\nmax_age: 1\n"))
                    .hasMessageStartingWith("line 2: mode: expected enforce, testing or none");
        }

        @Test
        void fieldNamesAreCaseSensitiveSoModeInCapitalsIsAnExtensionAndModeIsMissing() {
            assertThatThrownBy(() -> MtaStsPolicy.parse("version: STSv1\nMode: enforce\nmx: a.example\nmax_age: 1\n"))
                    .hasMessage("the policy has no mode field");
        }

        @ParameterizedTest
        @ValueSource(strings = {"-1", "+5", "1.5", "1e6", "12345678901", " ", "0x10", "1_000"})
        void maxAgeIsOneToTenDigits(String value) {
            assertThatThrownBy(() -> MtaStsPolicy.parse("version: STSv1\nmode: none\nmax_age: " + value + "\n"))
                    .isInstanceOf(MtaStsSyntaxException.class);
        }

        @Test
        void maxAgeOfZeroIsValid() throws Exception {
            assertThat(MtaStsPolicy.parse("version: STSv1\nmode: none\nmax_age: 0\n")
                            .maxAgeSeconds())
                    .isZero();
        }

        @Test
        void maxAgeAtTheLimitIsKept() throws Exception {
            assertThat(MtaStsPolicy.parse("version: STSv1\nmode: none\nmax_age: 31557600\n")
                            .maxAgeSeconds())
                    .isEqualTo(31557600);
        }

        @Test
        void maxAgeOverTheLimitIsCappedToTheLimitWithAWarning() throws Exception {
            List<String> warnings = new ArrayList<>();

            MtaStsPolicy policy = MtaStsPolicy.parse("version: STSv1\nmode: none\nmax_age: 9999999999\n", warnings);

            assertThat(policy.maxAgeSeconds()).isEqualTo(MtaStsPolicy.MAX_AGE_LIMIT_SECONDS);
            assertThat(warnings)
                    .containsExactly("line 3: max_age: 9999999999 is over the limit of 31557600"
                            + " seconds (RFC 8461 3.2); using 31557600");
        }

        @Test
        void extensionFieldsFollowingTheGrammarAreIgnored() throws Exception {
            MtaStsPolicy policy = MtaStsPolicy.parse("version: STSv1\nmode: enforce\nmx: mx.example.com\n"
                    + "max_age: 86400\nx_note.v-2: anything = ; goes, even ümlauts and inner  spaces\n");

            assertThat(policy.mode()).isEqualTo(MtaStsMode.ENFORCE);
        }

        @ParameterizedTest
        @ValueSource(
                strings = {"_x: 1", "-x: 1", "x y: 1", "a123456789012345678901234567890123: 1", ": 1", "x\u00e9: 1"})
        void extensionNamesFollowTheGrammar(String line) {
            assertThatThrownBy(() -> MtaStsPolicy.parse("version: STSv1\nmode: none\nmax_age: 1\n" + line + "\n"))
                    .hasMessageStartingWith("line 4: ")
                    .hasMessageContaining("is not a field name");
        }

        @Test
        void extensionValuesHaveNoControlCharacters() {
            assertThatThrownBy(() -> MtaStsPolicy.parse("version: STSv1\nmode: none\nmax_age: 1\nx: a\u0001b\n"))
                    .hasMessage("line 4: x: control character 0x1 in the value");
        }

        @Test
        void extensionValuesMaySeparateWordsWithSpacesButNotTabs() throws Exception {
            MtaStsPolicy.parse("version: STSv1\nmode: none\nmax_age: 1\nx: a  b\t\n");
            assertThatThrownBy(() -> MtaStsPolicy.parse("version: STSv1\nmode: none\nmax_age: 1\nx: a\tb\n"))
                    .hasMessage("line 4: x: control character 0x9 in the value");
        }

        @Test
        void everyFieldNeedsAValue() {
            assertThatThrownBy(() -> MtaStsPolicy.parse("version: STSv1\nmode: none\nmax_age: 1\nx:   \n"))
                    .hasMessage("line 4: x has no value");
            assertThatThrownBy(() -> MtaStsPolicy.parse("version: STSv1\nmode: enforce\nmx:\nmax_age: 1\n"))
                    .hasMessage("line 3: mx has no value");
        }

        @Test
        void aLineWithoutAColonIsAnError() {
            assertThatThrownBy(() -> MtaStsPolicy.parse("version: STSv1\nmode none\nmax_age: 1\n"))
                    .hasMessage("line 2: expected \"name: value\", got \"mode none\"");
        }

        @Test
        void whitespaceBeforeAFieldNameIsAnError() {
            assertThatThrownBy(() -> MtaStsPolicy.parse("version: STSv1\n mode: none\nmax_age: 1\n"))
                    .hasMessageContaining("line 2: \" mode\" is not a field name");
        }

        @Test
        void anEmptyLineInsideThePolicyIsAnError() {
            assertThatThrownBy(() -> MtaStsPolicy.parse("version: STSv1\n\nmode: none\nmax_age: 1\n"))
                    .hasMessage("line 2 is empty");
        }

        @Test
        void emptyLinesAtTheEndAreIgnoredWithAWarning() throws Exception {
            List<String> warnings = new ArrayList<>();

            MtaStsPolicy.parse("version: STSv1\r\nmode: none\r\nmax_age: 1\r\n\r\n\n", warnings);

            assertThat(warnings).containsExactly("ignored 2 empty line(s) at the end of the policy");
        }

        @Test
        void aBareCarriageReturnIsNotALineEnd() {
            assertThatThrownBy(() -> MtaStsPolicy.parse("version: STSv1\rmode: none\nmax_age: 1\n"))
                    .hasMessageStartingWith("line 1: version: expected STSv1, got \"STSv1\\x0dmode: none\"");
        }

        @Test
        void anEmptyBodyIsAnError() {
            assertThatThrownBy(() -> MtaStsPolicy.parse("")).hasMessage("the policy is empty");
            assertThatThrownBy(() -> MtaStsPolicy.parse("\n\n")).hasMessage("the policy is empty");
        }

        @Test
        void mxPatternsAreLowerCasedAndDeduplicated() throws Exception {
            MtaStsPolicy policy = MtaStsPolicy.parse("version: STSv1\nmode: enforce\nmx: MX.Example.COM\n"
                    + "mx: mx.example.com\nmx: *.Backup.example.com\nmax_age: 1\n");

            assertThat(policy.mxPatterns()).containsExactly("mx.example.com", "*.backup.example.com");
        }

        @ParameterizedTest
        @ValueSource(
                strings = {
                    "*",
                    "*.",
                    "**.example.com",
                    "*example.com",
                    "mail.*.example.com",
                    "*.*.example.com",
                    "mx.example.com.",
                    ".example.com",
                    "mx..example.com",
                    "-mx.example.com",
                    "mx-.example.com",
                    "mx_1.example.com",
                    "[192.0.2.1]",
                    "192.0.2.1",
                    "*.192.0.2.1",
                    "2001:db8::1",
                    "mx.example.com:25",
                    "a1234567890123456789012345678901234567890123456789012345678901234.example.com"
                })
        void malformedMxPatternsAreRejected(String pattern) {
            assertThatThrownBy(() ->
                            MtaStsPolicy.parse("version: STSv1\nmode: enforce\nmx: " + pattern + "\nmax_age: 1\n"))
                    .isInstanceOf(MtaStsSyntaxException.class)
                    .hasMessageStartingWith("line 3: mx: \"" + pattern + "\"");
        }

        @Test
        void aNameLongerThan253OctetsIsRejected() {
            String label = "a".repeat(63);
            String name = String.join(".", label, label, label, label); // 255 octets
            assertThatThrownBy(
                            () -> MtaStsPolicy.parse("version: STSv1\nmode: enforce\nmx: " + name + "\nmax_age: 1\n"))
                    .isInstanceOf(MtaStsSyntaxException.class);
        }

        @Test
        void uLabelsMustBeWrittenAsALabels() throws Exception {
            assertThatThrownBy(() ->
                            MtaStsPolicy.parse("version: STSv1\nmode: enforce\nmx: mx.bücher.example\nmax_age: 1\n"))
                    .hasMessageContaining("must be written in A-labels");
            assertThat(MtaStsPolicy.parse("version: STSv1\nmode: enforce\nmx: mx.xn--bcher-kva.example\nmax_age: 1\n")
                            .mxPatterns())
                    .containsExactly("mx.xn--bcher-kva.example");
        }

        @Test
        void numericLabelsAreFineWhereTheLastLabelIsNot() throws Exception {
            assertThat(MtaStsPolicy.parse("version: STSv1\nmode: enforce\nmx: 1.2.3.example\nmax_age: 1\n")
                            .mxPatterns())
                    .containsExactly("1.2.3.example");
        }

        @Test
        void thePolicyTextParsesBackToAnEqualPolicy() throws Exception {
            MtaStsPolicy policy = MtaStsPolicy.of(MtaStsMode.TESTING, List.of("mx.example.com", "*.example.net"), 3600);

            assertThat(MtaStsPolicy.parse(policy.toPolicyText())).isEqualTo(policy);
        }
    }

    @Nested
    class MxMatching {
        private final MtaStsPolicy policy = policy("mail.example.com", "*.example.net", "mx.xn--bcher-kva.example");

        @Test
        void anExactPatternMatchesIgnoringCaseAndATrailingDot() {
            assertThat(policy.matches("mail.example.com")).isTrue();
            assertThat(policy.matches("MAIL.Example.Com")).isTrue();
            assertThat(policy.matches("mail.example.com.")).isTrue();
        }

        @Test
        void anExactPatternMatchesNothingElse() {
            assertThat(policy.matches("example.com")).isFalse();
            assertThat(policy.matches("xmail.example.com")).isFalse();
            assertThat(policy.matches("a.mail.example.com")).isFalse();
            assertThat(policy.matches("mail.example.com.evil")).isFalse();
            assertThat(policy.matches("mail.example.com..")).isFalse();
        }

        @Test
        void aWildcardStandsForExactlyOneLabel() {
            // RFC 8461 4.1: "*.example.com" matches "mx1.example.com" but not "example.com" or deeper names.
            assertThat(policy.matches("mx1.example.net")).isTrue();
            assertThat(policy.matches("MX1.EXAMPLE.NET.")).isTrue();
            assertThat(policy.matches("example.net")).isFalse();
            assertThat(policy.matches(".example.net")).isFalse();
            assertThat(policy.matches("a.b.example.net")).isFalse();
            assertThat(policy.matches("mx1.xexample.net")).isFalse();
        }

        @Test
        void internationalisedNamesAreComparedAsALabels() {
            assertThat(policy.matches("mx.bücher.example")).isTrue();
            assertThat(policy.matches("MX.BÜCHER.EXAMPLE.")).isTrue();
            assertThat(policy.matches("mx.xn--bcher-kva.example")).isTrue();
            assertThat(policy.matches("mx.bucher.example")).isFalse();
        }

        @Test
        void aWildcardMatchesAnInternationalisedLabel() {
            assertThat(policy("*.example.net").matches("bücher.example.net")).isTrue();
        }

        @Test
        void aPolicyWithoutPatternsMatchesNothing() throws Exception {
            MtaStsPolicy none = MtaStsPolicy.parse("version: STSv1\nmode: none\nmax_age: 1\n");

            assertThat(none.matches("mail.example.com")).isFalse();
            assertThat(none.matches("")).isFalse();
        }

        private MtaStsPolicy policy(String... patterns) {
            try {
                return MtaStsPolicy.of(MtaStsMode.ENFORCE, List.of(patterns), 86400);
            } catch (MtaStsSyntaxException e) {
                throw new AssertionError(e);
            }
        }
    }
}
