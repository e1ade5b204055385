package dev.securedelivery.waitingroom;

import dev.securedelivery.waiting.WaitingList;
import dev.securedelivery.waiting.WaitingMail;
import java.io.Closeable;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.james.lifecycle.api.LifecycleUtil;
import org.apache.james.mailrepository.api.MailKey;
import org.apache.james.mailrepository.api.MailRepository;
import org.apache.james.queue.api.MailQueue;
import org.apache.james.transport.mailets.remote.delivery.DeliveryRetriesHelper;
import org.apache.mailet.Attribute;
import org.apache.mailet.AttributeName;
import org.apache.mailet.AttributeValue;
import org.apache.mailet.Mail;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where deferred mail waits when the queue drops delays: a James mail repository holds each message,
 * its due time among its attributes, and the {@link WaitingList} records it. A thread of its own looks
 * every second for messages due, claims them (one node at a time, for the lease) and puts each back
 * in the queue, without delay, then removes it from the repository and the list. Nothing is dequeued
 * and enqueued while a message waits, and no delivery thread waits for it.
 *
 * <p>At least once: a node that dies between putting a message back and removing it from the
 * repository leaves it there, and after the lease another node (or this one, started again) puts it
 * back a second time, as any MTA that dies between sending and dequeuing sends twice. A message whose
 * recording failed (the shared list did not answer) is kept in the repository and recorded at the next
 * tick; at start, every message in the repository that the list does not know is recorded again, due
 * when its attribute says, so nothing waits forever and nothing is early.
 */
public final class WaitingRoom implements DelayedRequeue, Closeable {
    private static final Logger LOGGER = LoggerFactory.getLogger(WaitingRoom.class);

    static final AttributeName DUE = AttributeName.of("dev.securedelivery.waiting.due");
    static final AttributeName DOMAIN = AttributeName.of("dev.securedelivery.waiting.domain");
    static final AttributeName CAUSE = AttributeName.of("dev.securedelivery.waiting.cause");

    /** How often the list is asked for messages due: how late a message may go back, at most. */
    static final Duration TICK = Duration.ofSeconds(1);
    /** Messages put back by one claim. */
    private static final int BATCH = 100;
    /** A message the queue did not take goes back to the list, due again after this. */
    static final Duration AGAIN_AFTER = Duration.ofMinutes(1);
    /** Messages kept in memory while the list cannot record them; beyond, the next start finds them. */
    private static final int MAX_UNRECORDED = 100_000;

    private final MailRepository repository;
    private final String repositoryName;
    private final MailQueue queue;
    private final String queueName;
    private final WaitingList list;
    private final Clock clock;
    private final Duration lease;
    private final Map<String, WaitingMail> unrecorded = new LinkedHashMap<>();
    private final ScheduledExecutorService mover;
    private boolean overflowSaid;

    private WaitingRoom(
            MailRepository repository,
            String repositoryName,
            MailQueue queue,
            WaitingList list,
            Clock clock,
            Duration lease) {
        this.repository = repository;
        this.repositoryName = repositoryName;
        this.queue = queue;
        this.queueName = queue.getName().asString();
        this.list = list;
        this.clock = clock;
        this.lease = lease;
        this.mover = Executors.newSingleThreadScheduledExecutor(task -> {
            Thread thread = new Thread(task, "secure-delivery-waiting-room");
            thread.setDaemon(true);
            return thread;
        });
    }

    /**
     * Opens the waiting room of {@code queue} in {@code repository} (named {@code repositoryName} in
     * the logs) and starts putting due messages back: first it records what the repository holds and
     * the list does not know (a restart's, or an unrecorded one's).
     *
     * @param lease how long a node holds the messages it claims before another may put them back
     */
    public static WaitingRoom open(
            MailRepository repository,
            String repositoryName,
            MailQueue queue,
            WaitingList list,
            Clock clock,
            Duration lease) {
        WaitingRoom room = new WaitingRoom(repository, repositoryName, queue, list, clock, lease);
        room.mover.execute(room::recordWhatIsHeld);
        room.mover.scheduleWithFixedDelay(room::tick, TICK.toMillis(), TICK.toMillis(), TimeUnit.MILLISECONDS);
        return room;
    }

    @Override
    public void requeue(Mail copy, String domain, Duration delay, String cause) throws Exception {
        Instant due = clock.instant().plus(delay);
        copy.setAttribute(new Attribute(DUE, AttributeValue.of(due.toEpochMilli())));
        copy.setAttribute(new Attribute(DOMAIN, AttributeValue.of(domain)));
        copy.setAttribute(new Attribute(CAUSE, AttributeValue.of(cause == null ? "" : cause)));
        String key = repository.store(copy).asString();
        WaitingMail waiting = new WaitingMail(
                key,
                queueName,
                domain,
                due,
                DeliveryRetriesHelper.retrieveRetries(copy),
                cause,
                WaitingMail.Place.WAITING_ROOM);
        try {
            list.add(waiting);
        } catch (IOException | RuntimeException e) {
            // Kept in the repository: recorded at a later tick, or found at the next start.
            keepUnrecorded(waiting, e);
        }
    }

    @Override
    public void taken(Mail mail) {
        // Its entry went when it was put back.
    }

    @Override
    public String describe() {
        return "in the waiting room " + repositoryName + ", put back in the queue " + queueName
                + " when due (checked every " + TICK.toSeconds() + " s, claimed for " + lease + ")";
    }

    private synchronized void keepUnrecorded(WaitingMail waiting, Exception cause) {
        if (unrecorded.size() < MAX_UNRECORDED) {
            unrecorded.put(waiting.key(), waiting);
        } else if (!overflowSaid) {
            overflowSaid = true;
            LOGGER.error(
                    "SecureRemoteDelivery: {} messages in the waiting room {} wait to be recorded; more are kept"
                            + " there, and recorded at the next start",
                    MAX_UNRECORDED,
                    repositoryName);
        }
        LOGGER.warn(
                "SecureRemoteDelivery: {} waits in {}, but its due time could not be recorded yet: {}",
                waiting.key(),
                repositoryName,
                cause.toString());
    }

    // Every tick: record what could not be, then put back what is due. Never throws: the next tick runs.
    private void tick() {
        try {
            recordUnrecorded();
            Instant now = clock.instant();
            Optional<Instant> next = list.nextDue(queueName);
            if (next.isEmpty() || next.get().isAfter(now)) {
                return;
            }
            List<WaitingMail> due;
            do {
                due = list.claimDue(queueName, now, lease, BATCH);
                for (WaitingMail waiting : due) {
                    putBack(waiting, now);
                }
            } while (due.size() == BATCH);
        } catch (Throwable e) {
            LOGGER.warn(
                    "SecureRemoteDelivery: the waiting room {} could not be checked: {}", repositoryName, e.toString());
        }
    }

    private void recordUnrecorded() throws IOException {
        Map<String, WaitingMail> batch;
        synchronized (this) {
            if (unrecorded.isEmpty()) {
                return;
            }
            batch = new LinkedHashMap<>(unrecorded);
        }
        for (WaitingMail waiting : batch.values()) {
            list.add(waiting);
            synchronized (this) {
                unrecorded.remove(waiting.key(), waiting);
            }
        }
        LOGGER.info("SecureRemoteDelivery: {} message(s) in {} recorded after all", batch.size(), repositoryName);
    }

    private void putBack(WaitingMail waiting, Instant now) throws Exception {
        MailKey key = new MailKey(waiting.key());
        Mail mail = repository.retrieve(key);
        if (mail == null) {
            // Put back by another node whose lease ended, or removed by an operator.
            list.remove(waiting.key());
            return;
        }
        try {
            mail.removeAttribute(DUE);
            mail.removeAttribute(DOMAIN);
            mail.removeAttribute(CAUSE);
            queue.enQueue(mail);
        } catch (Exception e) {
            LOGGER.warn(
                    "SecureRemoteDelivery: {} is due, but the queue {} did not take it ({}); trying again in {}",
                    waiting.key(),
                    queueName,
                    e.toString(),
                    AGAIN_AFTER);
            list.add(waiting.dueAt(now.plus(AGAIN_AFTER)));
            return;
        } finally {
            LifecycleUtil.dispose(mail);
        }
        repository.remove(key);
        list.remove(waiting.key());
        LOGGER.info(
                "SecureRemoteDelivery: {} back in the queue {} for {}, due {} (retry {})",
                waiting.key(),
                queueName,
                waiting.domain(),
                waiting.due(),
                waiting.retries());
    }

    // At start: what the repository holds and the list does not know, recorded as due when it said.
    private void recordWhatIsHeld() {
        int recorded = 0;
        try {
            Iterator<MailKey> keys = repository.list();
            while (keys.hasNext()) {
                MailKey key = keys.next();
                if (list.contains(key.asString())) {
                    continue;
                }
                Mail mail = repository.retrieve(key);
                if (mail == null) {
                    continue;
                }
                try {
                    list.add(held(key, mail));
                    recorded++;
                } finally {
                    LifecycleUtil.dispose(mail);
                }
            }
            if (recorded > 0) {
                LOGGER.info(
                        "SecureRemoteDelivery: {} message(s) waiting in {} recorded at start",
                        recorded,
                        repositoryName);
            }
        } catch (Throwable e) {
            LOGGER.error(
                    "SecureRemoteDelivery: the waiting room {} could not be read at start ({} recorded): {}; what it"
                            + " holds is recorded at the next start",
                    repositoryName,
                    recorded,
                    e.toString());
        }
    }

    private WaitingMail held(MailKey key, Mail mail) {
        Instant due = mail.getAttribute(DUE)
                .flatMap(attribute -> attribute.getValue().valueAs(Long.class))
                .map(Instant::ofEpochMilli)
                .orElseGet(clock::instant);
        String domain = mail.getAttribute(DOMAIN)
                .flatMap(attribute -> attribute.getValue().valueAs(String.class))
                .orElse("");
        String cause = mail.getAttribute(CAUSE)
                .flatMap(attribute -> attribute.getValue().valueAs(String.class))
                .orElse("");
        return new WaitingMail(
                key.asString(),
                queueName,
                domain,
                due,
                DeliveryRetriesHelper.retrieveRetries(mail),
                cause,
                WaitingMail.Place.WAITING_ROOM);
    }

    /** Stops putting messages back; those held stay in the repository for the next start. */
    @Override
    public void close() {
        mover.shutdown();
        try {
            if (!mover.awaitTermination(30, TimeUnit.SECONDS)) {
                mover.shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
