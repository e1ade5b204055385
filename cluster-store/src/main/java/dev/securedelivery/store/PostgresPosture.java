package dev.securedelivery.store;

import dev.securedelivery.delivery.FailureCause;
import dev.securedelivery.posture.DomainPosture;
import dev.securedelivery.posture.PostureHistory;
import dev.securedelivery.posture.PostureStore;
import dev.securedelivery.posture.Protection;
import dev.securedelivery.posture.Publication;
import java.sql.Connection;
import java.sql.Date;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The posture history of a cluster: per UTC day, destination domain and node, messages by fate and
 * protection or cause. Each node counts in memory and adds its counts to the shared rows every flush
 * interval ({@code messages = messages + n}); the views read every node's sum, and this node's counts
 * not yet written.
 *
 * <p>Bounded as one node's history is: at most {@code maxDomainsPerDay} domains a day for the cluster
 * (the rest under {@value PostureStore#OTHER}; two nodes admitting their last domains at once may pass
 * it by a few), days past {@code retentionDays} deleted; in memory, at most the store's buffer limit of
 * day and domain entries while the database cannot be reached (beyond, counts are dropped, counted and
 * said once).
 */
public final class PostgresPosture implements PostureHistory, WriteBehind {
    private static final Logger LOGGER = LoggerFactory.getLogger(PostgresPosture.class);
    private static final short DELIVERED = 0;
    private static final short DEFERRED = 1;
    private static final short BOUNCED = 2;

    private final PostgresStore store;
    private final int retentionDays;
    private final int maxDomainsPerDay;
    private TreeMap<LocalDate, Map<String, DomainPosture>> pending = new TreeMap<>();
    private int pendingEntries;
    private LocalDate countedDay;
    private final Set<String> countedToday = new HashSet<>();
    private long dropped;
    private boolean dropLogged;

    PostgresPosture(PostgresStore store, int retentionDays, int maxDomainsPerDay) {
        this.store = store;
        this.retentionDays = retentionDays;
        this.maxDomainsPerDay = maxDomainsPerDay;
        store.register(this);
    }

    @Override
    public LocalDate today() {
        return LocalDate.ofInstant(store.clock().instant(), ZoneOffset.UTC);
    }

    private LocalDate firstDayKept() {
        return today().minusDays(retentionDays - 1L);
    }

    @Override
    public void delivered(String domain, Protection protection, Publication publication) {
        synchronized (this) {
            DomainPosture posture = bucket(domain);
            if (posture != null) {
                posture.delivered(protection, 1);
                posture.published(publication);
            }
        }
    }

    @Override
    public void deferred(String domain, FailureCause cause, Publication publication) {
        synchronized (this) {
            DomainPosture posture = bucket(domain);
            if (posture != null) {
                posture.deferred(cause, 1);
                posture.published(publication);
            }
        }
    }

    @Override
    public void bounced(String domain, FailureCause cause, Publication publication) {
        synchronized (this) {
            DomainPosture posture = bucket(domain);
            if (posture != null) {
                posture.bounced(cause, 1);
                posture.published(publication);
            }
        }
    }

    @Override
    public boolean countsToday(String domain) {
        synchronized (this) {
            return today().equals(countedDay) && countedToday.contains(domain);
        }
    }

    @Override
    public void published(String domain, Publication publication) {
        synchronized (this) {
            if (countsToday(domain)) {
                DomainPosture posture = bucket(domain);
                if (posture != null) {
                    posture.published(publication);
                }
            }
        }
    }

    // Today's delta for domain; null once the buffer is full (the count is dropped and counted).
    private DomainPosture bucket(String domain) {
        LocalDate day = today();
        if (!day.equals(countedDay)) {
            countedDay = day;
            countedToday.clear();
        }
        Map<String, DomainPosture> domains = pending.computeIfAbsent(day, key -> new LinkedHashMap<>());
        DomainPosture posture = domains.get(domain);
        if (posture == null) {
            if (pendingEntries >= store.bufferLimit()) {
                dropped++;
                if (!dropLogged) {
                    dropLogged = true;
                    LOGGER.error(
                            "secure-delivery: the posture counts waiting for the shared store reached {} entries;"
                                    + " counts of further domains are dropped (and counted) until it answers",
                            store.bufferLimit());
                }
                return null;
            }
            posture = new DomainPosture();
            domains.put(domain, posture);
            pendingEntries++;
        }
        if (countedToday.size() < maxDomainsPerDay) {
            countedToday.add(domain);
        }
        return posture;
    }

    @Override
    public void flush() {
        TreeMap<LocalDate, Map<String, DomainPosture>> batch;
        synchronized (this) {
            if (pending.isEmpty()) {
                return;
            }
            batch = pending;
            pending = new TreeMap<>();
            pendingEntries = 0;
        }
        try (Connection connection = store.connection()) {
            connection.setAutoCommit(false);
            try {
                for (Map.Entry<LocalDate, Map<String, DomainPosture>> day : batch.entrySet()) {
                    write(connection, day.getKey(), day.getValue());
                }
                forgetOldDays(connection);
                connection.commit();
            } catch (SQLException | RuntimeException e) {
                connection.rollback();
                throw e;
            }
            store.health().succeeded();
            synchronized (this) {
                if (dropped > 0) {
                    LOGGER.warn(
                            "secure-delivery: {} posture count(s) were dropped while the shared store did not answer",
                            dropped);
                    dropped = 0;
                }
                dropLogged = false;
            }
        } catch (SQLException | RuntimeException e) {
            store.health().failed("writing the posture history", e);
            keep(batch);
        }
    }

    private void keep(TreeMap<LocalDate, Map<String, DomainPosture>> batch) {
        synchronized (this) {
            batch.forEach((day, domains) -> domains.forEach((domain, posture) -> {
                Map<String, DomainPosture> into = pending.computeIfAbsent(day, key -> new LinkedHashMap<>());
                DomainPosture existing = into.get(domain);
                if (existing == null) {
                    into.put(domain, posture);
                    pendingEntries++;
                } else {
                    existing.add(posture);
                    existing.published(posture.publication());
                }
            }));
        }
    }

    private void write(Connection connection, LocalDate day, Map<String, DomainPosture> domains) throws SQLException {
        Date date = Date.valueOf(day);
        long named = namedDomains(connection, date);
        Map<String, DomainPosture> admitted = new TreeMap<>();
        for (Map.Entry<String, DomainPosture> entry : domains.entrySet()) {
            String domain = entry.getKey();
            if (!PostureStore.OTHER.equals(domain) && !known(connection, date, domain)) {
                if (named >= maxDomainsPerDay) {
                    domain = PostureStore.OTHER;
                } else {
                    named++;
                }
            }
            admitted.computeIfAbsent(domain, name -> new DomainPosture()).add(entry.getValue());
            if (!PostureStore.OTHER.equals(domain)) {
                admitted.get(domain).published(entry.getValue().publication());
            }
        }
        try (PreparedStatement upsert = connection.prepareStatement("INSERT INTO posture_counts (day, domain, node,"
                + " fate, reason, messages) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (day, domain, node, fate, reason)"
                + " DO UPDATE SET messages = posture_counts.messages + excluded.messages")) {
            for (Map.Entry<String, DomainPosture> entry : admitted.entrySet()) {
                DomainPosture posture = entry.getValue();
                for (Map.Entry<Protection, Long> count : posture.delivered().entrySet()) {
                    add(upsert, date, entry.getKey(), DELIVERED, count.getKey().label(), count.getValue());
                }
                for (Map.Entry<FailureCause, Long> count : posture.deferred().entrySet()) {
                    add(upsert, date, entry.getKey(), DEFERRED, count.getKey().label(), count.getValue());
                }
                for (Map.Entry<FailureCause, Long> count : posture.bounced().entrySet()) {
                    add(upsert, date, entry.getKey(), BOUNCED, count.getKey().label(), count.getValue());
                }
            }
            upsert.executeBatch();
        }
        for (Map.Entry<String, DomainPosture> entry : admitted.entrySet()) {
            if (!PostureStore.OTHER.equals(entry.getKey())
                    && !entry.getValue().publication().equals(Publication.UNKNOWN)) {
                publish(connection, date, entry.getKey(), entry.getValue().publication());
            }
        }
    }

    private void add(PreparedStatement upsert, Date day, String domain, short fate, String reason, long messages)
            throws SQLException {
        upsert.setDate(1, day);
        upsert.setString(2, domain);
        upsert.setString(3, store.node());
        upsert.setShort(4, fate);
        upsert.setString(5, reason);
        upsert.setLong(6, messages);
        upsert.addBatch();
    }

    private static long namedDomains(Connection connection, Date day) throws SQLException {
        try (PreparedStatement count = connection.prepareStatement(
                "SELECT count(DISTINCT domain) FROM posture_counts WHERE day = ? AND domain <> ?")) {
            count.setDate(1, day);
            count.setString(2, PostureStore.OTHER);
            try (ResultSet rows = count.executeQuery()) {
                rows.next();
                return rows.getLong(1);
            }
        }
    }

    private static boolean known(Connection connection, Date day, String domain) throws SQLException {
        try (PreparedStatement select =
                connection.prepareStatement("SELECT 1 FROM posture_counts WHERE day = ? AND domain = ? LIMIT 1")) {
            select.setDate(1, day);
            select.setString(2, domain);
            try (ResultSet rows = select.executeQuery()) {
                return rows.next();
            }
        }
    }

    // What a domain publishes, each answer the newest known one (row-locked: two nodes merge, not overwrite).
    private static void publish(Connection connection, Date day, String domain, Publication publication)
            throws SQLException {
        Publication merged = publication;
        try (PreparedStatement insert = connection.prepareStatement(
                        "INSERT INTO posture_publications (day, domain, publication) VALUES (?, ?, ?) ON CONFLICT DO"
                                + " NOTHING");
                PreparedStatement select = connection.prepareStatement(
                        "SELECT publication FROM posture_publications WHERE day = ? AND domain = ? FOR UPDATE")) {
            insert.setDate(1, day);
            insert.setString(2, domain);
            insert.setString(3, publication.code());
            if (insert.executeUpdate() == 1) {
                return;
            }
            select.setDate(1, day);
            select.setString(2, domain);
            try (ResultSet rows = select.executeQuery()) {
                if (rows.next()) {
                    DomainPosture was = new DomainPosture();
                    was.published(Publication.ofCode(rows.getString(1)));
                    was.published(publication);
                    merged = was.publication();
                }
            }
        }
        try (PreparedStatement update = connection.prepareStatement(
                "UPDATE posture_publications SET publication = ? WHERE day = ? AND domain = ?")) {
            update.setString(1, merged.code());
            update.setDate(2, day);
            update.setString(3, domain);
            update.executeUpdate();
        }
    }

    private void forgetOldDays(Connection connection) throws SQLException {
        Date first = Date.valueOf(firstDayKept());
        try (PreparedStatement counts = connection.prepareStatement("DELETE FROM posture_counts WHERE day < ?");
                PreparedStatement publications =
                        connection.prepareStatement("DELETE FROM posture_publications WHERE day < ?")) {
            counts.setDate(1, first);
            counts.executeUpdate();
            publications.setDate(1, first);
            publications.executeUpdate();
        }
    }

    @Override
    public SortedMap<LocalDate, SortedMap<String, DomainPosture>> between(LocalDate from, LocalDate to)
            throws StoreException {
        SortedMap<LocalDate, SortedMap<String, DomainPosture>> days = new TreeMap<>();
        if (from.isAfter(to)) {
            return days;
        }
        read(from, to, null, days);
        synchronized (this) {
            pending.subMap(from, true, to, true)
                    .forEach((day, domains) -> domains.forEach((domain, posture) -> merge(days, day, domain, posture)));
        }
        return days;
    }

    @Override
    public SortedMap<String, SortedMap<LocalDate, SortedMap<String, DomainPosture>>> byNode(
            LocalDate from, LocalDate to) throws StoreException {
        SortedMap<String, SortedMap<LocalDate, SortedMap<String, DomainPosture>>> nodes = new TreeMap<>();
        if (from.isAfter(to)) {
            return nodes;
        }
        read(from, to, nodes, null);
        synchronized (this) {
            SortedMap<LocalDate, SortedMap<String, DomainPosture>> own =
                    nodes.computeIfAbsent(store.node(), node -> new TreeMap<>());
            pending.subMap(from, true, to, true)
                    .forEach((day, domains) -> domains.forEach((domain, posture) -> merge(own, day, domain, posture)));
        }
        return nodes;
    }

    // Every node's rows from from to to: summed into days, or per node into nodes.
    private void read(
            LocalDate from,
            LocalDate to,
            SortedMap<String, SortedMap<LocalDate, SortedMap<String, DomainPosture>>> nodes,
            SortedMap<LocalDate, SortedMap<String, DomainPosture>> days)
            throws StoreException {
        try (Connection connection = store.connection()) {
            try (PreparedStatement select = connection.prepareStatement("SELECT node, day, domain, fate, reason,"
                    + " messages FROM posture_counts WHERE day BETWEEN ? AND ? ORDER BY day, domain")) {
                select.setDate(1, Date.valueOf(from));
                select.setDate(2, Date.valueOf(to));
                try (ResultSet rows = select.executeQuery()) {
                    while (rows.next()) {
                        SortedMap<LocalDate, SortedMap<String, DomainPosture>> into = nodes == null
                                ? days
                                : nodes.computeIfAbsent(rows.getString(1), node -> new TreeMap<>());
                        DomainPosture posture = posture(into, rows.getDate(2).toLocalDate(), rows.getString(3));
                        count(posture, rows.getShort(4), rows.getString(5), rows.getLong(6));
                    }
                }
            }
            try (PreparedStatement select = connection.prepareStatement(
                    "SELECT day, domain, publication FROM posture_publications WHERE day BETWEEN ? AND ?")) {
                select.setDate(1, Date.valueOf(from));
                select.setDate(2, Date.valueOf(to));
                try (ResultSet rows = select.executeQuery()) {
                    while (rows.next()) {
                        LocalDate day = rows.getDate(1).toLocalDate();
                        Publication publication = Publication.ofCode(rows.getString(3));
                        if (nodes == null) {
                            SortedMap<String, DomainPosture> domains = days.get(day);
                            DomainPosture posture = domains == null ? null : domains.get(rows.getString(2));
                            if (posture != null) {
                                posture.published(publication);
                            }
                        } else {
                            for (SortedMap<LocalDate, SortedMap<String, DomainPosture>> node : nodes.values()) {
                                SortedMap<String, DomainPosture> domains = node.get(day);
                                DomainPosture posture = domains == null ? null : domains.get(rows.getString(2));
                                if (posture != null) {
                                    posture.published(publication);
                                }
                            }
                        }
                    }
                }
            }
        } catch (SQLException | IllegalArgumentException e) {
            throw StoreException.failed("read the posture history", e);
        }
    }

    private static DomainPosture posture(
            SortedMap<LocalDate, SortedMap<String, DomainPosture>> days, LocalDate day, String domain) {
        return days.computeIfAbsent(day, key -> new TreeMap<>()).computeIfAbsent(domain, name -> new DomainPosture());
    }

    private static void merge(
            SortedMap<LocalDate, SortedMap<String, DomainPosture>> days,
            LocalDate day,
            String domain,
            DomainPosture add) {
        DomainPosture posture = posture(days, day, domain);
        posture.add(add);
        posture.published(add.publication());
    }

    private static void count(DomainPosture posture, short fate, String reason, long messages) {
        switch (fate) {
            case DELIVERED:
                Protection.fromLabel(reason).ifPresent(protection -> posture.delivered(protection, messages));
                break;
            case DEFERRED:
                FailureCause.fromLabel(reason).ifPresent(cause -> posture.deferred(cause, messages));
                break;
            case BOUNCED:
                FailureCause.fromLabel(reason).ifPresent(cause -> posture.bounced(cause, messages));
                break;
            default:
            // A fate a newer version wrote: not ours to show.
        }
    }

    @Override
    public void reportLossAtClose() {
        synchronized (this) {
            if (!pending.isEmpty()) {
                LOGGER.error(
                        "secure-delivery: the posture counts of {} domain-day(s) could not be written to the shared"
                                + " store before shutdown",
                        pendingEntries);
            }
        }
    }

    /** Writes what this node counted; the shared rows stay. */
    @Override
    public void close() {
        flush();
    }

    @Override
    public String toString() {
        return "the posture history";
    }
}
