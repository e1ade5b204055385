package dev.securedelivery.configuration;

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
        ConfigurationFilePropertyTest.check(content);
    }
}
