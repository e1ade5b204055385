package dev.securedelivery.james39;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.james.queue.api.MailQueue;
import org.apache.james.queue.api.MailQueueFactory;
import org.apache.james.queue.api.MailQueueName;
import org.apache.mailet.Mail;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;

/**
 * James 3.9.0's queue API over a reactor sink: what the mailet enqueues (after its delay) is what it
 * dequeues, and how each item ended is kept. James's own memory queue (james-server-queue-memory) is
 * not on Maven Central at 3.9.0.
 */
final class InMemoryMailQueue implements MailQueue {
    private final MailQueueName name;
    private final Sinks.Many<MailQueueItem> items = Sinks.many().unicast().onBackpressureBuffer();
    private final List<MailQueueItem.CompletionStatus> completions = new CopyOnWriteArrayList<>();

    InMemoryMailQueue(MailQueueName name) {
        this.name = name;
    }

    /** How every dequeued item was acknowledged, in order. */
    List<MailQueueItem.CompletionStatus> completions() {
        return completions;
    }

    @Override
    public MailQueueName getName() {
        return name;
    }

    @Override
    public void enQueue(Mail mail, Duration delay) {
        if (delay.isNegative() || delay.isZero()) {
            enQueue(mail);
        } else {
            Mono.delay(delay).subscribe(tick -> enQueue(mail));
        }
    }

    @Override
    public void enQueue(Mail mail) {
        MailQueueItem item = new MailQueueItem() {
            @Override
            public Mail getMail() {
                return mail;
            }

            @Override
            public void done(CompletionStatus status) {
                completions.add(status);
            }
        };
        synchronized (items) {
            items.emitNext(item, Sinks.EmitFailureHandler.FAIL_FAST);
        }
    }

    @Override
    public Publisher<Void> enqueueReactive(Mail mail) {
        return Mono.fromRunnable(() -> enQueue(mail));
    }

    @Override
    public Publisher<MailQueueItem> deQueue() {
        return items.asFlux();
    }

    @Override
    public void close() {
        synchronized (items) {
            items.tryEmitComplete();
        }
    }

    /** One queue per name. */
    static final class Factory implements MailQueueFactory<InMemoryMailQueue> {
        private final Map<MailQueueName, InMemoryMailQueue> queues = new ConcurrentHashMap<>();

        @Override
        public Optional<InMemoryMailQueue> getQueue(MailQueueName name, PrefetchCount count) {
            return Optional.ofNullable(queues.get(name));
        }

        @Override
        public InMemoryMailQueue createQueue(MailQueueName name, PrefetchCount count) {
            return queues.computeIfAbsent(name, InMemoryMailQueue::new);
        }

        @Override
        public Set<MailQueueName> listCreatedMailQueues() {
            return Set.copyOf(queues.keySet());
        }
    }
}
