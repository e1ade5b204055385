package dev.securedelivery.integration;

import com.google.inject.AbstractModule;
import com.google.inject.Provides;
import com.google.inject.Singleton;
import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.james.queue.api.MailQueue;
import org.apache.james.queue.api.MailQueueFactory;
import org.apache.james.queue.api.MailQueueName;
import org.apache.james.queue.memory.MemoryMailQueueFactory;
import org.apache.mailet.Mail;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * James's memory mail queues with faults a test injects, each once: an {@code Error} when the
 * delivery mailet reads a message it took from the outgoing queue, a failure to queue a deferred
 * copy again, a failure of the spool (where James's mailet context sends DSNs) to take a mail of a
 * given name. For a real James's Guice {@code overrideWith}: every user of {@code MailQueueFactory<?>}
 * (the spooler, the mailet context, the delivery mailet) gets these queues.
 */
final class FaultyQueues extends AbstractModule {
    /** What goes wrong next, once each; tests fill these in. */
    static final Set<String> ERROR_ON_READ_FOR_DOMAIN = ConcurrentHashMap.newKeySet();

    static final Set<String> FAILED_DEFERRAL_FOR_DOMAIN = ConcurrentHashMap.newKeySet();
    static final Set<String> FAILED_SPOOLING_FOR_NAME_ENDING = ConcurrentHashMap.newKeySet();

    private static final String OUTGOING = "outgoing";

    static void reset() {
        ERROR_ON_READ_FOR_DOMAIN.clear();
        FAILED_DEFERRAL_FOR_DOMAIN.clear();
        FAILED_SPOOLING_FOR_NAME_ENDING.clear();
    }

    @Override
    protected void configure() {}

    @Provides
    @Singleton
    MailQueueFactory<?> queues(MemoryMailQueueFactory memory) {
        return new MailQueueFactory<MailQueue>() {
            @Override
            public Optional<MailQueue> getQueue(MailQueueName name, PrefetchCount count) {
                return memory.getQueue(name, count).map(Queue::new);
            }

            @Override
            public MailQueue createQueue(MailQueueName name, PrefetchCount count) {
                return new Queue(memory.createQueue(name, count));
            }

            @Override
            public Set<MailQueueName> listCreatedMailQueues() {
                return memory.listCreatedMailQueues();
            }
        };
    }

    // Whether a fault for {@code mail} is in {@code faults}, and takes it: each fault happens once.
    private static boolean takeDomainFault(Set<String> faults, Mail mail) {
        return mail.getRecipients().stream()
                .anyMatch(recipient -> faults.remove(recipient.getDomain().asString()));
    }

    private static boolean takeNameFault(Mail mail) {
        return FAILED_SPOOLING_FOR_NAME_ENDING.stream()
                .anyMatch(ending -> mail.getName().endsWith(ending) && FAILED_SPOOLING_FOR_NAME_ENDING.remove(ending));
    }

    private static final class Queue implements MailQueue {
        private final MailQueue delegate;

        Queue(MailQueue delegate) {
            this.delegate = delegate;
        }

        private boolean outgoing() {
            return delegate.getName().asString().equals(OUTGOING);
        }

        @Override
        public MailQueueName getName() {
            return delegate.getName();
        }

        @Override
        public void enQueue(Mail mail, Duration delay) throws MailQueueException {
            if (outgoing() && !delay.isZero() && takeDomainFault(FAILED_DEFERRAL_FOR_DOMAIN, mail)) {
                throw new MailQueueException("injected: the queue cannot take " + mail.getName() + " now");
            }
            if (!outgoing() && takeNameFault(mail)) {
                throw new MailQueueException("injected: the spool cannot take " + mail.getName() + " now");
            }
            delegate.enQueue(mail, delay);
        }

        @Override
        public void enQueue(Mail mail) throws MailQueueException {
            if (!outgoing() && takeNameFault(mail)) {
                throw new MailQueueException("injected: the spool cannot take " + mail.getName() + " now");
            }
            delegate.enQueue(mail);
        }

        @Override
        public Publisher<Void> enqueueReactive(Mail mail) {
            if (!outgoing() && takeNameFault(mail)) {
                return Mono.error(new MailQueueException("injected: the spool cannot take " + mail.getName() + " now"));
            }
            return delegate.enqueueReactive(mail);
        }

        @Override
        public Publisher<MailQueueItem> deQueue() {
            if (!outgoing()) {
                return delegate.deQueue();
            }
            return Flux.from(delegate.deQueue())
                    .map(item ->
                            takeDomainFault(ERROR_ON_READ_FOR_DOMAIN, item.getMail()) ? new FailingItem(item) : item);
        }

        @Override
        public void close() throws IOException {
            delegate.close();
        }
    }

    // An item whose mail throws a LinkageError the first time its message is read.
    private static final class FailingItem implements MailQueue.MailQueueItem {
        private final MailQueue.MailQueueItem delegate;
        private final Mail mail;

        FailingItem(MailQueue.MailQueueItem delegate) {
            this.delegate = delegate;
            Mail real = delegate.getMail();
            this.mail = (Mail) Proxy.newProxyInstance(
                    Mail.class.getClassLoader(), new Class<?>[] {Mail.class}, (proxy, method, arguments) -> {
                        if (method.getName().equals("getMessage")) {
                            throw new LinkageError("injected: a class could not be loaded");
                        }
                        try {
                            return method.invoke(real, arguments);
                        } catch (InvocationTargetException e) {
                            throw e.getCause();
                        }
                    });
        }

        @Override
        public Mail getMail() {
            return mail;
        }

        @Override
        public void done(CompletionStatus status) throws MailQueue.MailQueueException {
            delegate.done(status);
        }
    }
}
