package dev.securedelivery.mailet;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.apache.james.queue.api.MailQueue;
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
 * fixed number of threads; every item is completed, whatever the delivery did or threw. On
 * {@link #close} it stops taking mail and waits a bounded time for the deliveries in flight: a
 * delivery cut off after that is interrupted between sessions and keeps its recipients queued
 * without spending a retry.
 */
final class OutgoingQueue implements AutoCloseable {
    private static final Logger LOGGER = LoggerFactory.getLogger(OutgoingQueue.class);

    private final MailQueue queue;
    private final ExecutorService deliveries;
    private final Scheduler dequeueThread;
    private final Duration shutdownWait;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final Disposable dequeuing;

    /**
     * @param process delivers one item and says how to complete it; may throw anything
     */
    OutgoingQueue(
            MailQueue queue,
            int threads,
            Duration shutdownWait,
            Function<MailQueue.MailQueueItem, MailQueue.MailQueueItem.CompletionStatus> process) {
        this.queue = queue;
        this.shutdownWait = shutdownWait;
        AtomicInteger number = new AtomicInteger();
        this.deliveries = Executors.newFixedThreadPool(threads, task -> {
            Thread thread = new Thread(task, "secure-delivery-" + number.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        });
        this.dequeueThread = Schedulers.newSingle("secure-delivery-dequeue");
        this.dequeuing = Flux.from(queue.deQueue())
                // Our own executor: cancelling the subscription at shutdown does not interrupt a delivery.
                .flatMap(
                        item -> Mono.fromFuture(CompletableFuture.runAsync(() -> complete(item, process), deliveries)),
                        threads)
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

    private void complete(
            MailQueue.MailQueueItem item,
            Function<MailQueue.MailQueueItem, MailQueue.MailQueueItem.CompletionStatus> process) {
        inFlight.incrementAndGet();
        MailQueue.MailQueueItem.CompletionStatus status = MailQueue.MailQueueItem.CompletionStatus.SUCCESS;
        try {
            status = process.apply(item);
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
        LOGGER.info("SecureRemoteDelivery: queue {} closed", queue.getName().asString());
    }
}
