/**
 * Deferred mail and when it is due again.
 *
 * <p>A recipient deferred (RFC 5321 4.5.4.1: a temporary failure; RFC 8461 5.1 and RFC 7672 2.2 make
 * a failed MTA-STS or DANE check one) is tried again after the delay of its retry: the sender keeps
 * the message and chooses when. James's mail queues take that delay with the message, except
 * RabbitMQ's, which drops it and hands the message back at once. Where the queue drops delays, the
 * message waits outside it, in a James mail repository, and a {@link WaitingList} records when each
 * one is due; when it is, exactly one node puts it back in the queue.
 *
 * <p>The list is also what the operator sees waiting, per destination domain, whichever queue
 * holds the message: a queue that honours delays keeps the message and the list only its entry.
 */
package dev.securedelivery.waiting;
