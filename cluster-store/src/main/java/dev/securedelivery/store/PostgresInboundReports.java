package dev.securedelivery.store;

import dev.securedelivery.tlsrpt.InboundReport;
import dev.securedelivery.tlsrpt.InboundReportStore;
import dev.securedelivery.tlsrpt.Json;
import dev.securedelivery.tlsrpt.MalformedReportException;
import dev.securedelivery.tlsrpt.ReceivedReport;
import dev.securedelivery.tlsrpt.ReceivedReportParser;
import java.nio.charset.StandardCharsets;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The TLS reports others sent us, kept once for the cluster: a report is known by its organization and
 * report-id (the table's key), so the same report taken by two nodes, or twice by one, is one row.
 * Bounded: reports received longer than {@code retention} ago go, and beyond {@code maxReports} or
 * {@code maxBytes} the oldest received go first. A report is kept as the cleaned JSON the files keep,
 * and read back through the same strict parser.
 */
public final class PostgresInboundReports implements InboundReportStore {
    private static final Logger LOGGER = LoggerFactory.getLogger(PostgresInboundReports.class);

    private final PostgresStore store;
    private final Duration retention;
    private final int maxReports;
    private final long maxBytes;

    PostgresInboundReports(PostgresStore store, Duration retention, int maxReports, long maxBytes) {
        this.store = store;
        this.retention = retention;
        this.maxReports = maxReports;
        this.maxBytes = maxBytes;
    }

    @Override
    public Outcome store(ReceivedReport report) throws StoreException {
        byte[] json = Json.write(report.toJson()).getBytes(StandardCharsets.UTF_8);
        if (json.length > maxBytes) {
            return Outcome.TOO_LARGE;
        }
        Instant now = store.clock().instant();
        Set<String> domains = new TreeSet<>();
        report.policies().forEach(policy -> domains.add(policy.policy().policyDomain()));
        try (Connection connection = store.connection()) {
            connection.setAutoCommit(false);
            try {
                int stored;
                try (PreparedStatement insert = connection.prepareStatement(
                        "INSERT INTO inbound_reports"
                                + " (organization, report_id, received_at, received_by, period_start, period_end,"
                                + " policy_domains, report, bytes) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING")) {
                    insert.setString(1, report.organizationName());
                    insert.setString(2, report.reportId());
                    insert.setLong(3, now.toEpochMilli());
                    insert.setString(4, store.node());
                    insert.setLong(5, report.start().toEpochMilli());
                    insert.setLong(6, report.end().toEpochMilli());
                    Array array = connection.createArrayOf("text", domains.toArray());
                    insert.setArray(7, array);
                    insert.setString(8, new String(json, StandardCharsets.UTF_8));
                    insert.setInt(9, json.length);
                    stored = insert.executeUpdate();
                }
                if (stored == 1) {
                    evict(connection, now);
                }
                connection.commit();
                return stored == 1 ? Outcome.STORED : Outcome.DUPLICATE;
            } catch (SQLException e) {
                connection.rollback();
                throw e;
            }
        } catch (SQLException e) {
            throw StoreException.failed("keep the report " + report.reportId(), e);
        }
    }

    // The bounds: age first, then count and bytes, the oldest received going first.
    private void evict(Connection connection, Instant now) throws SQLException {
        try (PreparedStatement expired =
                connection.prepareStatement("DELETE FROM inbound_reports WHERE received_at < ?")) {
            expired.setLong(1, now.minus(retention).toEpochMilli());
            expired.executeUpdate();
        }
        try (PreparedStatement beyond = connection.prepareStatement("DELETE FROM inbound_reports WHERE (organization,"
                + " report_id) IN (SELECT organization, report_id FROM (SELECT organization, report_id, row_number()"
                + " OVER (ORDER BY received_at DESC, organization DESC, report_id DESC) AS newer, sum(bytes) OVER"
                + " (ORDER BY received_at DESC, organization DESC, report_id DESC) AS bytes_newer FROM"
                + " inbound_reports) ranked WHERE newer > ? OR bytes_newer > ?)")) {
            beyond.setLong(1, maxReports);
            beyond.setLong(2, maxBytes);
            beyond.executeUpdate();
        }
    }

    @Override
    public List<InboundReport> list(Instant from, Instant to, Optional<String> policyDomain) throws StoreException {
        List<InboundReport> reports = new ArrayList<>();
        Instant now = store.clock().instant();
        try (Connection connection = store.connection();
                PreparedStatement select = connection.prepareStatement("SELECT report, received_at FROM"
                        + " inbound_reports WHERE period_end >= ? AND period_start <= ? AND received_at >= ? AND (?"
                        + " IS NULL OR ? = ANY (policy_domains)) ORDER BY period_start, received_at LIMIT ?")) {
            select.setLong(1, from.toEpochMilli());
            select.setLong(2, to.toEpochMilli());
            select.setLong(3, now.minus(retention).toEpochMilli());
            select.setString(4, policyDomain.orElse(null));
            select.setString(5, policyDomain.orElse(null));
            select.setInt(6, maxReports);
            try (ResultSet rows = select.executeQuery()) {
                while (rows.next()) {
                    try {
                        ReceivedReport report =
                                ReceivedReportParser.parseJson(rows.getString(1).getBytes(StandardCharsets.UTF_8));
                        ReceivedReport kept = policyDomain
                                .map(domain -> InboundReportStore.only(report, domain))
                                .orElse(report);
                        reports.add(new InboundReport(kept, Instant.ofEpochMilli(rows.getLong(2))));
                    } catch (MalformedReportException e) {
                        LOGGER.warn("secure-delivery: a kept inbound report cannot be read back: {}", e.getMessage());
                    }
                }
            }
        } catch (SQLException e) {
            throw StoreException.failed("list the inbound reports", e);
        }
        return reports;
    }

    @Override
    public int size() throws StoreException {
        try (Connection connection = store.connection();
                PreparedStatement select = connection.prepareStatement("SELECT count(*) FROM inbound_reports");
                ResultSet rows = select.executeQuery()) {
            rows.next();
            return rows.getInt(1);
        } catch (SQLException e) {
            throw StoreException.failed("count the inbound reports", e);
        }
    }
}
