package dev.securedelivery.dashboard;

import dev.securedelivery.posture.Protection;
import java.util.List;

/**
 * One of the period's totals at the top of the page ({@code #summary}): a label, the figure (its
 * digits repeated in {@code data-value}, or for a share its count in {@code data-count}) and what it
 * counts. The template reads the fields by name.
 */
final class SummaryCard {
    final String label;
    final String id;
    /** {@code data-value} (the figure shown) or {@code data-count} (the count behind a share). */
    final String attribute;

    final long data;
    final String value;
    final String unit;

    private SummaryCard(String label, String id, String attribute, long data, String value, String unit) {
        this.label = label;
        this.id = id;
        this.attribute = attribute;
        this.data = data;
        this.value = value;
        this.unit = unit;
    }

    /** The cards of the period's {@code total}, left to right. */
    static List<SummaryCard> of(DashboardData.Day total) {
        long delivered = total.delivered().total();
        long authenticated = 0;
        long encrypted = 0;
        for (Protection protection : Protection.values()) {
            long count = total.delivered().get(protection);
            authenticated += protection.authenticated() ? count : 0;
            encrypted += protection != Protection.PLAINTEXT ? count : 0;
        }
        return List.of(
                count("total-delivered", "Delivered", delivered, "messages"),
                share("share-authenticated", "Authenticated", authenticated, delivered, "DANE, MTA-STS or PKIX"),
                share("share-encrypted", "Encrypted", encrypted, delivered, "any TLS"),
                count(
                        "total-plaintext",
                        "Plaintext",
                        total.delivered().get(Protection.PLAINTEXT),
                        "messages sent unencrypted"),
                // The posture history counts each time a delivery attempt left a message queued, not messages.
                count(
                        "total-deferred",
                        "Deferrals",
                        total.deferred(),
                        "deferral attempts; a message deferred twice counts twice"),
                count("total-bounced", "Bounced", total.bounced(), "returned to the sender"));
    }

    private static SummaryCard count(String id, String label, long value, String unit) {
        return new SummaryCard(label, id, "data-value", value, Long.toString(value), unit);
    }

    private static SummaryCard share(String id, String label, long part, long whole, String unit) {
        return new SummaryCard(
                label, id, "data-count", part, DashboardPage.share(part, whole), part + " messages, " + unit);
    }
}
