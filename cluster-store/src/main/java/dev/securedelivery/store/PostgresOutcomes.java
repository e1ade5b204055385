package dev.securedelivery.store;

import dev.securedelivery.delivery.DeliveryOutcomes;
import dev.securedelivery.delivery.FailureCause;
import dev.securedelivery.delivery.Fate;
import dev.securedelivery.delivery.OutcomesByNode;
import dev.securedelivery.smtp.DeliveryAttempt;
import dev.securedelivery.smtp.PeerAuthentication;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Every node's delivery outcomes, for the outcomes view of any node: each node counts in memory (its
 * {@link DeliveryOutcomes}) and writes the domains that changed, whole, over its own rows every flush
 * interval; a node that starts again starts its rows afresh, as its counts do. A view reads the other
 * nodes' rows and this node's live counts, so this node's are never behind.
 *
 * <p>Bounded: a node's rows are its domains of the last {@value #KEPT_DAYS} days (older rows are
 * deleted), a read takes at most {@code maxDomains} rows per node it finds, and a last attempt is
 * kept to {@value #MAX_LAST_ATTEMPT} characters.
 */
public final class PostgresOutcomes implements OutcomesByNode, WriteBehind {
    static final int KEPT_DAYS = 7;
    static final int MAX_LAST_ATTEMPT = 2_000;
    private static final short ATTEMPT = 0;
    private static final short FAILURE = 1;
    private static final short MESSAGE = 2;
    private static final Duration PRUNE_EVERY = Duration.ofHours(1);

    private final PostgresStore store;
    private final DeliveryOutcomes local;
    private final int maxDomains;
    // What the database has of this node's counts: every change up to this version.
    private long written;
    private boolean startedAfresh;
    private Instant pruned = Instant.MIN;

    PostgresOutcomes(PostgresStore store, DeliveryOutcomes local, int maxDomains) {
        this.store = store;
        this.local = local;
        this.maxDomains = maxDomains;
        store.register(this);
    }

    @Override
    public synchronized void flush() {
        // The mark is taken first: a change made while the rows are read out is written again next time.
        long mark = local.version();
        if (mark == written && startedAfresh) {
            return;
        }
        Map<String, DeliveryOutcomes.DomainOutcomes> changed = local.changedAfter(written);
        Instant now = store.clock().instant();
        try (Connection connection = store.connection()) {
            connection.setAutoCommit(false);
            try {
                if (!startedAfresh) {
                    delete(connection, "DELETE FROM delivery_outcomes WHERE node = ?", store.node());
                }
                write(connection, changed, now);
                if (pruned.plus(PRUNE_EVERY).isBefore(now)) {
                    try (PreparedStatement old =
                            connection.prepareStatement("DELETE FROM delivery_outcomes WHERE updated_at < ?")) {
                        old.setLong(1, now.minus(Duration.ofDays(KEPT_DAYS)).toEpochMilli());
                        old.executeUpdate();
                    }
                }
                connection.commit();
            } catch (SQLException | RuntimeException e) {
                connection.rollback();
                throw e;
            }
            startedAfresh = true;
            written = mark;
            pruned = pruned.plus(PRUNE_EVERY).isBefore(now) ? now : pruned;
            store.health().succeeded();
        } catch (SQLException | RuntimeException e) {
            // Nothing is lost: the counts are in memory, and every domain changed since the last write that
            // took is written at the next.
            store.health().failed("writing the delivery outcomes", e);
        }
    }

    private static void delete(Connection connection, String sql, String node) throws SQLException {
        try (PreparedStatement delete = connection.prepareStatement(sql)) {
            delete.setString(1, node);
            delete.executeUpdate();
        }
    }

    private void write(Connection connection, Map<String, DeliveryOutcomes.DomainOutcomes> changed, Instant now)
            throws SQLException {
        String node = store.node();
        try (PreparedStatement domain = connection.prepareStatement("INSERT INTO delivery_outcomes (node, domain,"
                        + " since, last_at, last_attempt, updated_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (node,"
                        + " domain) DO UPDATE SET since = EXCLUDED.since, last_at = EXCLUDED.last_at, last_attempt ="
                        + " EXCLUDED.last_attempt, updated_at = EXCLUDED.updated_at");
                PreparedStatement clear = connection.prepareStatement(
                        "DELETE FROM delivery_outcome_counts WHERE node = ? AND domain = ?");
                PreparedStatement count = connection.prepareStatement("INSERT INTO delivery_outcome_counts (node,"
                        + " domain, kind, name, detail, count) VALUES (?, ?, ?, ?, ?, ?)")) {
            for (Map.Entry<String, DeliveryOutcomes.DomainOutcomes> entry : changed.entrySet()) {
                DeliveryOutcomes.DomainOutcomes outcomes = entry.getValue();
                domain.setString(1, node);
                domain.setString(2, entry.getKey());
                domain.setLong(3, local.since().toEpochMilli());
                if (outcomes.lastAttemptAt().isPresent()) {
                    domain.setLong(4, outcomes.lastAttemptAt().get().toEpochMilli());
                } else {
                    domain.setNull(4, Types.BIGINT);
                }
                domain.setString(
                        5,
                        outcomes.lastAttempt()
                                .map(text ->
                                        text.length() > MAX_LAST_ATTEMPT ? text.substring(0, MAX_LAST_ATTEMPT) : text)
                                .orElse(null));
                domain.setLong(6, now.toEpochMilli());
                domain.addBatch();
                clear.setString(1, node);
                clear.setString(2, entry.getKey());
                clear.addBatch();
                for (Map.Entry<DeliveryOutcomes.AttemptKind, Long> attempt :
                        outcomes.attempts().entrySet()) {
                    add(
                            count,
                            node,
                            entry.getKey(),
                            ATTEMPT,
                            attempt.getKey().authentication().name(),
                            attempt.getKey().outcome().name(),
                            attempt.getValue());
                }
                for (Map.Entry<FailureCause, Long> failure : outcomes.failures().entrySet()) {
                    add(count, node, entry.getKey(), FAILURE, failure.getKey().name(), "", failure.getValue());
                }
                for (Map.Entry<Fate, Long> message : outcomes.messages().entrySet()) {
                    add(count, node, entry.getKey(), MESSAGE, message.getKey().name(), "", message.getValue());
                }
            }
            domain.executeBatch();
            clear.executeBatch();
            count.executeBatch();
        }
    }

    private static void add(
            PreparedStatement count, String node, String domain, short kind, String name, String detail, long value)
            throws SQLException {
        count.setString(1, node);
        count.setString(2, domain);
        count.setShort(3, kind);
        count.setString(4, name);
        count.setString(5, detail);
        count.setLong(6, value);
        count.addBatch();
    }

    @Override
    public void reportLossAtClose() {
        // Nothing to lose: the counts are since the node started, and go with it.
    }

    @Override
    public SortedMap<String, NodeOutcomes> read() throws StoreException {
        Map<String, Instant> since = new HashMap<>();
        Map<String, Map<String, Counts>> nodes = new TreeMap<>();
        try (Connection connection = store.connection()) {
            // Each node's most recently updated domains, at most maxDomains each.
            String kept = "SELECT node, domain, since, last_at, last_attempt FROM (SELECT *, row_number() OVER"
                    + " (PARTITION BY node ORDER BY updated_at DESC, domain) AS newer FROM delivery_outcomes WHERE"
                    + " node <> ?) ranked WHERE newer <= ?";
            try (PreparedStatement select = connection.prepareStatement(kept)) {
                select.setString(1, store.node());
                select.setInt(2, maxDomains);
                try (ResultSet rows = select.executeQuery()) {
                    while (rows.next()) {
                        String node = rows.getString(1);
                        since.merge(node, Instant.ofEpochMilli(rows.getLong(3)), (a, b) -> a.isAfter(b) ? a : b);
                        long lastAt = rows.getLong(4);
                        Instant last = rows.wasNull() ? null : Instant.ofEpochMilli(lastAt);
                        nodes.computeIfAbsent(node, name -> new TreeMap<>())
                                .put(rows.getString(2), new Counts(last, rows.getString(5)));
                    }
                }
            }
            try (PreparedStatement select = connection.prepareStatement("SELECT c.node, c.domain, c.kind, c.name,"
                    + " c.detail, c.count FROM delivery_outcome_counts c JOIN (" + kept + ") k ON c.node = k.node"
                    + " AND c.domain = k.domain")) {
                select.setString(1, store.node());
                select.setInt(2, maxDomains);
                try (ResultSet rows = select.executeQuery()) {
                    while (rows.next()) {
                        Counts counts =
                                nodes.getOrDefault(rows.getString(1), Map.of()).get(rows.getString(2));
                        if (counts != null) {
                            counts.add(rows.getShort(3), rows.getString(4), rows.getString(5), rows.getLong(6));
                        }
                    }
                }
            }
        } catch (SQLException e) {
            throw StoreException.failed("read the delivery outcomes", e);
        }
        SortedMap<String, NodeOutcomes> read = new TreeMap<>();
        nodes.forEach((node, domains) -> {
            Map<String, DeliveryOutcomes.DomainOutcomes> outcomes = new TreeMap<>();
            domains.forEach((domain, counts) -> outcomes.put(domain, counts.outcomes()));
            read.put(node, new NodeOutcomes(since.get(node), outcomes));
        });
        read.put(store.node(), new NodeOutcomes(local.since(), local.all()));
        return read;
    }

    @Override
    public String toString() {
        return "the delivery outcomes";
    }

    // One domain's rows as read; a name this jar does not know (a newer node's) is left out.
    private static final class Counts {
        private final Instant lastAt;
        private final String last;
        private final Map<DeliveryOutcomes.AttemptKind, Long> attempts = new HashMap<>();
        private final Map<FailureCause, Long> failures = new HashMap<>();
        private final Map<Fate, Long> messages = new HashMap<>();

        Counts(Instant lastAt, String last) {
            this.lastAt = lastAt;
            this.last = last;
        }

        void add(short kind, String name, String detail, long count) {
            try {
                switch (kind) {
                    case ATTEMPT:
                        attempts.put(
                                new DeliveryOutcomes.AttemptKind(
                                        PeerAuthentication.valueOf(name), DeliveryAttempt.Outcome.valueOf(detail)),
                                count);
                        break;
                    case FAILURE:
                        failures.put(FailureCause.valueOf(name), count);
                        break;
                    case MESSAGE:
                        messages.put(Fate.valueOf(name), count);
                        break;
                    default:
                        break;
                }
            } catch (IllegalArgumentException newerName) {
                // Written by a newer jar: this one shows what it knows.
            }
        }

        DeliveryOutcomes.DomainOutcomes outcomes() {
            return DeliveryOutcomes.DomainOutcomes.of(attempts, failures, messages, lastAt, last);
        }
    }
}
