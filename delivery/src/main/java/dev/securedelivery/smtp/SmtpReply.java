package dev.securedelivery.smtp;

import dev.securedelivery.peertext.PeerText;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * One reply of an SMTP server (RFC 5321 4.2): its three-digit code, the enhanced status code its
 * text starts with if any (RFC 2034), and its text lines, cleaned ({@link PeerText}). The code
 * decides; the text is only ever shown.
 */
public final class SmtpReply {
    private final int code;
    private final EnhancedStatus status;
    private final List<String> lines;

    private SmtpReply(int code, EnhancedStatus status, List<String> lines) {
        this.code = code;
        this.status = status;
        this.lines = List.copyOf(lines);
    }

    /**
     * A reply with {@code code} (200..599) and {@code lines} as received (the text after the code and
     * separator). Its enhanced status is the one its first line starts with, kept only where its
     * class agrees with the code's (RFC 3463 2: they must agree); otherwise X.0.0 of the code's class.
     */
    public static SmtpReply of(int code, List<String> lines) {
        if (code < 200 || code > 599) {
            throw new IllegalArgumentException("not an SMTP reply code: " + code);
        }
        int replyClass = code / 100;
        Optional<EnhancedStatus> given = lines.isEmpty() ? Optional.empty() : EnhancedStatus.parse(lines.get(0));
        EnhancedStatus status = given.filter(
                        parsed -> parsed.statusClass() == replyClass || (replyClass == 3 && parsed.isSuccess()))
                .orElse(null);
        if (status == null) {
            status = replyClass == 5
                    ? EnhancedStatus.PERMANENT
                    : replyClass == 4 ? EnhancedStatus.TRANSIENT : EnhancedStatus.DELIVERED;
        }
        return new SmtpReply(code, status, lines.stream().map(PeerText::clean).collect(Collectors.toList()));
    }

    public int code() {
        return code;
    }

    /**
     * A 2xx: the command was done (RFC 5321 4.2.1). The only reply that means success for every
     * command but DATA, whose success is exactly 354 ({@link #isStartMailInput}).
     */
    public boolean isPositiveCompletion() {
        return code >= 200 && code < 300;
    }

    /** Exactly 354, "start mail input": the one reply after which the content may be sent (RFC 5321 4.3.2). */
    public boolean isStartMailInput() {
        return code == 354;
    }

    public boolean isTransientFailure() {
        return code >= 400 && code < 500;
    }

    public boolean isPermanentFailure() {
        return code >= 500;
    }

    /** The enhanced status code: the server's, or X.0.0 of the reply's class. */
    public EnhancedStatus status() {
        return status;
    }

    /** The text lines, cleaned. */
    public List<String> lines() {
        return lines;
    }

    /** Whether a line of an EHLO reply names {@code keyword} as an extension (case-insensitive, RFC 5321 2.4). */
    public boolean offers(String keyword) {
        for (int i = 1; i < lines.size(); i++) {
            String line = lines.get(i);
            int end = line.indexOf(' ');
            String name = end < 0 ? line : line.substring(0, end);
            if (name.equalsIgnoreCase(keyword)) {
                return true;
            }
        }
        return false;
    }

    /** The reply on one line, capped: {@code 550 5.1.1 no such user}. */
    @Override
    public String toString() {
        return PeerText.clean(code + " " + String.join(" ", lines));
    }
}
