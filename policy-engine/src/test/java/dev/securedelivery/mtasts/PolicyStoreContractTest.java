package dev.securedelivery.mtasts;

import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

/** The contract for one node's policy files, in a directory that is the same at each start. */
class PolicyStoreContractTest extends PolicyCacheContract {
    @TempDir
    Path directory;

    @Override
    protected PolicyCache open(String node) throws Exception {
        return new PolicyStore(directory, 256L * 1024 * 1024);
    }
}
