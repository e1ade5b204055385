package dev.securedelivery.webadmin;

import static org.assertj.core.api.Assertions.assertThat;

import dev.securedelivery.waiting.InMemoryWaitingList;
import dev.securedelivery.waiting.WaitingMail;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The JSON of {@code /secure-delivery/deferred}: what waits, per destination domain. */
class DeferredViewTest {
    private static final Instant NOW = Instant.parse("2026-12-07T12:00:00Z");

    @Test
    void eachDomainShowsItsCountNextDueRetriesAndLatestCause() throws Exception {
        InMemoryWaitingList waiting = new InMemoryWaitingList();
        waiting.add(new WaitingMail(
                "a1", "outgoing", "a.test", NOW.plusSeconds(60), 1, "4.2.1 busy", WaitingMail.Place.WAITING_ROOM));
        waiting.add(new WaitingMail(
                "a2", "outgoing", "a.test", NOW.plusSeconds(900), 4, "4.7.5 tlsa-invalid", WaitingMail.Place.QUEUE));
        waiting.add(new WaitingMail(
                "b1", "outgoing", "b.test", NOW.plusSeconds(30), 2, "4.4.1 no answer", WaitingMail.Place.QUEUE));

        Map<String, Object> all = SecureDeliveryViews.deferred(waiting.size(), waiting.byDomain(10), null);
        Map<String, Object> one = SecureDeliveryViews.deferred(waiting.size(), waiting.byDomain(10), "a.test");

        assertThat(all.get("messages")).isEqualTo(3L);
        assertThat((List<?>) all.get("domains")).hasSize(2);
        assertThat(((List<?>) one.get("domains")))
                .singleElement()
                .isEqualTo(Map.of(
                        "domain", "a.test",
                        "messages", 2L,
                        "nextDue", "2026-12-07T12:01:00Z",
                        "retries", 4,
                        "lastCause", "4.7.5 tlsa-invalid"));
    }
}
