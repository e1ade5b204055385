package org.apache.james.queue.rabbitmq;

import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import org.apache.james.backends.rabbitmq.RabbitMQConfiguration;
import org.apache.james.backends.rabbitmq.RabbitMQConnectionFactory;
import org.apache.james.backends.rabbitmq.RabbitMQManagementAPI;
import org.apache.james.backends.rabbitmq.ReactorRabbitMQChannelPool;
import org.apache.james.backends.rabbitmq.SimpleConnectionPool;
import org.apache.james.blob.api.BlobStore;
import org.apache.james.blob.api.HashBlobId;
import org.apache.james.blob.mail.MimeMessageStore;
import org.apache.james.blob.memory.MemoryBlobStoreFactory;
import org.apache.james.metrics.api.NoopGaugeRegistry;
import org.apache.james.metrics.tests.RecordingMetricFactory;
import org.apache.james.queue.api.MailQueue;
import org.apache.james.queue.api.MailQueueFactory;
import org.apache.james.queue.api.MailQueueName;
import org.apache.james.queue.api.RawMailQueueItemDecoratorFactory;
import org.apache.james.queue.rabbitmq.view.RabbitMQMailQueueConfiguration;
import org.apache.james.queue.rabbitmq.view.api.FakeMailQueueView;

/**
 * James 3.8.1's own {@link RabbitMQMailQueue}, as the distributed server builds it, on a real broker:
 * messages in a memory blob store, and the view James uses without Cassandra ({@link
 * FakeMailQueueView}: no browsing, which enqueueing and dequeueing do not need). In James's package,
 * since the factory's constructors are package-private there; nothing of James's is changed.
 */
public final class RealRabbitMqQueues implements MailQueueFactory<RabbitMQMailQueue>, AutoCloseable {
    private final SimpleConnectionPool connections;
    private final ReactorRabbitMQChannelPool channels;
    private final RabbitMQMailQueueFactory factory;

    public RealRabbitMqQueues(URI amqp, URI management, String user, String password) {
        RabbitMQConfiguration configuration = RabbitMQConfiguration.builder()
                .amqpUri(amqp)
                .managementUri(management)
                .managementCredentials(new RabbitMQConfiguration.ManagementCredentials(user, password.toCharArray()))
                .build();
        RecordingMetricFactory metrics = new RecordingMetricFactory();
        connections = new SimpleConnectionPool(
                new RabbitMQConnectionFactory(configuration),
                SimpleConnectionPool.Configuration.builder().retries(2).initialDelay(Duration.ofMillis(5)));
        channels = new ReactorRabbitMQChannelPool(
                connections.getResilientConnection(),
                ReactorRabbitMQChannelPool.Configuration.builder()
                        .retries(2)
                        .maxBorrowDelay(Duration.ofMillis(250))
                        .maxChannel(10),
                metrics);
        channels.start();
        HashBlobId.Factory blobIds = new HashBlobId.Factory();
        BlobStore blobs = MemoryBlobStoreFactory.builder()
                .blobIdFactory(blobIds)
                .defaultBucketName()
                .passthrough();
        RabbitMQMailQueueFactory.PrivateFactory queues = new RabbitMQMailQueueFactory.PrivateFactory(
                metrics,
                new NoopGaugeRegistry(),
                channels.getSender(),
                channels::createReceiver,
                MimeMessageStore.factory(blobs),
                blobIds,
                new FakeMailQueueView.Factory(),
                Clock.systemUTC(),
                new RawMailQueueItemDecoratorFactory(),
                RabbitMQMailQueueConfiguration.sizeMetricsDisabled());
        factory = new RabbitMQMailQueueFactory(
                channels.getSender(),
                new RabbitMQMailQueueManagement(RabbitMQManagementAPI.from(configuration)),
                queues,
                configuration);
    }

    @Override
    public Optional<RabbitMQMailQueue> getQueue(MailQueueName name, PrefetchCount count) {
        return factory.getQueue(name, count);
    }

    @Override
    public RabbitMQMailQueue createQueue(MailQueueName name, PrefetchCount count) {
        return factory.createQueue(name, count);
    }

    @Override
    public Set<MailQueueName> listCreatedMailQueues() {
        return factory.listCreatedMailQueues();
    }

    /** A queue of its own class, to tell it apart: the real one. */
    public static boolean isRabbitMq(MailQueue queue) {
        return queue instanceof RabbitMQMailQueue;
    }

    @Override
    public void close() {
        channels.close();
        connections.close();
    }
}
