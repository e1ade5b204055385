package dev.securedelivery.mtasts;

import java.time.Duration;
import java.util.Objects;

/**
 * Fetched MTA-STS policies kept beyond memory: RFC 8461 10.2 warns that an attacker who can block
 * discovery wins whenever a sender has forgotten a policy. This node's files ({@link PolicyStore}),
 * or a cache the nodes of a cluster share ({@link #isShared()}), where a policy one node fetched is
 * every node's: a node reads the cache before it fetches, at most one node fetches a domain's policy
 * at a time (a lease, taken over if that node dies), and every node takes up a policy another fetched
 * under the same id, so that the nodes enforce the same policy.
 *
 * <p>Never in the way of a delivery: a cache that cannot be read is as one that holds nothing, and one
 * that cannot be written leaves the policy in memory.
 */
public interface PolicyCache {
    /** A stored policy: what the engine needs to trust it again. */
    final class Stored {
        final String id;
        final long fetchedAtMillis;
        final MtaStsPolicy policy;

        public Stored(String id, long fetchedAtMillis, MtaStsPolicy policy) {
            this.id = Objects.requireNonNull(id, "id");
            this.fetchedAtMillis = fetchedAtMillis;
            this.policy = Objects.requireNonNull(policy, "policy");
        }

        public String id() {
            return id;
        }

        public long fetchedAtMillis() {
            return fetchedAtMillis;
        }

        public MtaStsPolicy policy() {
            return policy;
        }

        long expiresAtMillis() {
            return fetchedAtMillis + policy.maxAgeSeconds() * 1000;
        }
    }

    /** Stores {@code domain}'s policy, fetched under {@code id}; ends this node's fetch lease, if it held one. */
    void save(String domain, String id, long fetchedAtMillis, String policyText);

    /** The stored policy of {@code domain}, or null when there is none or it cannot be read. */
    Stored load(String domain);

    void delete(String domain);

    /** Deletes the policies expired at {@code nowMillis}. */
    void deleteExpired(long nowMillis);

    /** Whether other nodes change this cache too: the engine then reads it before every fetch. */
    default boolean isShared() {
        return false;
    }

    /**
     * Whether this node may fetch {@code domain}'s policy now: it holds the domain's fetch lease for
     * {@code lease}. False while another node holds it. Always true for one node's own cache.
     */
    default boolean claimFetch(String domain, long nowMillis, Duration lease) {
        return true;
    }

    /** This node's fetch of {@code domain} failed: its lease ends, so that others stop waiting for it. */
    default void fetchFailed(String domain) {}

    /** Whether a node holds {@code domain}'s fetch lease at {@code nowMillis}. */
    default boolean isBeingFetched(String domain, long nowMillis) {
        return false;
    }
}
