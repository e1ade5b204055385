package dev.securedelivery.smtp;

import java.util.Optional;

/**
 * An enhanced mail system status code (RFC 3463): {@code class.subject.detail}, e.g. {@code 5.1.1}
 * "bad destination mailbox address". The class says what the sender should do: 2 success, 4 try
 * again later (persistent transient failure), 5 give up (permanent failure). A value, never text:
 * it is read once from a server's reply ({@link #parse}) or chosen by this code, and only ever
 * written out ({@link #toString}).
 */
public final class EnhancedStatus {
    public static final EnhancedStatus DELIVERED = new EnhancedStatus(2, 0, 0);
    /** X.0.0: other or undefined status. */
    public static final EnhancedStatus TRANSIENT = new EnhancedStatus(4, 0, 0);

    public static final EnhancedStatus PERMANENT = new EnhancedStatus(5, 0, 0);

    private final int statusClass;
    private final int subject;
    private final int detail;

    private EnhancedStatus(int statusClass, int subject, int detail) {
        if (statusClass != 2 && statusClass != 4 && statusClass != 5) {
            throw new IllegalArgumentException("class must be 2, 4 or 5, got " + statusClass);
        }
        // RFC 3463 2: subject and detail are 1 to 3 digits.
        if (subject < 0 || subject > 999 || detail < 0 || detail > 999) {
            throw new IllegalArgumentException("subject and detail must be 0..999, got " + subject + "." + detail);
        }
        this.statusClass = statusClass;
        this.subject = subject;
        this.detail = detail;
    }

    public static EnhancedStatus of(int statusClass, int subject, int detail) {
        return new EnhancedStatus(statusClass, subject, detail);
    }

    /** A transient failure {@code 4.subject.detail}. */
    public static EnhancedStatus transientFailure(int subject, int detail) {
        return new EnhancedStatus(4, subject, detail);
    }

    /** A permanent failure {@code 5.subject.detail}. */
    public static EnhancedStatus permanentFailure(int subject, int detail) {
        return new EnhancedStatus(5, subject, detail);
    }

    /**
     * The code at the start of {@code text} (an SMTP reply's text after its three-digit code, RFC
     * 2034 4), if it starts with one followed by a space or its end.
     */
    public static Optional<EnhancedStatus> parse(String text) {
        int[] parts = new int[3];
        int at = 0;
        for (int part = 0; part < 3; part++) {
            int start = at;
            int value = 0;
            while (at < text.length() && at - start < (part == 0 ? 1 : 3) && isDigit(text.charAt(at))) {
                value = value * 10 + (text.charAt(at) - '0');
                at++;
            }
            if (at == start) {
                return Optional.empty();
            }
            parts[part] = value;
            if (part < 2) {
                if (at >= text.length() || text.charAt(at) != '.') {
                    return Optional.empty();
                }
                at++;
            }
        }
        if (at < text.length() && text.charAt(at) != ' ') {
            return Optional.empty();
        }
        if (parts[0] != 2 && parts[0] != 4 && parts[0] != 5) {
            return Optional.empty();
        }
        return Optional.of(new EnhancedStatus(parts[0], parts[1], parts[2]));
    }

    static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    /** 2, 4 or 5. */
    public int statusClass() {
        return statusClass;
    }

    public int subject() {
        return subject;
    }

    public int detail() {
        return detail;
    }

    public boolean isPermanent() {
        return statusClass == 5;
    }

    public boolean isSuccess() {
        return statusClass == 2;
    }

    /** The same subject and detail as a transient failure (4.x.x). */
    public EnhancedStatus asTransient() {
        return statusClass == 4 ? this : new EnhancedStatus(4, subject, detail);
    }

    /** The same subject and detail as a permanent failure (5.x.x): a transient one given up on (RFC 3463 3.1). */
    public EnhancedStatus asPermanent() {
        return statusClass == 5 ? this : new EnhancedStatus(5, subject, detail);
    }

    @Override
    public boolean equals(Object other) {
        if (!(other instanceof EnhancedStatus)) {
            return false;
        }
        EnhancedStatus that = (EnhancedStatus) other;
        return statusClass == that.statusClass && subject == that.subject && detail == that.detail;
    }

    @Override
    public int hashCode() {
        return (statusClass * 1000 + subject) * 1000 + detail;
    }

    @Override
    public String toString() {
        return statusClass + "." + subject + "." + detail;
    }
}
