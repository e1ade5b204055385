package dev.securedelivery.posture;

import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

/** The contract for one node's history, in a directory that is the same at each start. */
class PostureStoreContractTest extends PostureHistoryContract {
    @TempDir
    Path directory;

    @Override
    protected PostureHistory open(String node, int retentionDays, int maxDomainsPerDay) throws Exception {
        return PostureStore.open(directory, retentionDays, maxDomainsPerDay, clock, node);
    }
}
