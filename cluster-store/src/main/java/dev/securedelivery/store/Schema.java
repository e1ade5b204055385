package dev.securedelivery.store;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import javax.sql.DataSource;

/**
 * The tables of the shared store, in a schema of their own, versioned: created at the first start,
 * upgraded at a start by a newer jar, one version at a time, each in one transaction under an
 * advisory lock (two nodes starting together do not both upgrade). A schema newer than this jar's is
 * refused: an older node would write what a newer one no longer reads.
 *
 * <p>Instants are epoch seconds or milliseconds ({@code bigint}), as the code counts them; days are
 * {@code date}. Every table is bounded by the code that writes it (see each part).
 */
final class Schema {
    /** The version this jar writes and reads. */
    static final int VERSION = 1;

    private static final long LOCK = 0x5ecdeL;

    /** Version 1: every table. */
    private static final List<String> VERSION_1 = List.of(
            // TLS-RPT: the policies met in a period (RFC 8460 4.4), and every node's sessions under each.
            "CREATE TABLE tlsrpt_periods ("
                    + " period_start bigint PRIMARY KEY,"
                    + " uncounted bigint NOT NULL DEFAULT 0,"
                    + " late bigint NOT NULL DEFAULT 0,"
                    + " closing boolean NOT NULL DEFAULT false,"
                    + " closed boolean NOT NULL DEFAULT false,"
                    + " lease_owner text,"
                    + " lease_until bigint)",
            "CREATE TABLE tlsrpt_policies ("
                    + " id bigserial PRIMARY KEY,"
                    + " period_start bigint NOT NULL,"
                    + " policy_domain text NOT NULL,"
                    + " policy_key text NOT NULL,"
                    + " policy text NOT NULL,"
                    + " UNIQUE (period_start, policy_key))",
            "CREATE INDEX tlsrpt_policies_domain ON tlsrpt_policies (period_start, policy_domain)",
            "CREATE TABLE tlsrpt_successes ("
                    + " policy_id bigint NOT NULL REFERENCES tlsrpt_policies ON DELETE CASCADE,"
                    + " node text NOT NULL,"
                    + " sessions bigint NOT NULL,"
                    + " PRIMARY KEY (policy_id, node))",
            "CREATE TABLE tlsrpt_failures ("
                    + " policy_id bigint NOT NULL REFERENCES tlsrpt_policies ON DELETE CASCADE,"
                    + " detail_key text NOT NULL,"
                    + " detail text NOT NULL,"
                    + " node text NOT NULL,"
                    + " sessions bigint NOT NULL,"
                    + " PRIMARY KEY (policy_id, detail_key, node))",
            // The reports built and not yet sent everywhere; a sent one stays, marked, until its period
            // is long past, so that no node builds and sends it again.
            "CREATE TABLE tlsrpt_reports ("
                    + " file_name text PRIMARY KEY,"
                    + " report_id text NOT NULL UNIQUE,"
                    + " policy_domain text NOT NULL,"
                    + " gzip bytea NOT NULL,"
                    + " created bigint NOT NULL,"
                    + " attempts integer NOT NULL,"
                    + " next_attempt bigint NOT NULL,"
                    + " targets text,"
                    + " sent boolean NOT NULL DEFAULT false,"
                    + " lease_owner text,"
                    + " lease_until bigint)",
            "CREATE INDEX tlsrpt_reports_due ON tlsrpt_reports (next_attempt) WHERE NOT sent",
            // The posture history: per UTC day, destination domain and node, messages by fate and why.
            "CREATE TABLE posture_counts ("
                    + " day date NOT NULL,"
                    + " domain text NOT NULL,"
                    + " node text NOT NULL,"
                    + " fate smallint NOT NULL,"
                    + " reason text NOT NULL,"
                    + " messages bigint NOT NULL,"
                    + " PRIMARY KEY (day, domain, node, fate, reason))",
            "CREATE TABLE posture_publications ("
                    + " day date NOT NULL,"
                    + " domain text NOT NULL,"
                    + " publication text NOT NULL,"
                    + " PRIMARY KEY (day, domain))",
            // The TLS reports others sent us, one per organization and report-id (RFC 8460 4.4).
            "CREATE TABLE inbound_reports ("
                    + " organization text NOT NULL,"
                    + " report_id text NOT NULL,"
                    + " received_at bigint NOT NULL,"
                    + " received_by text NOT NULL,"
                    + " period_start bigint NOT NULL,"
                    + " period_end bigint NOT NULL,"
                    + " policy_domains text[] NOT NULL,"
                    + " report text NOT NULL,"
                    + " bytes integer NOT NULL,"
                    + " PRIMARY KEY (organization, report_id))",
            "CREATE INDEX inbound_reports_received ON inbound_reports (received_at)",
            // The MTA-STS policies fetched, one per domain, and who is fetching one now.
            "CREATE TABLE mta_sts_policies ("
                    + " domain text PRIMARY KEY,"
                    + " policy_id text,"
                    + " fetched_at bigint,"
                    + " expires_at bigint,"
                    + " policy text,"
                    + " fetch_owner text,"
                    + " fetch_until bigint)",
            // What deliveries did per node and destination domain since the node started (the outcomes
            // view), each node's written whole over its own rows.
            "CREATE TABLE delivery_outcomes ("
                    + " node text NOT NULL,"
                    + " domain text NOT NULL,"
                    + " since bigint NOT NULL,"
                    + " last_at bigint,"
                    + " last_attempt text,"
                    + " updated_at bigint NOT NULL,"
                    + " PRIMARY KEY (node, domain))",
            "CREATE INDEX delivery_outcomes_updated ON delivery_outcomes (updated_at)",
            // kind 0: attempts (name the authentication, detail the outcome); 1: failures by cause; 2:
            // messages by fate. Enum constant names.
            "CREATE TABLE delivery_outcome_counts ("
                    + " node text NOT NULL,"
                    + " domain text NOT NULL,"
                    + " kind smallint NOT NULL,"
                    + " name text NOT NULL,"
                    + " detail text NOT NULL,"
                    + " count bigint NOT NULL,"
                    + " PRIMARY KEY (node, domain, kind, name, detail),"
                    + " FOREIGN KEY (node, domain) REFERENCES delivery_outcomes ON DELETE CASCADE)",
            // The deferred messages and when each is due; one node at a time holds a due one (the lease)
            // while it puts it back in its queue.
            "CREATE TABLE waiting_mail ("
                    + " mail_key text PRIMARY KEY,"
                    + " queue text NOT NULL,"
                    + " domain text NOT NULL,"
                    + " due_at bigint NOT NULL,"
                    + " retries integer NOT NULL,"
                    + " cause text NOT NULL,"
                    + " in_waiting_room boolean NOT NULL,"
                    + " lease_owner text,"
                    + " lease_until bigint)",
            "CREATE INDEX waiting_mail_due ON waiting_mail (queue, due_at) WHERE in_waiting_room",
            "CREATE INDEX waiting_mail_domain ON waiting_mail (domain)");

    private Schema() {}

    /** Creates the schema and its tables, or brings them to {@link #VERSION}. */
    static void migrate(DataSource pool, String schema) throws StoreException {
        try (Connection connection = pool.getConnection()) {
            connection.setAutoCommit(false);
            try (Statement statement = connection.createStatement()) {
                statement.execute("SELECT pg_advisory_xact_lock(" + LOCK + ")");
                statement.execute("CREATE SCHEMA IF NOT EXISTS " + schema);
                statement.execute("SET LOCAL search_path TO " + schema);
                statement.execute("CREATE TABLE IF NOT EXISTS schema_version ("
                        + " version integer NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())");
                int current = 0;
                try (ResultSet rows = statement.executeQuery("SELECT coalesce(max(version), 0) FROM schema_version")) {
                    if (rows.next()) {
                        current = rows.getInt(1);
                    }
                }
                if (current > VERSION) {
                    throw new StoreException(
                            "the shared store's schema " + schema + " is version " + current
                                    + ", newer than this jar's " + VERSION
                                    + ": every node must run the newer secure-delivery",
                            null);
                }
                if (current < 1) {
                    for (String sql : VERSION_1) {
                        statement.execute(sql);
                    }
                    statement.execute("INSERT INTO schema_version (version) VALUES (1)");
                }
            }
            connection.commit();
        } catch (SQLException e) {
            throw StoreException.failed("create or upgrade its schema " + schema, e);
        }
    }
}
