package dev.securedelivery.store;

import dev.securedelivery.tlsrpt.FailureDetail;
import dev.securedelivery.tlsrpt.PolicyResults;
import dev.securedelivery.tlsrpt.ReportPeriod;
import dev.securedelivery.tlsrpt.ReportedPolicy;
import dev.securedelivery.tlsrpt.SessionCountStore;
import dev.securedelivery.tlsrpt.SessionCounts;
import dev.securedelivery.tlsrpt.SessionEncoding;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * TLS-RPT session counts every node of a cluster adds to (RFC 8460 4): each node counts in memory
 * ({@link SessionCounts}, bounded as ever) and adds its counts to the shared rows every flush
 * interval, in one transaction, as {@code sessions = sessions + n}: no update of one node is lost to
 * another's. A report reads the sum over every node.
 *
 * <p>Bounded in the database as in memory: per period and policy domain at most {@value
 * #MAX_POLICIES} policies, per policy at most {@value #MAX_DETAILS} kinds of failure (past that a
 * failure is counted without its connection's fields, one kind per result type), per period at most
 * {@value #MAX_PERIOD_POLICIES} policies; a policy past those is counted as not counted ({@link
 * #uncounted}). Counts a node brings for a period another node already began to close are too late
 * for its reports: counted as late, said once.
 */
public final class PostgresSessionCounts implements SessionCountStore, WriteBehind {
    static final int MAX_POLICIES = 100;
    static final int MAX_DETAILS = 100;
    static final int MAX_PERIOD_POLICIES = 100_000;

    private static final Logger LOGGER = LoggerFactory.getLogger(PostgresSessionCounts.class);

    private final PostgresStore store;
    private final Duration periodLength;
    private SessionCounts pending;
    private final Set<ReportPeriod> lateLogged =
            new TreeSet<>((a, b) -> a.start().compareTo(b.start()));

    PostgresSessionCounts(PostgresStore store, Duration periodLength) {
        this.store = store;
        this.periodLength = periodLength;
        this.pending = new SessionCounts(periodLength);
        store.register(this);
    }

    @Override
    public Duration periodLength() {
        return periodLength;
    }

    /**
     * Three flush intervals and ten seconds: a node's counts of a period's last second are in the
     * shared rows by then, unless that node cannot reach the database (they are then late, and said).
     */
    @Override
    public Duration settleTime() {
        return store.flushInterval().multipliedBy(3).plusSeconds(10);
    }

    @Override
    public void success(ReportedPolicy policy, Instant at) {
        synchronized (this) {
            pending.success(policy, at);
        }
    }

    @Override
    public void failure(ReportedPolicy policy, FailureDetail detail, Instant at) {
        synchronized (this) {
            pending.failure(policy, detail, at);
        }
    }

    @Override
    public void flush() {
        SessionCounts batch;
        synchronized (this) {
            if (pending.isEmpty()) {
                return;
            }
            batch = pending;
            pending = new SessionCounts(periodLength);
        }
        try (Connection connection = store.connection()) {
            connection.setAutoCommit(false);
            try {
                for (ReportPeriod period : batch.periods()) {
                    write(connection, batch, period);
                }
                connection.commit();
            } catch (SQLException | RuntimeException e) {
                connection.rollback();
                throw e;
            }
            store.health().succeeded();
        } catch (SQLException | RuntimeException e) {
            store.health().failed("writing TLS-RPT counts", e);
            keep(batch);
        }
    }

    // A batch the database did not take goes back into memory, for the next flush.
    private void keep(SessionCounts batch) {
        synchronized (this) {
            for (ReportPeriod period : batch.periods()) {
                for (String domain : batch.domains(period)) {
                    batch.of(period, domain).forEach((policy, results) -> pending.add(period, policy, results));
                }
                pending.addUncounted(period, batch.uncounted(period));
            }
        }
    }

    private void write(Connection connection, SessionCounts batch, ReportPeriod period) throws SQLException {
        long start = period.start().getEpochSecond();
        try (PreparedStatement insert = connection.prepareStatement(
                "INSERT INTO tlsrpt_periods (period_start) VALUES (?) ON CONFLICT DO NOTHING")) {
            insert.setLong(1, start);
            insert.executeUpdate();
        }
        boolean closing;
        // A share lock: the node that closes the period waits for this transaction, so nothing counted
        // here is missed by its reports, and nothing later is added to them.
        try (PreparedStatement select =
                connection.prepareStatement("SELECT closing FROM tlsrpt_periods WHERE period_start = ? FOR SHARE")) {
            select.setLong(1, start);
            try (ResultSet rows = select.executeQuery()) {
                closing = rows.next() && rows.getBoolean(1);
            }
        }
        long uncounted = batch.uncounted(period);
        if (closing) {
            long late = uncounted;
            for (String domain : batch.domains(period)) {
                for (PolicyResults results : batch.of(period, domain).values()) {
                    late += results.successfulSessions() + results.failedSessions();
                }
            }
            addToPeriod(connection, "late", start, late);
            if (lateLogged.add(period)) {
                LOGGER.warn(
                        "secure-delivery: {} TLS-RPT session(s) of period {} came after its reports were built"
                                + " (this node could not write them in time); not in any report",
                        late,
                        period);
            }
            return;
        }
        for (String domain : batch.domains(period)) {
            for (Map.Entry<ReportedPolicy, PolicyResults> counted :
                    batch.of(period, domain).entrySet()) {
                PolicyResults results = counted.getValue();
                Long policyId = policyId(connection, start, counted.getKey());
                if (policyId == null) {
                    uncounted += results.successfulSessions() + results.failedSessions();
                    continue;
                }
                if (results.successfulSessions() > 0) {
                    addSuccesses(connection, policyId, results.successfulSessions());
                }
                for (Map.Entry<FailureDetail, Long> failure :
                        results.failureDetails().entrySet()) {
                    addFailures(connection, policyId, failure.getKey(), failure.getValue());
                }
            }
        }
        addToPeriod(connection, "uncounted", start, uncounted);
    }

    private static void addToPeriod(Connection connection, String column, long start, long sessions)
            throws SQLException {
        if (sessions == 0) {
            return;
        }
        try (PreparedStatement update = connection.prepareStatement(
                "UPDATE tlsrpt_periods SET " + column + " = " + column + " + ? WHERE period_start = ?")) {
            update.setLong(1, sessions);
            update.setLong(2, start);
            update.executeUpdate();
        }
    }

    // The row of policy in the period, made if the bounds allow; null if they do not.
    private static Long policyId(Connection connection, long start, ReportedPolicy policy) throws SQLException {
        String text = SessionEncoding.policy(policy);
        String key = key(text);
        try (PreparedStatement select = connection.prepareStatement(
                "SELECT id FROM tlsrpt_policies WHERE period_start = ? AND policy_key = ?")) {
            select.setLong(1, start);
            select.setString(2, key);
            try (ResultSet rows = select.executeQuery()) {
                if (rows.next()) {
                    return rows.getLong(1);
                }
            }
        }
        try (PreparedStatement count = connection.prepareStatement("SELECT count(*) FILTER (WHERE policy_domain = ?),"
                + " count(*) FROM tlsrpt_policies WHERE period_start = ?")) {
            count.setString(1, policy.policyDomain());
            count.setLong(2, start);
            try (ResultSet rows = count.executeQuery()) {
                rows.next();
                if (rows.getLong(1) >= MAX_POLICIES || rows.getLong(2) >= MAX_PERIOD_POLICIES) {
                    return null;
                }
            }
        }
        try (PreparedStatement insert = connection.prepareStatement(
                "INSERT INTO tlsrpt_policies (period_start, policy_domain, policy_key, policy) VALUES (?, ?, ?, ?)"
                        + " ON CONFLICT (period_start, policy_key) DO UPDATE SET policy_key = excluded.policy_key"
                        + " RETURNING id")) {
            insert.setLong(1, start);
            insert.setString(2, policy.policyDomain());
            insert.setString(3, key);
            insert.setString(4, text);
            try (ResultSet rows = insert.executeQuery()) {
                rows.next();
                return rows.getLong(1);
            }
        }
    }

    private void addSuccesses(Connection connection, long policyId, long sessions) throws SQLException {
        try (PreparedStatement upsert = connection.prepareStatement(
                "INSERT INTO tlsrpt_successes (policy_id, node, sessions) VALUES (?, ?, ?) ON CONFLICT (policy_id,"
                        + " node) DO UPDATE SET sessions = tlsrpt_successes.sessions + excluded.sessions")) {
            upsert.setLong(1, policyId);
            upsert.setString(2, store.node());
            upsert.setLong(3, sessions);
            upsert.executeUpdate();
        }
    }

    private void addFailures(Connection connection, long policyId, FailureDetail detail, long sessions)
            throws SQLException {
        FailureDetail counted = detail;
        String text = SessionEncoding.detail(counted);
        if (!hasDetail(connection, policyId, key(text)) && details(connection, policyId) >= MAX_DETAILS) {
            // Past the bound, one kind per result type: the details still add up to the failures.
            counted = detail.withoutConnectionFields();
            text = SessionEncoding.detail(counted);
        }
        try (PreparedStatement upsert = connection.prepareStatement(
                "INSERT INTO tlsrpt_failures (policy_id, detail_key, detail, node, sessions) VALUES (?, ?, ?, ?, ?)"
                        + " ON CONFLICT (policy_id, detail_key, node) DO UPDATE SET sessions ="
                        + " tlsrpt_failures.sessions + excluded.sessions")) {
            upsert.setLong(1, policyId);
            upsert.setString(2, key(text));
            upsert.setString(3, text);
            upsert.setString(4, store.node());
            upsert.setLong(5, sessions);
            upsert.executeUpdate();
        }
    }

    private static boolean hasDetail(Connection connection, long policyId, String key) throws SQLException {
        try (PreparedStatement select = connection.prepareStatement(
                "SELECT 1 FROM tlsrpt_failures WHERE policy_id = ? AND detail_key = ? LIMIT 1")) {
            select.setLong(1, policyId);
            select.setString(2, key);
            try (ResultSet rows = select.executeQuery()) {
                return rows.next();
            }
        }
    }

    private static long details(Connection connection, long policyId) throws SQLException {
        try (PreparedStatement select = connection.prepareStatement(
                "SELECT count(DISTINCT detail_key) FROM tlsrpt_failures WHERE policy_id = ?")) {
            select.setLong(1, policyId);
            try (ResultSet rows = select.executeQuery()) {
                rows.next();
                return rows.getLong(1);
            }
        }
    }

    /** The periods with sessions and not closed yet, oldest first; this node's counts written first. */
    @Override
    public List<ReportPeriod> periods() throws StoreException {
        store.flushNow();
        List<ReportPeriod> periods = new ArrayList<>();
        try (Connection connection = store.connection();
                PreparedStatement select = connection.prepareStatement("SELECT DISTINCT p.period_start FROM"
                        + " tlsrpt_policies p JOIN tlsrpt_periods r ON r.period_start = p.period_start WHERE NOT"
                        + " r.closed ORDER BY p.period_start");
                ResultSet rows = select.executeQuery()) {
            while (rows.next()) {
                periods.add(ReportPeriod.containing(Instant.ofEpochSecond(rows.getLong(1)), periodLength));
            }
        } catch (SQLException e) {
            throw StoreException.failed("list the TLS-RPT periods", e);
        }
        return periods;
    }

    @Override
    public List<String> domains(ReportPeriod period) throws StoreException {
        Set<String> domains = new TreeSet<>();
        try (Connection connection = store.connection();
                PreparedStatement select = connection.prepareStatement(
                        "SELECT DISTINCT policy_domain FROM tlsrpt_policies WHERE period_start = ?")) {
            select.setLong(1, period.start().getEpochSecond());
            try (ResultSet rows = select.executeQuery()) {
                while (rows.next()) {
                    domains.add(rows.getString(1));
                }
            }
        } catch (SQLException e) {
            throw StoreException.failed("list the policy domains of " + period, e);
        }
        synchronized (this) {
            pending.domains(period).forEach(domains::add);
        }
        return new ArrayList<>(domains);
    }

    /** Every node's counts of {@code policyDomain} in {@code period}, with this node's not yet written. */
    @Override
    public Map<ReportedPolicy, PolicyResults> of(ReportPeriod period, String policyDomain) throws StoreException {
        Map<Long, ReportedPolicy> policies = new LinkedHashMap<>();
        Map<Long, Long> successes = new LinkedHashMap<>();
        Map<Long, Map<FailureDetail, Long>> failures = new LinkedHashMap<>();
        long start = period.start().getEpochSecond();
        try (Connection connection = store.connection()) {
            try (PreparedStatement select = connection.prepareStatement("SELECT p.id, p.policy, coalesce((SELECT"
                    + " sum(s.sessions) FROM tlsrpt_successes s WHERE s.policy_id = p.id), 0) FROM tlsrpt_policies p"
                    + " WHERE p.period_start = ? AND p.policy_domain = ? ORDER BY p.id")) {
                select.setLong(1, start);
                select.setString(2, policyDomain);
                try (ResultSet rows = select.executeQuery()) {
                    while (rows.next()) {
                        policies.put(rows.getLong(1), SessionEncoding.policy(rows.getString(2)));
                        successes.put(rows.getLong(1), rows.getLong(3));
                    }
                }
            }
            try (PreparedStatement select = connection.prepareStatement("SELECT f.policy_id, f.detail,"
                    + " sum(f.sessions) FROM tlsrpt_failures f JOIN tlsrpt_policies p ON p.id = f.policy_id WHERE"
                    + " p.period_start = ? AND p.policy_domain = ? GROUP BY f.policy_id, f.detail_key, f.detail"
                    + " ORDER BY f.policy_id, f.detail_key")) {
                select.setLong(1, start);
                select.setString(2, policyDomain);
                try (ResultSet rows = select.executeQuery()) {
                    while (rows.next()) {
                        failures.computeIfAbsent(rows.getLong(1), id -> new LinkedHashMap<>())
                                .merge(SessionEncoding.detail(rows.getString(2)), rows.getLong(3), Long::sum);
                    }
                }
            }
        } catch (SQLException | IllegalArgumentException e) {
            throw StoreException.failed("read the TLS-RPT counts of " + policyDomain, e);
        }
        Map<ReportedPolicy, PolicyResults> counts = new LinkedHashMap<>();
        policies.forEach((id, policy) -> counts.merge(
                policy,
                PolicyResults.of(successes.get(id), failures.getOrDefault(id, Map.of())),
                PostgresSessionCounts::sum));
        Map<ReportedPolicy, PolicyResults> own;
        synchronized (this) {
            own = pending.of(period, policyDomain);
        }
        own.forEach((policy, results) -> counts.merge(policy, results, PostgresSessionCounts::sum));
        return counts;
    }

    private static PolicyResults sum(PolicyResults a, PolicyResults b) {
        Map<FailureDetail, Long> details = new LinkedHashMap<>(a.failureDetails());
        b.failureDetails().forEach((detail, count) -> details.merge(detail, count, Long::sum));
        return PolicyResults.of(a.successfulSessions() + b.successfulSessions(), details);
    }

    @Override
    public long uncounted(ReportPeriod period) throws StoreException {
        long uncounted;
        try (Connection connection = store.connection();
                PreparedStatement select =
                        connection.prepareStatement("SELECT uncounted FROM tlsrpt_periods WHERE period_start = ?")) {
            select.setLong(1, period.start().getEpochSecond());
            try (ResultSet rows = select.executeQuery()) {
                uncounted = rows.next() ? rows.getLong(1) : 0;
            }
        } catch (SQLException e) {
            throw StoreException.failed("read the uncounted sessions of " + period, e);
        }
        synchronized (this) {
            return uncounted + pending.uncounted(period);
        }
    }

    /** Deletes the period's counts (its reports are built), and periods closed over a week ago. */
    @Override
    public void forget(ReportPeriod period) throws StoreException {
        try (Connection connection = store.connection()) {
            connection.setAutoCommit(false);
            try (PreparedStatement delete =
                            connection.prepareStatement("DELETE FROM tlsrpt_policies WHERE period_start = ?");
                    PreparedStatement old = connection.prepareStatement(
                            "DELETE FROM tlsrpt_periods WHERE closed AND period_start < ?")) {
                delete.setLong(1, period.start().getEpochSecond());
                delete.executeUpdate();
                old.setLong(1, period.start().minus(Duration.ofDays(7)).getEpochSecond());
                old.executeUpdate();
                connection.commit();
            } catch (SQLException e) {
                connection.rollback();
                throw e;
            }
        } catch (SQLException e) {
            throw StoreException.failed("forget the TLS-RPT counts of " + period, e);
        }
    }

    @Override
    public void reportLossAtClose() {
        synchronized (this) {
            if (!pending.isEmpty()) {
                long sessions = 0;
                for (ReportPeriod period : pending.periods()) {
                    for (String domain : pending.domains(period)) {
                        for (PolicyResults results : pending.of(period, domain).values()) {
                            sessions += results.successfulSessions() + results.failedSessions();
                        }
                    }
                }
                LOGGER.error(
                        "secure-delivery: {} TLS-RPT session(s) could not be written to the shared store before"
                                + " shutdown; they are in no report",
                        sessions);
            }
        }
    }

    /** Writes what this node counted; the shared rows stay. */
    @Override
    public void close() {
        flush();
    }

    // Keys of at most 64 characters for text of any length: the index holds the key, the row the text.
    static String key(String text) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
            StringBuilder hex = new StringBuilder(64);
            for (byte b : digest) {
                hex.append(Character.forDigit((b >> 4) & 0xf, 16)).append(Character.forDigit(b & 0xf, 16));
            }
            return hex.toString();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    @Override
    public String toString() {
        return "TLS-RPT counts";
    }
}
