package dev.securedelivery.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.securedelivery.mtasts.PolicyCache;
import dev.securedelivery.mtasts.PolicyCacheContract;
import java.time.Clock;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The MTA-STS policy cache in a real PostgreSQL: the contract, and its fetch lease: one node at a time
 * may fetch a domain's policy, until it stores it, gives up, or its lease ends.
 */
class PostgresPolicyCacheTest extends PolicyCacheContract {
    private TestDatabase database;

    @BeforeEach
    void createDatabase() throws Exception {
        database = TestDatabase.create();
    }

    @AfterEach
    void closeStores() {
        database.close();
    }

    @Override
    protected PolicyCache open(String node) throws Exception {
        return database.open(node, Clock.systemUTC()).policyCache(1000);
    }

    @Test
    void oneNodeAtATimeFetchesADomainsPolicy() throws Exception {
        PolicyCache one = open("one");
        PolicyCache two = open("two");
        Duration lease = Duration.ofSeconds(75);

        assertThat(one.isShared()).isTrue();
        assertThat(one.claimFetch("example.test", FETCHED, lease)).isTrue();
        assertThat(two.claimFetch("example.test", FETCHED + 1000, lease)).isFalse();
        assertThat(two.isBeingFetched("example.test", FETCHED + 1000)).isTrue();

        one.save("example.test", "1", FETCHED + 2000, POLICY);

        assertThat(two.isBeingFetched("example.test", FETCHED + 3000)).isFalse();
        assertThat(two.load("example.test").id()).isEqualTo("1");
        assertThat(two.claimFetch("example.test", FETCHED + 3000, lease)).isTrue();
    }

    @Test
    void aFailedFetchOrAnEndedLeaseLetsAnotherNodeFetch() throws Exception {
        PolicyCache one = open("one");
        PolicyCache two = open("two");
        Duration lease = Duration.ofSeconds(75);
        one.claimFetch("failed.test", FETCHED, lease);
        one.claimFetch("dead.test", FETCHED, lease);

        one.fetchFailed("failed.test");

        assertThat(two.claimFetch("failed.test", FETCHED + 1000, lease)).isTrue();
        assertThat(two.claimFetch("dead.test", FETCHED + lease.toMillis() - 1, lease))
                .isFalse();
        assertThat(two.claimFetch("dead.test", FETCHED + lease.toMillis() + 1, lease))
                .isTrue();
    }

    @Test
    void anOlderFetchNeverReplacesANewerOne() throws Exception {
        PolicyCache one = open("one");
        one.save("example.test", "2", FETCHED + 1000, POLICY);
        open("two").save("example.test", "1", FETCHED, POLICY);

        assertThat(one.load("example.test").id()).isEqualTo("2");
    }
}
