package dev.securedelivery.waitingroom;

import dev.securedelivery.waiting.WaitingList;
import dev.securedelivery.waiting.WaitingMail;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import org.apache.james.queue.api.MailQueue;
import org.apache.james.transport.mailets.remote.delivery.DeliveryRetriesHelper;
import org.apache.mailet.Mail;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A queue that honours delays holds the deferred message until it is due; the waiting list only
 * records it, for the operator's view, and forgets it when the message is taken for delivery. The
 * list failing costs nothing but the view.
 */
public final class QueueDelay implements DelayedRequeue {
    private static final Logger LOGGER = LoggerFactory.getLogger(QueueDelay.class);

    private final MailQueue queue;
    private final WaitingList list;
    private final Clock clock;

    public QueueDelay(MailQueue queue, WaitingList list, Clock clock) {
        this.queue = queue;
        this.list = list;
        this.clock = clock;
    }

    @Override
    public void requeue(Mail copy, String domain, Duration delay, String cause) throws Exception {
        queue.enQueue(copy, delay);
        try {
            list.add(new WaitingMail(
                    copy.getName(),
                    queue.getName().asString(),
                    domain,
                    clock.instant().plus(delay),
                    DeliveryRetriesHelper.retrieveRetries(copy),
                    cause,
                    WaitingMail.Place.QUEUE));
        } catch (IOException | RuntimeException e) {
            LOGGER.debug("SecureRemoteDelivery: {} waits in the queue, but is not in the view: {}", copy.getName(), e);
        }
    }

    @Override
    public void taken(Mail mail) {
        try {
            list.remove(mail.getName());
        } catch (IOException | RuntimeException e) {
            LOGGER.debug(
                    "SecureRemoteDelivery: {} is no longer waiting, but is still in the view: {}", mail.getName(), e);
        }
    }

    @Override
    public String describe() {
        return "in the queue " + queue.getName().asString() + ", which holds it for its delay";
    }
}
