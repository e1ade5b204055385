package dev.securedelivery.store;

import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether the shared store answers, as the writes find it: said once in the log when it stops
 * answering, and once when it answers again, not at every failed write.
 */
final class StoreHealth {
    private static final Logger LOGGER = LoggerFactory.getLogger(StoreHealth.class);

    private final String database;
    private final AtomicBoolean down = new AtomicBoolean();

    StoreHealth(String database) {
        this.database = database;
    }

    void failed(String what, Throwable cause) {
        if (down.compareAndSet(false, true)) {
            LOGGER.error(
                    "secure-delivery: the shared store {} does not answer ({} failed: {}); counts are kept in memory"
                            + " and written when it is back, and planning goes on from this node's cache",
                    database,
                    what,
                    StoreException.reason(cause));
        }
    }

    void succeeded() {
        if (down.compareAndSet(true, false)) {
            LOGGER.warn(
                    "secure-delivery: the shared store {} answers again; what was kept in memory is written", database);
        }
    }

    boolean isDown() {
        return down.get();
    }
}
