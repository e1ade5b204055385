/**
 * What the James nodes of a cluster must agree on, kept in one PostgreSQL database they share.
 *
 * <p>One node alone keeps its state in files (the TLS-RPT journal and outbox, the posture history,
 * the inbound reports, the MTA-STS policy cache). Several nodes sending for one organization must not:
 * each would show half of the truth, send its own TLS report per domain and day (RFC 8460 receivers
 * would get one partial report per node), and fetch and cache MTA-STS policies on its own, so that
 * after a policy changed without a new id two nodes could enforce different ones.
 *
 * <p>{@link dev.securedelivery.store.PostgresStore} holds the connection pool and the schema; each kind
 * of state has its part, behind the interface its home module defines (and its files implement):
 * <ul>
 *   <li>{@link dev.securedelivery.store.PostgresSessionCounts}: TLS-RPT sessions, every node adding
 *       its counts ({@code sessions = sessions + n}, no update lost);</li>
 *   <li>{@link dev.securedelivery.store.PostgresReportQueue}: which node closes a period (one, from
 *       every node's counts: one report per policy domain and period for the cluster) and which sends
 *       each report, as leases a live node takes over from a dead one;</li>
 *   <li>{@link dev.securedelivery.store.PostgresPosture}: the posture history, every node's counts by
 *       day, domain and node;</li>
 *   <li>{@link dev.securedelivery.store.PostgresInboundReports}: the reports others sent us, one per
 *       organization and report-id, whichever node took it;</li>
 *   <li>{@link dev.securedelivery.store.PostgresPolicyCache}: MTA-STS policies, one fetch per domain and
 *       refresh for the cluster (a lease), and the same policy on every node.</li>
 * </ul>
 *
 * <p>The database failing never costs a recipient's fate, and never holds a delivery thread: counts
 * are written from memory at intervals and kept (bounded) while it does not answer; planning goes on
 * from each node's own memory.
 */
package dev.securedelivery.store;
