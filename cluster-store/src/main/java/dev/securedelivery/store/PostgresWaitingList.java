package dev.securedelivery.store;

import dev.securedelivery.waiting.DomainWaiting;
import dev.securedelivery.waiting.WaitingList;
import dev.securedelivery.waiting.WaitingMail;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The deferred messages of a cluster and when each is due, one row per message. A due message is
 * claimed with {@code FOR UPDATE SKIP LOCKED} and a lease under this node's name, so two nodes never
 * claim it at once, and a node that dies holding it loses it when the lease ends. Every statement is
 * one short transaction; a read of the view is cut at its limit of domains.
 *
 * <p>Unlike the counts, nothing here is buffered: a deferral is recorded before the message leaves
 * the delivery, and fails it (the message stays where it was) when the database does not answer.
 */
public final class PostgresWaitingList implements WaitingList {
    private final PostgresStore store;

    PostgresWaitingList(PostgresStore store) {
        this.store = store;
    }

    @Override
    public void add(WaitingMail mail) throws StoreException {
        try (Connection connection = store.connection();
                PreparedStatement upsert = connection.prepareStatement("INSERT INTO waiting_mail (mail_key, queue,"
                        + " domain, due_at, retries, cause, in_waiting_room, lease_owner, lease_until) VALUES (?, ?, ?,"
                        + " ?, ?, ?, ?, NULL, NULL) ON CONFLICT (mail_key) DO UPDATE SET queue = EXCLUDED.queue,"
                        + " domain = EXCLUDED.domain, due_at = EXCLUDED.due_at, retries = EXCLUDED.retries, cause ="
                        + " EXCLUDED.cause, in_waiting_room = EXCLUDED.in_waiting_room, lease_owner = NULL,"
                        + " lease_until = NULL")) {
            upsert.setString(1, mail.key());
            upsert.setString(2, mail.queue());
            upsert.setString(3, mail.domain());
            upsert.setLong(4, mail.due().toEpochMilli());
            upsert.setInt(5, mail.retries());
            upsert.setString(6, mail.cause());
            upsert.setBoolean(7, mail.place() == WaitingMail.Place.WAITING_ROOM);
            upsert.executeUpdate();
        } catch (SQLException e) {
            throw StoreException.failed("record the deferred message " + mail.key(), e);
        }
    }

    @Override
    public boolean contains(String key) throws StoreException {
        try (Connection connection = store.connection();
                PreparedStatement select =
                        connection.prepareStatement("SELECT 1 FROM waiting_mail WHERE mail_key = ?")) {
            select.setString(1, key);
            try (ResultSet rows = select.executeQuery()) {
                return rows.next();
            }
        } catch (SQLException e) {
            throw StoreException.failed("look up the deferred message " + key, e);
        }
    }

    @Override
    public void remove(String key) throws StoreException {
        try (Connection connection = store.connection();
                PreparedStatement delete = connection.prepareStatement("DELETE FROM waiting_mail WHERE mail_key = ?")) {
            delete.setString(1, key);
            delete.executeUpdate();
        } catch (SQLException e) {
            throw StoreException.failed("forget the deferred message " + key, e);
        }
    }

    @Override
    public List<WaitingMail> claimDue(String queue, Instant now, Duration lease, int max) throws StoreException {
        List<WaitingMail> claimed = new ArrayList<>();
        try (Connection connection = store.connection();
                PreparedStatement claim = connection.prepareStatement("UPDATE waiting_mail SET lease_owner = ?,"
                        + " lease_until = ? WHERE mail_key IN (SELECT mail_key FROM waiting_mail WHERE queue = ? AND"
                        + " in_waiting_room AND due_at <= ? AND (lease_until IS NULL OR lease_until <= ?) ORDER BY"
                        + " due_at, mail_key LIMIT ? FOR UPDATE SKIP LOCKED) RETURNING mail_key, queue, domain, due_at,"
                        + " retries, cause")) {
            claim.setString(1, store.node());
            claim.setLong(2, now.plus(lease).toEpochMilli());
            claim.setString(3, queue);
            claim.setLong(4, now.toEpochMilli());
            claim.setLong(5, now.toEpochMilli());
            claim.setInt(6, max);
            try (ResultSet rows = claim.executeQuery()) {
                while (rows.next()) {
                    claimed.add(new WaitingMail(
                            rows.getString(1),
                            rows.getString(2),
                            rows.getString(3),
                            Instant.ofEpochMilli(rows.getLong(4)),
                            rows.getInt(5),
                            rows.getString(6),
                            WaitingMail.Place.WAITING_ROOM));
                }
            }
        } catch (SQLException e) {
            throw StoreException.failed("claim the deferred messages due", e);
        }
        // RETURNING keeps no order: soonest first, as the claim chose them.
        claimed.sort((a, b) ->
                a.due().equals(b.due()) ? a.key().compareTo(b.key()) : a.due().compareTo(b.due()));
        return claimed;
    }

    @Override
    public Optional<Instant> nextDue(String queue) throws StoreException {
        try (Connection connection = store.connection();
                PreparedStatement select = connection.prepareStatement(
                        "SELECT min(due_at) FROM waiting_mail WHERE queue = ? AND in_waiting_room")) {
            select.setString(1, queue);
            try (ResultSet rows = select.executeQuery()) {
                rows.next();
                long due = rows.getLong(1);
                return rows.wasNull() ? Optional.empty() : Optional.of(Instant.ofEpochMilli(due));
            }
        } catch (SQLException e) {
            throw StoreException.failed("read when the next deferred message is due", e);
        }
    }

    @Override
    public List<DomainWaiting> byDomain(int limit) throws StoreException {
        List<DomainWaiting> view = new ArrayList<>();
        try (Connection connection = store.connection();
                PreparedStatement select = connection.prepareStatement("SELECT domain, count(*), min(due_at),"
                        + " (array_agg(cause ORDER BY due_at DESC, mail_key DESC))[1], max(retries) FROM waiting_mail"
                        + " GROUP BY domain ORDER BY min(due_at), domain LIMIT ?")) {
            select.setInt(1, limit);
            try (ResultSet rows = select.executeQuery()) {
                while (rows.next()) {
                    view.add(new DomainWaiting(
                            rows.getString(1),
                            rows.getLong(2),
                            Instant.ofEpochMilli(rows.getLong(3)),
                            rows.getString(4),
                            rows.getInt(5)));
                }
            }
        } catch (SQLException e) {
            throw StoreException.failed("list the deferred messages", e);
        }
        return view;
    }

    @Override
    public long size() throws StoreException {
        try (Connection connection = store.connection();
                PreparedStatement select = connection.prepareStatement("SELECT count(*) FROM waiting_mail");
                ResultSet rows = select.executeQuery()) {
            rows.next();
            return rows.getLong(1);
        } catch (SQLException e) {
            throw StoreException.failed("count the deferred messages", e);
        }
    }
}
