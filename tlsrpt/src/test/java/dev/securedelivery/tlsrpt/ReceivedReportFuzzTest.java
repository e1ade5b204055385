package dev.securedelivery.tlsrpt;

import static org.assertj.core.api.Assertions.assertThatCode;

import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * Coverage-guided fuzzing of the received-report parser with the checks of {@link
 * ReceivedReportParserPropertyTest#check}, as JSON and as gzip. Without {@code -Pfuzz} only the
 * seeds run.
 */
class ReceivedReportFuzzTest {

    @FuzzTest
    void json(byte[] input) {
        assertThatCode(() -> ReceivedReportParserPropertyTest.check(input, false))
                .doesNotThrowAnyException();
    }

    @FuzzTest
    void gzip(byte[] input) {
        assertThatCode(() -> ReceivedReportParserPropertyTest.check(input, true))
                .doesNotThrowAnyException();
    }
}
