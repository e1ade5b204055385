package dev.securedelivery.configuration;

import static org.assertj.core.api.Assertions.assertThatCode;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * Coverage-guided fuzzing of the configuration file with the checks of {@link
 * ConfigurationFilePropertyTest#check}. Without {@code -Pfuzz} only the seeds in
 * {@code ConfigurationFileFuzzTestInputs} run.
 */
class ConfigurationFileFuzzTest {

    @BeforeAll
    static void files() throws IOException {
        ConfigurationFilePropertyTest.files();
    }

    @AfterAll
    static void removeFiles() throws IOException {
        ConfigurationFilePropertyTest.removeFiles();
    }

    @FuzzTest
    void file(byte[] content) {
        // The property test's check fails with an AssertionError on anything but a configuration or its error.
        assertThatCode(() -> ConfigurationFilePropertyTest.check(content)).doesNotThrowAnyException();
    }
}
