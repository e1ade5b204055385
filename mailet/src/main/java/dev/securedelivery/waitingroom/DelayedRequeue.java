package dev.securedelivery.waitingroom;

import java.time.Duration;
import org.apache.mailet.Mail;

/**
 * Puts a deferred message back to be tried again after its delay, and never before: by the queue's
 * own delay where the queue honours one ({@link QueueDelay}), else by the {@link WaitingRoom}.
 */
public interface DelayedRequeue {
    /**
     * Puts {@code copy}, for {@code domain}, back after {@code delay}; {@code cause} (cleaned) is why
     * it waits, for the operator's view. Once this returns, the copy is kept: in the queue or in the
     * waiting room.
     *
     * @throws Exception when neither takes it: the caller still holds the message
     */
    void requeue(Mail copy, String domain, Duration delay, String cause) throws Exception;

    /** {@code mail} is being delivered now: it no longer waits. Never throws. */
    void taken(Mail mail);

    /** How deferred mail waits, for the start log. */
    String describe();
}
