package dev.securedelivery.dashboard;

import dev.securedelivery.peertext.PeerText;
import dev.securedelivery.waiting.DomainWaiting;
import java.util.ArrayList;
import java.util.List;

/**
 * The messages waiting now to be tried again ({@code #waiting-table}), per destination domain: how
 * many, when the next is due, the most retries spent, and the cause of the latest deferral. At most
 * {@link DashboardPage#MAX_DOMAINS} domains, the soonest due first. Unlike the rest of the page, it is
 * the present, not the period. The template reads the fields by name.
 */
final class WaitingTable {
    private static final int MAX_CAUSE = 200;

    final List<Row> rows;
    /** "3 more domains not shown.", or null. */
    final String more;

    private WaitingTable(List<Row> rows, String more) {
        this.rows = rows;
        this.more = more;
    }

    /** The table of {@code waiting}, or null if nothing waits (the page says so instead). */
    static WaitingTable of(List<DomainWaiting> waiting) {
        if (waiting.isEmpty()) {
            return null;
        }
        List<Row> rows = new ArrayList<>();
        for (DomainWaiting domain : waiting.subList(0, Math.min(waiting.size(), DashboardPage.MAX_DOMAINS))) {
            rows.add(new Row(domain));
        }
        return new WaitingTable(
                List.copyOf(rows), DashboardPage.notShown(waiting.size(), DashboardPage.MAX_DOMAINS, "domains"));
    }

    /** One destination domain: {@code <tr data-waiting-domain=...>}. */
    static final class Row {
        final String domain;
        final CountCell messages;
        final String nextDue;
        final CountCell retries;
        final String cause;

        Row(DomainWaiting waiting) {
            this.domain = waiting.domain();
            this.messages = CountCell.of("waiting", waiting.messages());
            this.nextDue = PageView.MINUTE.format(waiting.nextDue());
            this.retries = CountCell.of("retries", waiting.mostRetries());
            this.cause = PeerText.clean(waiting.lastCause(), MAX_CAUSE);
        }
    }
}
