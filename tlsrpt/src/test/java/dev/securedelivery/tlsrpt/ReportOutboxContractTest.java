package dev.securedelivery.tlsrpt;

import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

/** The contract for one node's outbox, in a directory that is the same at each start. */
class ReportOutboxContractTest extends ReportQueueContract {
    @TempDir
    Path directory;

    @Override
    protected ReportQueue open(String node) throws Exception {
        return ReportOutbox.open(directory, node);
    }
}
