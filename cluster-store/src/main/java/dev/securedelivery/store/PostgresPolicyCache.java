package dev.securedelivery.store;

import dev.securedelivery.mtasts.MtaStsPolicy;
import dev.securedelivery.mtasts.MtaStsSyntaxException;
import dev.securedelivery.mtasts.PolicyCache;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The MTA-STS policies of a cluster: one row per domain, the policy as served, under its id, and the
 * node fetching it now. The engine reads it before it fetches ({@link #isShared()}): a policy another
 * node fetched is taken up, not fetched again, and every node enforces the policy last fetched under
 * the id DNS names; a node fetches only while it holds the domain's lease.
 *
 * <p>Never in a delivery's way: a read or write that fails is logged at most once per outage ({@link
 * StoreHealth}) and is as a cache that holds nothing; the engine's own memory serves meanwhile.
 * Bounded: at most {@code maxEntries} policies, those fetched longest ago going first (a policy in use
 * is fetched at least daily); each at most the 64 KiB a fetch allows.
 */
public final class PostgresPolicyCache implements PolicyCache {
    private static final Logger LOGGER = LoggerFactory.getLogger(PostgresPolicyCache.class);

    private final PostgresStore store;
    private final int maxEntries;

    PostgresPolicyCache(PostgresStore store, int maxEntries) {
        this.store = store;
        this.maxEntries = maxEntries;
    }

    @Override
    public boolean isShared() {
        return true;
    }

    @Override
    public void save(String domain, String id, long fetchedAtMillis, String policyText) {
        try (Connection connection = store.connection()) {
            long expiresAt;
            try {
                expiresAt = fetchedAtMillis + MtaStsPolicy.parse(policyText).maxAgeSeconds() * 1000;
            } catch (MtaStsSyntaxException e) {
                // Fetched and parsed before it came here: cannot be.
                throw new IllegalArgumentException("not a policy: " + e.getMessage(), e);
            }
            connection.setAutoCommit(false);
            try (PreparedStatement upsert = connection.prepareStatement("INSERT INTO mta_sts_policies (domain,"
                            + " policy_id, fetched_at, expires_at, policy) VALUES (?, ?, ?, ?, ?) ON CONFLICT (domain)"
                            + " DO UPDATE SET policy_id = excluded.policy_id, fetched_at = excluded.fetched_at,"
                            + " expires_at = excluded.expires_at, policy = excluded.policy, fetch_owner = NULL,"
                            + " fetch_until = NULL WHERE mta_sts_policies.fetched_at IS NULL OR"
                            + " mta_sts_policies.fetched_at <= excluded.fetched_at");
                    PreparedStatement beyond = connection.prepareStatement("DELETE FROM mta_sts_policies WHERE domain"
                            + " IN (SELECT domain FROM mta_sts_policies WHERE fetched_at IS NOT NULL ORDER BY"
                            + " fetched_at DESC OFFSET ?)")) {
                upsert.setString(1, domain);
                upsert.setString(2, id);
                upsert.setLong(3, fetchedAtMillis);
                upsert.setLong(4, expiresAt);
                upsert.setString(5, policyText);
                upsert.executeUpdate();
                beyond.setInt(1, maxEntries);
                beyond.executeUpdate();
                connection.commit();
            } catch (SQLException e) {
                connection.rollback();
                throw e;
            }
            store.health().succeeded();
        } catch (SQLException | RuntimeException e) {
            store.health().failed("storing an MTA-STS policy", e);
        }
    }

    @Override
    public Stored load(String domain) {
        try (Connection connection = store.connection();
                PreparedStatement select = connection.prepareStatement("SELECT policy_id, fetched_at, policy FROM"
                        + " mta_sts_policies WHERE domain = ? AND policy IS NOT NULL")) {
            select.setString(1, domain);
            try (ResultSet rows = select.executeQuery()) {
                if (!rows.next()) {
                    return null;
                }
                return new Stored(rows.getString(1), rows.getLong(2), MtaStsPolicy.parse(rows.getString(3)));
            }
        } catch (SQLException | RuntimeException e) {
            store.health().failed("reading an MTA-STS policy", e);
            return null;
        } catch (MtaStsSyntaxException e) {
            LOGGER.warn("secure-delivery: the shared MTA-STS policy of {} cannot be read: {}", domain, e.getMessage());
            return null;
        }
    }

    @Override
    public void delete(String domain) {
        execute("deleting an MTA-STS policy", "DELETE FROM mta_sts_policies WHERE domain = ?", domain);
    }

    @Override
    public void deleteExpired(long nowMillis) {
        try (Connection connection = store.connection();
                PreparedStatement delete = connection.prepareStatement(
                        "DELETE FROM mta_sts_policies WHERE expires_at <= ? AND (fetch_until IS NULL OR fetch_until < ?)")) {
            delete.setLong(1, nowMillis);
            delete.setLong(2, nowMillis);
            delete.executeUpdate();
        } catch (SQLException e) {
            store.health().failed("deleting expired MTA-STS policies", e);
        }
    }

    /** The domain's lease, taken if nobody holds it (or the holder's ran out): one fetch at a time for the cluster. */
    @Override
    public boolean claimFetch(String domain, long nowMillis, Duration lease) {
        try (Connection connection = store.connection();
                PreparedStatement claim = connection.prepareStatement("INSERT INTO mta_sts_policies (domain,"
                        + " fetch_owner, fetch_until) VALUES (?, ?, ?) ON CONFLICT (domain) DO UPDATE SET fetch_owner ="
                        + " excluded.fetch_owner, fetch_until = excluded.fetch_until WHERE mta_sts_policies.fetch_until"
                        + " IS NULL OR mta_sts_policies.fetch_until < ? OR mta_sts_policies.fetch_owner ="
                        + " excluded.fetch_owner")) {
            claim.setString(1, domain);
            claim.setString(2, store.node());
            claim.setLong(3, nowMillis + lease.toMillis());
            claim.setLong(4, nowMillis);
            return claim.executeUpdate() == 1;
        } catch (SQLException e) {
            // Without the store, this node is on its own: it fetches, as it would alone.
            store.health().failed("claiming an MTA-STS fetch", e);
            return true;
        }
    }

    @Override
    public void fetchFailed(String domain) {
        try (Connection connection = store.connection();
                PreparedStatement release = connection.prepareStatement("UPDATE mta_sts_policies SET fetch_owner ="
                        + " NULL, fetch_until = NULL WHERE domain = ? AND fetch_owner = ?")) {
            release.setString(1, domain);
            release.setString(2, store.node());
            release.executeUpdate();
        } catch (SQLException e) {
            store.health().failed("ending an MTA-STS fetch", e);
        }
    }

    @Override
    public boolean isBeingFetched(String domain, long nowMillis) {
        try (Connection connection = store.connection();
                PreparedStatement select = connection.prepareStatement(
                        "SELECT 1 FROM mta_sts_policies WHERE domain = ? AND fetch_until >= ?")) {
            select.setString(1, domain);
            select.setLong(2, nowMillis);
            try (ResultSet rows = select.executeQuery()) {
                return rows.next();
            }
        } catch (SQLException e) {
            store.health().failed("reading an MTA-STS fetch lease", e);
            return false;
        }
    }

    private void execute(String what, String sql, String domain) {
        try (Connection connection = store.connection();
                PreparedStatement statement = connection.prepareStatement(sql)) {
            statement.setString(1, domain);
            statement.executeUpdate();
        } catch (SQLException e) {
            store.health().failed(what, e);
        }
    }
}
