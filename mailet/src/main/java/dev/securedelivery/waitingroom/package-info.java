/**
 * Deferred mail tried again on schedule, on every James mail queue.
 *
 * <p>A deferred message goes back to James's outgoing queue with the delay of its retry ({@code
 * delayTime}), and the queue holds it until then: James's memory, ActiveMQ, JMS and file queues do.
 * RabbitMQ's queue (the distributed server's, and postgres-app's with {@code rabbitmq.properties})
 * drops the delay: the message would come back at once, and the retries be spent in seconds. Which
 * kind the queue is is detected from its class ({@link QueueDelaySupport}), or set by the mailet's
 * {@code queueDelays}, and said in the start log.
 *
 * <p>Where delays are dropped, a deferred message waits in the {@link WaitingRoom}, a James mail
 * repository (the server's own, distributed in the clustered servers), and the {@link
 * dev.securedelivery.waiting.WaitingList} records when it is due; when it is, one node puts it back
 * in the queue. Either way the list shows the operator what waits ({@code GET
 * /secure-delivery/deferred}, the dashboard).
 */
package dev.securedelivery.waitingroom;
