package dev.securedelivery.mailet;

import static org.assertj.core.api.Assertions.assertThat;

import dev.securedelivery.delivery.DeliveryOutcomes;
import dev.securedelivery.delivery.DeliveryResults;
import dev.securedelivery.waiting.InMemoryWaitingList;
import dev.securedelivery.waitingroom.QueueDelay;
import java.lang.reflect.Proxy;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.james.core.builder.MimeMessageBuilder;
import org.apache.james.domainlist.api.DomainList;
import org.apache.james.metrics.api.Metric;
import org.apache.james.metrics.api.MetricFactory;
import org.apache.james.queue.api.MailQueue;
import org.apache.james.queue.api.MailQueueName;
import org.apache.james.transport.mailets.remote.delivery.RemoteDeliveryConfiguration;
import org.apache.mailet.Mail;
import org.apache.mailet.base.test.FakeMail;
import org.apache.mailet.base.test.FakeMailContext;
import org.apache.mailet.base.test.FakeMailetConfig;
import org.junit.jupiter.api.Test;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Flux;

/**
 * Deferrals in James ({@link MailFates}): a copy the queue holds is never handed back as well, and a
 * queue that will not take the copy sends the message to the operator, never back to the queue at
 * once (which would try the MX again at once, and again).
 */
class MailFatesTest {
    // Every method of this factory fails, as a broken metrics back end would.
    private static final MetricFactory BROKEN_METRICS = (MetricFactory) Proxy.newProxyInstance(
            MetricFactory.class.getClassLoader(), new Class<?>[] {MetricFactory.class}, (proxy, method, args) -> {
                throw new IllegalStateException("metrics are down");
            });

    // Counters that count nothing.
    private static final MetricFactory QUIET_METRICS = (MetricFactory) Proxy.newProxyInstance(
            MetricFactory.class.getClassLoader(), new Class<?>[] {MetricFactory.class}, (proxy, method, args) -> {
                if (!method.getName().equals("generate")) {
                    throw new UnsupportedOperationException(method.getName());
                }
                return Proxy.newProxyInstance(
                        Metric.class.getClassLoader(), new Class<?>[] {Metric.class}, (metric, call, values) -> null);
            });

    @Test
    void aFailureAfterTheCopyIsQueuedNeverHandsTheMessageBackForASecondCopy() throws Exception {
        RecordingQueue queue = new RecordingQueue(false);
        FakeMailContext context = FakeMailContext.defaultContext();
        MailFates fates = fates(queue, context, BROKEN_METRICS);

        MailFates.Completion completion =
                fates.apply(mail(), DeliveryResults.allDeferred("example.test", List.of("user@example.test")), 0);

        assertThat(completion).isEqualTo(MailFates.Completion.DONE);
        assertThat(queue.enqueued)
                .singleElement()
                .satisfies(delay -> assertThat(delay).isEqualTo(Duration.ofSeconds(5)));
        assertThat(context.getSentMails()).isEmpty();
    }

    @Test
    void aCopyTheQueueWillNotTakeGoesToTheOperatorNotBackToTheQueue() throws Exception {
        RecordingQueue queue = new RecordingQueue(true);
        FakeMailContext context = FakeMailContext.defaultContext();
        MailFates fates = fates(queue, context, QUIET_METRICS);

        MailFates.Completion completion =
                fates.apply(mail(), DeliveryResults.allDeferred("example.test", List.of("user@example.test")), 0);

        assertThat(completion).isEqualTo(MailFates.Completion.DONE);
        assertThat(queue.enqueued).isEmpty();
        assertThat(context.getSentMails()).singleElement().satisfies(sent -> {
            assertThat(sent.getState()).isEqualTo(Mail.ERROR);
            assertThat(sent.getRecipients()).extracting(Object::toString).containsExactly("user@example.test");
        });
    }

    private static MailFates fates(RecordingQueue queue, FakeMailContext context, MetricFactory metrics)
            throws Exception {
        RemoteDeliveryConfiguration configuration = new RemoteDeliveryConfiguration(
                FakeMailetConfig.builder()
                        .mailetName("SecureRemoteDelivery")
                        .setProperty("delayTime", "5000, 100000")
                        .setProperty("maxRetries", "3")
                        .build(),
                domainList());
        return new MailFates(
                configuration,
                new QueueDelay(queue, new InMemoryWaitingList(), Clock.systemUTC()),
                context,
                metrics,
                new DeliveryOutcomes(Clock.systemUTC(), 100),
                new PostureCounter(metrics, null, null),
                Clock.systemUTC());
    }

    private static DomainList domainList() {
        return (DomainList) Proxy.newProxyInstance(
                DomainList.class.getClassLoader(), new Class<?>[] {DomainList.class}, (proxy, method, args) -> {
                    throw new UnsupportedOperationException(method.getName());
                });
    }

    private static Mail mail() throws Exception {
        return FakeMail.builder()
                .name("mail-1")
                .sender("sender@sender.test")
                .recipient("user@example.test")
                .mimeMessage(MimeMessageBuilder.mimeMessageBuilder()
                        .setSubject("deferred")
                        .setText("a message that waits"))
                .build();
    }

    /** A queue that records each copy's delay, or refuses every one. */
    private static final class RecordingQueue implements MailQueue {
        final List<Duration> enqueued = new ArrayList<>();
        private final boolean refuses;

        RecordingQueue(boolean refuses) {
            this.refuses = refuses;
        }

        @Override
        public MailQueueName getName() {
            return MailQueueName.of("outgoing");
        }

        @Override
        public void enQueue(Mail mail, Duration delay) throws MailQueueException {
            if (refuses) {
                throw new MailQueueException("the queue is down");
            }
            enqueued.add(delay);
        }

        @Override
        public void enQueue(Mail mail) throws MailQueueException {
            enQueue(mail, Duration.ZERO);
        }

        @Override
        public Publisher<Void> enqueueReactive(Mail mail) {
            throw new UnsupportedOperationException();
        }

        @Override
        public Publisher<MailQueueItem> deQueue() {
            return Flux.never();
        }

        @Override
        public void close() {}
    }
}
