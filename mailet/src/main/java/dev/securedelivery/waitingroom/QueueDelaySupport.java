package dev.securedelivery.waitingroom;

import java.util.List;
import java.util.Locale;
import javax.mail.MessagingException;
import org.apache.james.queue.api.MailQueue;

/**
 * Whether a James mail queue holds a message for the delay it is given ({@code enQueue(mail, delay)}):
 * set by the mailet's {@code queueDelays} ({@code honoured} or {@code dropped}), or, by default
 * ({@code auto}), told from the queue's class. James's memory, ActiveMQ, JMS and file queues honour
 * delays; RabbitMQ's drops them ({@code RabbitMQMailQueue.enQueue} logs "Ignored delay upon enqueue").
 * A queue of a class not known here is not trusted with a delay: its deferred mail waits in the
 * waiting room, and the start log says so.
 */
public final class QueueDelaySupport {
    /** The mailet parameter. */
    public static final String PARAMETER = "queueDelays";

    // Package prefixes of James's queues, 3.8 and 3.9 (the class names are the same in both).
    private static final List<String> HONOURING = List.of(
            "org.apache.james.queue.memory.",
            "org.apache.james.queue.activemq.",
            "org.apache.james.queue.jms.",
            "org.apache.james.queue.file.");
    private static final List<String> DROPPING = List.of("org.apache.james.queue.rabbitmq.");

    private final boolean honoured;
    private final String reason;

    private QueueDelaySupport(boolean honoured, String reason) {
        this.honoured = honoured;
        this.reason = reason;
    }

    /**
     * What {@code parameter} (the mailet's {@code queueDelays}, null for the default) says of {@code
     * queue}.
     *
     * @throws MessagingException for a value other than {@code auto}, {@code honoured}, {@code dropped}
     */
    public static QueueDelaySupport of(MailQueue queue, String parameter) throws MessagingException {
        String value = parameter == null ? "auto" : parameter.trim().toLowerCase(Locale.ROOT);
        String type = queue.getClass().getName();
        switch (value) {
            case "honoured":
                return new QueueDelaySupport(true, "queueDelays=honoured: the queue (" + type + ") holds them");
            case "dropped":
                return new QueueDelaySupport(false, "queueDelays=dropped");
            case "auto":
                return detected(type);
            default:
                throw new MessagingException("SecureRemoteDelivery: " + PARAMETER
                        + " must be auto, honoured or dropped, got \"" + parameter + "\"");
        }
    }

    private static QueueDelaySupport detected(String type) {
        for (String prefix : DROPPING) {
            if (type.startsWith(prefix)) {
                return new QueueDelaySupport(false, "the queue (" + type + ") drops delays");
            }
        }
        for (String prefix : HONOURING) {
            if (type.startsWith(prefix)) {
                return new QueueDelaySupport(true, "the queue (" + type + ") honours delays");
            }
        }
        return new QueueDelaySupport(
                false,
                "the queue (" + type + ") is not one known to honour delays (set " + PARAMETER
                        + "=honoured if it does)");
    }

    /** Whether the queue holds a message for its delay. */
    public boolean honoured() {
        return honoured;
    }

    /** Why it was decided so, for the start log. */
    public String reason() {
        return reason;
    }
}
