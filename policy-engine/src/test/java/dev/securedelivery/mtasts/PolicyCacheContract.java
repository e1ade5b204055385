package dev.securedelivery.mtasts;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * What every {@link PolicyCache} does for one node: a policy saved is loaded back as it was fetched
 * (under its id and fetch time), also by a node started again; deleted, and deleted once expired.
 * Each implementation's test extends it; the one the nodes share adds its leases.
 */
public abstract class PolicyCacheContract {
    protected static final String POLICY =
            "version: STSv1\nmode: enforce\nmx: mx1.example.test\nmx: *.example.test\n" + "max_age: 86400\n";
    protected static final long FETCHED = 1_764_000_000_000L;

    /** The cache of {@code node}; a second call for the same node is that node started again. */
    protected abstract PolicyCache open(String node) throws Exception;

    @Test
    public void aSavedPolicyIsLoadedBackAsItWasFetched() throws Exception {
        open("one").save("example.test", "20261201", FETCHED, POLICY);

        PolicyCache.Stored stored = open("one").load("example.test");
        assertThat(stored).isNotNull();
        assertThat(stored.id()).isEqualTo("20261201");
        assertThat(stored.fetchedAtMillis()).isEqualTo(FETCHED);
        assertThat(stored.policy()).isEqualTo(MtaStsPolicy.parse(POLICY));
        assertThat(open("one").load("other.test")).isNull();
    }

    @Test
    public void aNewerFetchReplacesTheStoredPolicy() throws Exception {
        PolicyCache cache = open("one");
        cache.save("example.test", "1", FETCHED, POLICY);
        cache.save("example.test", "2", FETCHED + 1000, POLICY.replace("enforce", "testing"));

        PolicyCache.Stored stored = cache.load("example.test");
        assertThat(stored.id()).isEqualTo("2");
        assertThat(stored.policy().mode()).isEqualTo(MtaStsMode.TESTING);
    }

    @Test
    public void aPolicyGoesWhenDeletedOrExpired() throws Exception {
        PolicyCache cache = open("one");
        cache.save("deleted.test", "1", FETCHED, POLICY);
        cache.save("expired.test", "1", FETCHED, POLICY);
        cache.save("live.test", "1", FETCHED + 86_400_000L, POLICY);

        cache.delete("deleted.test");
        cache.deleteExpired(FETCHED + 86_400_000L);

        assertThat(cache.load("deleted.test")).isNull();
        assertThat(cache.load("expired.test")).isNull();
        assertThat(cache.load("live.test")).isNotNull();
    }

    @Test
    public void oneNodeMayAlwaysFetch() throws Exception {
        PolicyCache cache = open("one");

        assertThat(cache.claimFetch("example.test", FETCHED, Duration.ofMinutes(1)))
                .isTrue();
        assertThat(cache.claimFetch("example.test", FETCHED, Duration.ofMinutes(1)))
                .isTrue();
    }
}
