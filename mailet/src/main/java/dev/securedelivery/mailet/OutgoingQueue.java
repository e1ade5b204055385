package dev.securedelivery.mailet;

import dev.securedelivery.waitingroom.DelayedRequeue;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.apache.james.lifecycle.api.LifecycleUtil;
import org.apache.james.queue.api.MailQueue;
import org.apache.mailet.Mail;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;
import reactor.util.retry.Retry;

/**
 * The loop that takes mail from the outgoing queue and hands each item to a delivery on one of a
 * fixed number of threads; every item is completed, whatever the delivery did or threw.
 *
 * <p>An item is first {@linkplain Delivery#prepare prepared} (its delivery plan is asked for) and
 * gets a thread only once that is done: a destination whose plan is slow in coming (a cold domain,
 * a policy host that never answers, until the lookup timeout) holds up its own mail, not a
 * delivery thread. Up to {@code ahead} items beyond the threads are taken from the queue for that.
 * A tenth of them may wait for the plan of one destination as long as it takes; a further item of
 * that destination whose plan is still not made after {@code setAsideAfter} is set aside, a copy put
 * back in the queue for {@code setAsideFor} without spending a retry, so that a flood of mail to one
 * destination slow to plan does not fill the window for long, and a burst to a destination whose
 * plan comes quickly is not delayed.
 *
 * <p>An item whose preparation was done more than {@code prepareAgainAfter} before it gets a thread
 * (every thread was busy meanwhile) is prepared again: a plan rests on DNS answers and a policy that
 * may have changed while it waited (a TLSA rollover). The caches make it again at once when they
 * have not; if they cannot, the item gives its thread back and waits for the new plan, as for the
 * first.
 *
 * <p>On {@link #close} it stops taking mail and waits a bounded time for the deliveries in flight:
 * a delivery cut off after that is interrupted between sessions and keeps its recipients queued
 * without spending a retry; an item still waiting for its plan goes back to the queue whole.
 *
 * @param <P> what preparing an item gives its delivery
 */
final class OutgoingQueue<P> implements AutoCloseable {
    private static final Logger LOGGER = LoggerFactory.getLogger(OutgoingQueue.class);

    /** What is done with each item: prepared off the delivery threads, then delivered on one. */
    interface Delivery<P> {
        /** Starts what the item needs before a thread is worth giving it; may throw anything. */
        CompletableFuture<P> prepare(MailQueue.MailQueueItem item);

        /** The destination whose preparation the item shares (its domain); may throw anything. */
        String destination(MailQueue.MailQueueItem item);

        /**
         * Delivers one item and says how to complete it; may throw anything.
         *
         * @param prepared what {@link #prepare} started, done (or failed)
         */
        MailQueue.MailQueueItem.CompletionStatus deliver(MailQueue.MailQueueItem item, CompletableFuture<P> prepared);
    }

    private final MailQueue queue;
    private final DelayedRequeue requeue;
    private final ExecutorService deliveries;
    private final Scheduler dequeueThread;
    private final Duration shutdownWait;
    private final AtomicInteger inFlight = new AtomicInteger();
    /** Items taken from the queue and not yet given to a delivery thread. */
    private final Set<Waiting> waiting = ConcurrentHashMap.newKeySet();
    /** Of those, how many wait for a preparation not yet done, by destination. */
    private final Map<String, Integer> unprepared = new ConcurrentHashMap<>();

    private final int perDestination;
    private final Duration setAsideAfter;
    private final Duration setAsideFor;
    private final ScheduledExecutorService setAsideTimer;
    private final long prepareAgainAfterNanos;
    private final LongSupplier nanoTime;

    private final Disposable dequeuing;

    /**
     * @param ahead how many items beyond {@code threads} may wait for their preparation at once
     * @param setAsideAfter how long an item beyond its destination's share waits for the plan before
     *     it is set aside
     * @param setAsideFor how long an item set aside stays out of the way
     * @param prepareAgainAfter how old a preparation may be when its item gets a thread
     * @param nanoTime the clock those ages are counted on ({@code System::nanoTime})
     */
    OutgoingQueue(
            MailQueue queue,
            DelayedRequeue requeue,
            int threads,
            int ahead,
            Duration setAsideAfter,
            Duration setAsideFor,
            Duration prepareAgainAfter,
            Duration shutdownWait,
            LongSupplier nanoTime,
            Delivery<P> delivery) {
        this.queue = queue;
        this.requeue = requeue;
        this.prepareAgainAfterNanos = prepareAgainAfter.toNanos();
        this.nanoTime = nanoTime;
        this.shutdownWait = shutdownWait;
        this.perDestination = Math.max(1, ahead / 10);
        this.setAsideAfter = setAsideAfter;
        this.setAsideFor = setAsideFor;
        this.setAsideTimer = Executors.newSingleThreadScheduledExecutor(task -> {
            Thread thread = new Thread(task, "secure-delivery-set-aside");
            thread.setDaemon(true);
            return thread;
        });
        AtomicInteger number = new AtomicInteger();
        this.deliveries = Executors.newFixedThreadPool(threads, task -> {
            Thread thread = new Thread(task, "secure-delivery-" + number.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        });
        this.dequeueThread = Schedulers.newSingle("secure-delivery-dequeue");
        this.dequeuing = Flux.from(queue.deQueue())
                // Our own executor: cancelling the subscription at shutdown does not interrupt a delivery.
                .flatMap(item -> Mono.fromFuture(prepareThenDeliver(item, delivery)), threads + ahead)
                // A dequeue failure (a broker hiccup, a message the queue cannot read back) must not stop
                // delivery for good: log it and take from the queue again, backing off.
                .doOnError(e -> LOGGER.error(
                        "SecureRemoteDelivery: reading queue {} failed; reading it again",
                        queue.getName().asString(),
                        e))
                .retryWhen(Retry.backoff(Long.MAX_VALUE, Duration.ofSeconds(1)).maxBackoff(Duration.ofMinutes(1)))
                // Persistent (JMS) queues block the subscribing thread while they wait for mail: never
                // James's start-up thread.
                .subscribeOn(dequeueThread)
                .subscribe();
    }

    private CompletableFuture<Void> prepareThenDeliver(MailQueue.MailQueueItem item, Delivery<P> delivery) {
        Waiting entry = new Waiting(item);
        waiting.add(entry);
        CompletableFuture<P> ready = prepare(item, delivery);
        // Done once the item is delivered: its place in the window is free then.
        CompletableFuture<Void> delivered = new CompletableFuture<>();
        Runnable deliverOnce = () -> deliverOnce(entry, ready, delivery, delivered);
        whenReady(ready, entry, deliverOnce);
        if (ready.isDone()) {
            return delivered;
        }
        String destination = destinationOf(item, delivery);
        if (destination == null) {
            return delivered;
        }
        // Counted until the plan is made, set aside or not: while it is coming, the destination is slow.
        int waitingForPlan = countUnprepared(destination, 1);
        ready.whenComplete((value, error) -> countUnprepared(destination, -1));
        if (waitingForPlan <= perDestination) {
            return delivered;
        }
        CompletableFuture<Void> setAside = new CompletableFuture<>();
        try {
            setAsideTimer.schedule(
                    () -> {
                        if (ready.isDone()) {
                            return;
                        }
                        if (setAside(item, entry, destination)) {
                            setAside.complete(null);
                        } else {
                            // Its plan may have come while the item was held for setting aside: ask again.
                            whenReady(ready, entry, deliverOnce);
                        }
                    },
                    setAsideAfter.toMillis(),
                    TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            // Closing: the item waits, and is handed back if its plan does not come in time.
            return delivered;
        }
        // The window's place is free once the item is delivered or set aside.
        return CompletableFuture.anyOf(delivered, setAside).thenApply(done -> null);
    }

    /** Runs {@code delivery} on a delivery thread once {@code ready} is done, however it ended. */
    private void whenReady(CompletableFuture<P> ready, Waiting entry, Runnable delivery) {
        ready.handle((value, error) -> {
                    entry.preparedAt(nanoTime.getAsLong());
                    return null;
                })
                .thenRunAsync(delivery, deliveries);
    }

    /**
     * On a delivery thread, once {@code ready} is done: delivers the item by it, unless another claimed
     * the item (set aside, handed back). A preparation older than {@code prepareAgainAfter} is made
     * again first; if the new one is not done at once, the item gives the thread back and waits for it
     * as it waited for the first.
     */
    private void deliverOnce(
            Waiting entry, CompletableFuture<P> ready, Delivery<P> delivery, CompletableFuture<Void> delivered) {
        if (!entry.claim()) {
            return;
        }
        CompletableFuture<P> plan = ready;
        if (nanoTime.getAsLong() - entry.preparedAt() >= prepareAgainAfterNanos) {
            CompletableFuture<P> again = prepare(entry.item, delivery);
            if (!again.isDone()) {
                entry.unclaim();
                whenReady(again, entry, () -> deliverOnce(entry, again, delivery, delivered));
                return;
            }
            plan = again;
        }
        CompletableFuture<P> by = plan;
        waiting.remove(entry);
        try {
            complete(entry.item, () -> delivery.deliver(entry.item, by));
        } finally {
            delivered.complete(null);
        }
    }

    private CompletableFuture<P> prepare(MailQueue.MailQueueItem item, Delivery<P> delivery) {
        try {
            return delivery.prepare(item);
        } catch (Throwable e) {
            // The delivery then meets the failure itself, on its thread, and defers the mail.
            return CompletableFuture.failedFuture(e);
        }
    }

    private String destinationOf(MailQueue.MailQueueItem item, Delivery<P> delivery) {
        try {
            return delivery.destination(item);
        } catch (Throwable e) {
            // Not to be told apart: it waits in the window like any other.
            return null;
        }
    }

    /** Adds {@code delta} to the items waiting for {@code destination}'s preparation; the new count. */
    private int countUnprepared(String destination, int delta) {
        Integer now = unprepared.compute(destination, (key, count) -> {
            int next = (count == null ? 0 : count) + delta;
            return next <= 0 ? null : next;
        });
        return now == null ? 0 : now;
    }

    /**
     * Puts a copy of the item back in the queue for {@link #setAsideFor}, its retries as they
     * were, and completes the item; false (the item then waits in the window) if the copy cannot be
     * queued.
     */
    private boolean setAside(MailQueue.MailQueueItem item, Waiting entry, String destination) {
        if (!entry.claim()) {
            return false;
        }
        Mail copy = null;
        try {
            Mail mail = item.getMail();
            copy = mail.duplicate();
            copy.setName(mail.getName());
            requeue.requeue(
                    copy,
                    destination == null ? "" : destination,
                    setAsideFor,
                    "set aside while its destination's plan is made");
        } catch (Exception | LinkageError e) {
            LOGGER.warn(
                    "SecureRemoteDelivery: a message to {} cannot be set aside while its plan is made ({});"
                            + " it waits for the plan",
                    destination,
                    e.toString());
            entry.unclaim();
            return false;
        } finally {
            if (copy != null) {
                LifecycleUtil.dispose(copy);
            }
        }
        waiting.remove(entry);
        LOGGER.debug(
                "SecureRemoteDelivery: {} set aside for {}: more than {} messages to {} wait for its plan, made"
                        + " for {} already",
                copy.getName(),
                setAsideFor,
                perDestination,
                destination,
                setAsideAfter);
        try {
            item.done(MailQueue.MailQueueItem.CompletionStatus.SUCCESS);
        } catch (Throwable e) {
            LOGGER.error("SecureRemoteDelivery: a queue item set aside could not be completed", e);
        } finally {
            // Its copy is in the queue; this one goes no further, as a delivered item's does not.
            LifecycleUtil.dispose(item.getMail());
        }
        return true;
    }

    private void complete(MailQueue.MailQueueItem item, Supplier<MailQueue.MailQueueItem.CompletionStatus> process) {
        inFlight.incrementAndGet();
        MailQueue.MailQueueItem.CompletionStatus status = MailQueue.MailQueueItem.CompletionStatus.SUCCESS;
        try {
            status = process.get();
        } catch (Throwable e) {
            // The delivery promises not to throw; if it did, the item still gets completed below. Whether
            // a fate was given is unknown, so the item is not handed back (that could deliver twice).
            LOGGER.error("SecureRemoteDelivery: a delivery failed outside its own handling", e);
        } finally {
            try {
                item.done(status);
            } catch (Throwable e) {
                LOGGER.error("SecureRemoteDelivery: a queue item could not be completed ({})", status, e);
            }
            inFlight.decrementAndGet();
        }
    }

    @Override
    public void close() {
        dequeuing.dispose();
        dequeueThread.dispose();
        setAsideTimer.shutdownNow();
        deliveries.shutdown();
        try {
            if (!deliveries.awaitTermination(shutdownWait.toMillis(), TimeUnit.MILLISECONDS)) {
                LOGGER.warn(
                        "SecureRemoteDelivery: {} deliveries still running after {}; interrupting them (their"
                                + " recipients stay queued)",
                        inFlight.get(),
                        shutdownWait);
                deliveries.shutdownNow();
                deliveries.awaitTermination(shutdownWait.toMillis(), TimeUnit.MILLISECONDS);
            }
        } catch (InterruptedException e) {
            deliveries.shutdownNow();
            Thread.currentThread().interrupt();
        }
        // Nothing was done with these yet: the queue gets them back whole.
        for (Waiting entry : waiting) {
            if (entry.claim()) {
                try {
                    entry.item.done(MailQueue.MailQueueItem.CompletionStatus.RETRY);
                } catch (Throwable e) {
                    LOGGER.error("SecureRemoteDelivery: a waiting queue item could not be handed back", e);
                }
            }
        }
        waiting.clear();
        LOGGER.info("SecureRemoteDelivery: queue {} closed", queue.getName().asString());
    }

    /** An item taken from the queue, given either to a delivery thread or back to the queue, once. */
    private static final class Waiting {
        final MailQueue.MailQueueItem item;
        private final AtomicBoolean claimed = new AtomicBoolean();
        private volatile long preparedAt;

        Waiting(MailQueue.MailQueueItem item) {
            this.item = item;
        }

        boolean claim() {
            return claimed.compareAndSet(false, true);
        }

        void unclaim() {
            claimed.set(false);
        }

        /** When its preparation was done, on the queue's clock. */
        long preparedAt() {
            return preparedAt;
        }

        void preparedAt(long nanos) {
            preparedAt = nanos;
        }
    }
}
