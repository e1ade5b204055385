package dev.securedelivery.store;

/**
 * Counts a node takes in memory and writes to the shared store at intervals: a delivery never waits
 * for the database. What a write could not take stays for the next one; beyond the buffer's bound,
 * new counts are dropped, counted and said once.
 */
interface WriteBehind {
    /** Writes what is buffered; what the database did not take stays buffered. */
    void flush();

    /** At shutdown, after the last flush: says what could not be written, if anything. */
    void reportLossAtClose();
}
