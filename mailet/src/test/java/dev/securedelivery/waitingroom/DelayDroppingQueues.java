package dev.securedelivery.waitingroom;

import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.james.queue.api.MailQueue;
import org.apache.james.queue.api.MailQueueFactory;
import org.apache.james.queue.api.MailQueueName;
import org.apache.james.queue.api.RawMailQueueItemDecoratorFactory;
import org.apache.james.queue.memory.MemoryMailQueueFactory;
import org.apache.mailet.Mail;

/**
 * James's memory queues with one change, RabbitMQ's: {@code enQueue(mail, delay)} drops the delay and
 * queues the message at once ({@code RabbitMQMailQueue.enQueue} logs "Ignored delay upon enqueue").
 * The queues outlive a mailet, as a broker's do, so a test can start the mailet again on them.
 */
final class DelayDroppingQueues implements MailQueueFactory<MailQueue> {
    private final Map<MailQueueName, DelayDroppingQueue> queues = new ConcurrentHashMap<>();

    /** The delays dropped so far, over every queue. */
    final AtomicInteger droppedDelays = new AtomicInteger();

    @Override
    public Optional<MailQueue> getQueue(MailQueueName name, PrefetchCount count) {
        return Optional.ofNullable(queues.get(name));
    }

    @Override
    public MailQueue createQueue(MailQueueName name, PrefetchCount count) {
        return queues.computeIfAbsent(name, DelayDroppingQueue::new);
    }

    @Override
    public Set<MailQueueName> listCreatedMailQueues() {
        return Set.copyOf(queues.keySet());
    }

    private final class DelayDroppingQueue extends MemoryMailQueueFactory.MemoryCacheableMailQueue {
        DelayDroppingQueue(MailQueueName name) {
            super(name, new RawMailQueueItemDecoratorFactory(), Clock.systemUTC());
        }

        @Override
        public void enQueue(Mail mail, Duration delay) throws MailQueueException {
            if (!delay.isZero()) {
                droppedDelays.incrementAndGet();
            }
            super.enQueue(mail, Duration.ZERO);
        }
    }
}
