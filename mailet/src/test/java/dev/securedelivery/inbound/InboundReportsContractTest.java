package dev.securedelivery.inbound;

import dev.securedelivery.configuration.PolicyEngineConfiguration;
import dev.securedelivery.tlsrpt.InboundReportStore;
import dev.securedelivery.tlsrpt.InboundReportStoreContract;
import java.nio.file.Path;
import java.util.Properties;
import org.junit.jupiter.api.io.TempDir;

/** The contract for one node's inbound reports, in a directory that is the same at each start. */
class InboundReportsContractTest extends InboundReportStoreContract {
    @TempDir
    Path directory;

    @Override
    protected InboundReportStore open(int maxReports) throws Exception {
        Properties properties = new Properties();
        properties.setProperty("inbound-reports.directory", directory.toString());
        properties.setProperty("inbound-reports.max-reports", String.valueOf(maxReports));
        return new InboundReports(PolicyEngineConfiguration.from(properties).inboundReports(), clock);
    }
}
