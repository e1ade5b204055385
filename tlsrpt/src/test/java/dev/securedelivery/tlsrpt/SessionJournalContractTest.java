package dev.securedelivery.tlsrpt;

import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

/** The contract for one node's journal: its files are the same directory at each start. */
class SessionJournalContractTest extends SessionCountStoreContract {
    @TempDir
    Path directory;

    @Override
    protected SessionCountStore open(String node) throws Exception {
        return SessionJournal.open(directory, DAY);
    }
}
