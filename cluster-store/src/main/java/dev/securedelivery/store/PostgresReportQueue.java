package dev.securedelivery.store;

import dev.securedelivery.tlsrpt.PendingReport;
import dev.securedelivery.tlsrpt.ReportPeriod;
import dev.securedelivery.tlsrpt.ReportQueue;
import dev.securedelivery.tlsrpt.TlsRptRecord;
import java.net.URI;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The report queue of a cluster (RFC 8460 5): one row per report, shared by every node. A period is
 * closed by the one node that holds its lease ({@code closing} set under a row lock, which waits for
 * every node's counts being written for it), and each report is sent by the one node that holds its
 * lease; a node that dies holding either is taken over once the lease ends. A report sent everywhere
 * stays, marked sent, for {@value #SENT_KEPT_DAYS} days: a node that closes the period again (it took
 * over one half closed) adds nothing that was sent.
 *
 * <p>The one window that remains: a node that dies after an endpoint took a report and before it
 * marked it sent. The report is then sent again after the lease, under the same {@code report-id}
 * (RFC 8460 4.4), so that the receiver can tell it is the same report.
 */
public final class PostgresReportQueue implements ReportQueue {
    static final int SENT_KEPT_DAYS = 3;
    private static final int MAX_DUE = 100;
    private static final String COLUMNS =
            "file_name, report_id, policy_domain, gzip, created, attempts, next_attempt, targets";

    private final PostgresStore store;
    private final String clusterName;

    PostgresReportQueue(PostgresStore store, String clusterName) {
        this.store = store;
        this.clusterName = clusterName;
    }

    /** The cluster's name: the nodes send one report per domain and period, together. */
    @Override
    public String reportScope() {
        return clusterName;
    }

    @Override
    public boolean claimClosing(ReportPeriod period, Instant now, Duration lease) throws StoreException {
        try (Connection connection = store.connection();
                PreparedStatement insert = connection.prepareStatement(
                        "INSERT INTO tlsrpt_periods (period_start) VALUES (?) ON CONFLICT DO NOTHING");
                PreparedStatement claim = connection.prepareStatement("UPDATE tlsrpt_periods SET closing = true,"
                        + " lease_owner = ?, lease_until = ? WHERE period_start = ? AND NOT closed AND (lease_until IS"
                        + " NULL OR lease_until < ? OR lease_owner = ?)")) {
            insert.setLong(1, period.start().getEpochSecond());
            insert.executeUpdate();
            claim.setString(1, store.node());
            claim.setLong(2, now.plus(lease).toEpochMilli());
            claim.setLong(3, period.start().getEpochSecond());
            claim.setLong(4, now.toEpochMilli());
            claim.setString(5, store.node());
            return claim.executeUpdate() == 1;
        } catch (SQLException e) {
            throw StoreException.failed("claim the closing of " + period, e);
        }
    }

    @Override
    public void closed(ReportPeriod period) throws StoreException {
        update(
                "mark " + period + " closed",
                "UPDATE tlsrpt_periods SET closed = true, lease_owner = NULL, lease_until = NULL WHERE period_start = ?",
                period.start().getEpochSecond());
    }

    @Override
    public boolean isClosed(ReportPeriod period) throws StoreException {
        try (Connection connection = store.connection();
                PreparedStatement select =
                        connection.prepareStatement("SELECT closed FROM tlsrpt_periods WHERE period_start = ?")) {
            select.setLong(1, period.start().getEpochSecond());
            try (ResultSet rows = select.executeQuery()) {
                return rows.next() && rows.getBoolean(1);
            }
        } catch (SQLException e) {
            throw StoreException.failed("read the state of " + period, e);
        }
    }

    @Override
    public void add(PendingReport report) throws StoreException {
        try (Connection connection = store.connection();
                PreparedStatement insert = connection.prepareStatement("INSERT INTO tlsrpt_reports (" + COLUMNS
                        + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING")) {
            insert.setString(1, report.fileName());
            insert.setString(2, report.reportId());
            insert.setString(3, report.policyDomain());
            insert.setBytes(4, report.gzip());
            insert.setLong(5, report.created().toEpochMilli());
            insert.setInt(6, report.attempts());
            insert.setLong(7, report.nextAttempt().toEpochMilli());
            setTargets(insert, 8, report);
            insert.executeUpdate();
        } catch (SQLException e) {
            throw StoreException.failed("queue the report " + report.reportId(), e);
        }
    }

    @Override
    public List<PendingReport> claimDue(Instant now, Duration lease) throws StoreException {
        try (Connection connection = store.connection();
                PreparedStatement claim = connection.prepareStatement("UPDATE tlsrpt_reports SET lease_owner = ?,"
                        + " lease_until = ? WHERE file_name IN (SELECT file_name FROM tlsrpt_reports WHERE NOT sent AND"
                        + " next_attempt <= ? AND (lease_until IS NULL OR lease_until < ?) ORDER BY next_attempt LIMIT "
                        + MAX_DUE + " FOR UPDATE SKIP LOCKED) RETURNING " + COLUMNS)) {
            claim.setString(1, store.node());
            claim.setLong(2, now.plus(lease).toEpochMilli());
            claim.setLong(3, now.toEpochMilli());
            claim.setLong(4, now.toEpochMilli());
            return reports(claim);
        } catch (SQLException | IllegalArgumentException e) {
            throw StoreException.failed("claim the reports due", e);
        }
    }

    @Override
    public Optional<PendingReport> claim(String fileName, Instant now, Duration lease) throws StoreException {
        try (Connection connection = store.connection();
                PreparedStatement claim = connection.prepareStatement("UPDATE tlsrpt_reports SET lease_owner = ?,"
                        + " lease_until = ? WHERE file_name = ? AND NOT sent AND (lease_until IS NULL OR lease_until < ?)"
                        + " RETURNING " + COLUMNS)) {
            claim.setString(1, store.node());
            claim.setLong(2, now.plus(lease).toEpochMilli());
            claim.setString(3, fileName);
            claim.setLong(4, now.toEpochMilli());
            return reports(claim).stream().findFirst();
        } catch (SQLException | IllegalArgumentException e) {
            throw StoreException.failed("claim the report " + fileName, e);
        }
    }

    @Override
    public void update(PendingReport report) throws StoreException {
        try (Connection connection = store.connection();
                PreparedStatement update = connection.prepareStatement(
                        "UPDATE tlsrpt_reports SET attempts = ?,"
                                + " next_attempt = ?, targets = ?, lease_owner = NULL, lease_until = NULL WHERE file_name = ?")) {
            update.setInt(1, report.attempts());
            update.setLong(2, report.nextAttempt().toEpochMilli());
            setTargets(update, 3, report);
            update.setString(4, report.fileName());
            update.executeUpdate();
        } catch (SQLException e) {
            throw StoreException.failed("update the report " + report.reportId(), e);
        }
    }

    /** Marks {@code report} sent; sent reports over {@value #SENT_KEPT_DAYS} days old go. */
    @Override
    public void remove(PendingReport report) throws StoreException {
        try (Connection connection = store.connection();
                PreparedStatement sent = connection.prepareStatement("UPDATE tlsrpt_reports SET sent = true, gzip ="
                        + " ''::bytea, lease_owner = NULL, lease_until = NULL WHERE file_name = ?");
                PreparedStatement old =
                        connection.prepareStatement("DELETE FROM tlsrpt_reports WHERE sent AND created < ?")) {
            sent.setString(1, report.fileName());
            sent.executeUpdate();
            old.setLong(
                    1, report.created().minus(Duration.ofDays(SENT_KEPT_DAYS)).toEpochMilli());
            old.executeUpdate();
        } catch (SQLException e) {
            throw StoreException.failed("mark the report " + report.reportId() + " sent", e);
        }
    }

    @Override
    public List<PendingReport> pending() throws StoreException {
        try (Connection connection = store.connection();
                PreparedStatement select = connection.prepareStatement(
                        "SELECT " + COLUMNS + " FROM tlsrpt_reports WHERE NOT sent ORDER BY file_name")) {
            return reports(select);
        } catch (SQLException | IllegalArgumentException e) {
            throw StoreException.failed("list the reports waiting", e);
        }
    }

    private void update(String what, String sql, long value) throws StoreException {
        try (Connection connection = store.connection();
                PreparedStatement update = connection.prepareStatement(sql)) {
            update.setLong(1, value);
            update.executeUpdate();
        } catch (SQLException e) {
            throw StoreException.failed(what, e);
        }
    }

    private static void setTargets(PreparedStatement statement, int index, PendingReport report) throws SQLException {
        Optional<List<URI>> targets = report.targets();
        if (targets.isEmpty()) {
            statement.setNull(index, Types.VARCHAR);
            return;
        }
        List<String> uris = new ArrayList<>();
        targets.get().forEach(uri -> uris.add(uri.toString()));
        statement.setString(index, String.join(" ", uris));
    }

    private static List<PendingReport> reports(PreparedStatement statement) throws SQLException {
        List<PendingReport> reports = new ArrayList<>();
        try (ResultSet rows = statement.executeQuery()) {
            while (rows.next()) {
                String targets = rows.getString(8);
                List<URI> uris = null;
                if (targets != null) {
                    Set<URI> distinct = new LinkedHashSet<>();
                    for (String uri : targets.trim().split(" +")) {
                        if (!uri.isEmpty() && distinct.size() < TlsRptRecord.MAX_REPORT_URIS) {
                            distinct.add(URI.create(uri));
                        }
                    }
                    uris = new ArrayList<>(distinct);
                }
                reports.add(PendingReport.restored(
                        rows.getString(2),
                        rows.getString(3),
                        rows.getString(1),
                        rows.getBytes(4),
                        Instant.ofEpochMilli(rows.getLong(5)),
                        rows.getInt(6),
                        Instant.ofEpochMilli(rows.getLong(7)),
                        uris));
            }
        }
        return reports;
    }
}
