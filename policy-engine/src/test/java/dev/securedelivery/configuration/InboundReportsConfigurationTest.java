package dev.securedelivery.configuration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InboundReportsConfigurationTest {

    @Test
    void defaultsKeepNinetyDaysOfAtMostTenThousandReportsInSixtyFourMebibytes() throws Exception {
        InboundReportsConfiguration inbound = PolicyEngineConfiguration.from(new Properties(), Paths.get("/james"))
                .inboundReports();

        assertThat(inbound.directory()).isEqualTo(Paths.get("/james/var/secure-delivery/inbound-reports"));
        assertThat(inbound.retention()).isEqualTo(Duration.ofDays(90));
        assertThat(inbound.maxReports()).isEqualTo(10_000);
        assertThat(inbound.maxBytes()).isEqualTo(64L * 1024 * 1024);
    }

    @Test
    void theKeysSetEachBound() throws Exception {
        Properties properties = new Properties();
        properties.setProperty("inbound-reports.directory", "reports");
        properties.setProperty("inbound-reports.retention", "30d");
        properties.setProperty("inbound-reports.max-reports", "5");
        properties.setProperty("inbound-reports.max-mib", "1");

        InboundReportsConfiguration inbound =
                PolicyEngineConfiguration.from(properties, Paths.get("/james")).inboundReports();

        assertThat(inbound.directory()).isEqualTo(Paths.get("/james/reports"));
        assertThat(inbound.retention()).isEqualTo(Duration.ofDays(30));
        assertThat(inbound.maxReports()).isEqualTo(5);
        assertThat(inbound.maxBytes()).isEqualTo(1024 * 1024);
    }

    @Test
    void valuesOutOfRangeAreRefusedWithTheirKey() {
        Properties properties = new Properties();
        properties.setProperty("inbound-reports.max-reports", "0");

        assertThatThrownBy(() -> PolicyEngineConfiguration.from(properties))
                .isInstanceOfSatisfying(
                        ConfigurationException.class, e -> assertThat(e.key()).contains("inbound-reports.max-reports"));
    }

    @Test
    void aDirectoryThatIsAFileIsNamed(@TempDir Path temporary) throws Exception {
        Path file = Files.createFile(temporary.resolve("taken"));
        Properties properties = new Properties();
        properties.setProperty("inbound-reports.directory", file.toString());
        InboundReportsConfiguration inbound =
                PolicyEngineConfiguration.from(properties).inboundReports();

        assertThatThrownBy(inbound::prepareDirectory)
                .isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("inbound-reports.directory")
                .hasMessageContaining("is a file");
    }
}
