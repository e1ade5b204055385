package dev.securedelivery.delivery;

import dev.securedelivery.policy.DomainName;
import dev.securedelivery.requiretls.MessageSecurity;
import dev.securedelivery.smtp.MessageContent;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * One message on its way to one destination domain: a name for the logs, the reverse-path (empty
 * for the null sender), the recipients (all in {@code destination}), the content as bytes, what the
 * message itself demands of its transport, and whether its sessions count in TLS reports (a report's
 * own delivery does not, RFC 8460 5.3).
 */
public final class Envelope {
    private final String name;
    private final DomainName destination;
    private final String sender;
    private final List<String> recipients;
    private final MessageContent content;
    private final MessageSecurity security;
    private final boolean reported;

    private Envelope(
            String name,
            DomainName destination,
            String sender,
            List<String> recipients,
            MessageContent content,
            MessageSecurity security,
            boolean reported) {
        this.name = Objects.requireNonNull(name, "name");
        this.destination = Objects.requireNonNull(destination, "destination");
        this.sender = sender == null || sender.isEmpty() ? null : sender;
        // A recipient named twice gets one copy and one fate.
        this.recipients = List.copyOf(new LinkedHashSet<>(recipients));
        if (this.recipients.isEmpty()) {
            throw new IllegalArgumentException("an envelope needs a recipient");
        }
        this.content = Objects.requireNonNull(content, "content");
        this.security = Objects.requireNonNull(security, "security");
        this.reported = reported;
    }

    /** An envelope whose sessions count in TLS reports and whose message demands nothing of its own. */
    public static Envelope of(
            String name, DomainName destination, String sender, List<String> recipients, MessageContent content) {
        return new Envelope(name, destination, sender, recipients, content, MessageSecurity.NONE, true);
    }

    public Envelope withSecurity(MessageSecurity demands) {
        return new Envelope(name, destination, sender, recipients, content, demands, reported);
    }

    /** The same message, its sessions not counted in TLS reports (a report's own delivery). */
    public Envelope unreported() {
        return new Envelope(name, destination, sender, recipients, content, security, false);
    }

    /** The same message for some of its recipients. */
    Envelope forRecipients(List<String> some) {
        return new Envelope(name, destination, sender, some, content, security, reported);
    }

    public String name() {
        return name;
    }

    public DomainName destination() {
        return destination;
    }

    /** The reverse-path; empty for the null sender. */
    public Optional<String> sender() {
        return Optional.ofNullable(sender);
    }

    public List<String> recipients() {
        return recipients;
    }

    public MessageContent content() {
        return content;
    }

    public MessageSecurity security() {
        return security;
    }

    public boolean reported() {
        return reported;
    }
}
