package dev.securedelivery.waiting;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * What every {@link WaitingList} does, whoever keeps it (one node's memory, a store the nodes share):
 * each implementation's test extends it. A message is claimed only once due, only from the waiting
 * room, by one claim at a time until the lease ends; deferred again, it replaces its entry; the view
 * sums up each domain.
 */
public abstract class WaitingListContract {
    protected static final Instant NOW = Instant.parse("2026-12-07T12:00:00Z");
    protected static final Duration LEASE = Duration.ofMinutes(2);

    /** The list, empty at a test's first call; a later call in the test sees the same list (as another node, where it is shared). */
    protected abstract WaitingList open() throws Exception;

    protected static WaitingMail waiting(String key, String domain, Instant due, int retries, String cause) {
        return new WaitingMail(key, "outgoing", domain, due, retries, cause, WaitingMail.Place.WAITING_ROOM);
    }

    @Test
    public void aMessageIsClaimedOnlyOnceDueAndSoonestFirst() throws Exception {
        WaitingList list = open();
        list.add(waiting("later", "a.example", NOW.plusSeconds(60), 1, "4.7.5 later"));
        list.add(waiting("sooner", "a.example", NOW.plusSeconds(30), 1, "4.7.5 sooner"));
        list.add(waiting("elsewhere", "b.example", NOW.plusSeconds(90), 1, "another domain")
                .dueAt(NOW.plusSeconds(30)));

        assertThat(list.claimDue("outgoing", NOW.plusSeconds(29), LEASE, 10)).isEmpty();
        assertThat(list.nextDue("outgoing")).contains(NOW.plusSeconds(30));
        List<WaitingMail> claimed = list.claimDue("outgoing", NOW.plusSeconds(90), LEASE, 2);
        assertThat(claimed).extracting(WaitingMail::key).containsExactly("elsewhere", "sooner");
        assertThat(claimed.get(1)).isEqualTo(waiting("sooner", "a.example", NOW.plusSeconds(30), 1, "4.7.5 sooner"));
        assertThat(list.claimDue("outgoing", NOW.plusSeconds(90), LEASE, 10))
                .extracting(WaitingMail::key)
                .containsExactly("later");
        assertThat(list.claimDue("other", NOW.plusSeconds(90), LEASE, 10)).isEmpty();
    }

    @Test
    public void aClaimHoldsUntilItsLeaseEndsThenAnotherClaimGetsTheMessage() throws Exception {
        WaitingList list = open();
        list.add(waiting("m", "a.example", NOW, 2, "why"));
        assertThat(list.claimDue("outgoing", NOW, LEASE, 10)).hasSize(1);

        WaitingList other = open();
        assertThat(other.claimDue("outgoing", NOW.plus(LEASE).minusSeconds(1), LEASE, 10))
                .isEmpty();
        assertThat(other.claimDue("outgoing", NOW.plus(LEASE).plusSeconds(1), LEASE, 10))
                .extracting(WaitingMail::key)
                .containsExactly("m");
    }

    @Test
    public void aMessageDeferredAgainReplacesItsEntryAndARemovedOneIsGone() throws Exception {
        WaitingList list = open();
        list.add(waiting("m", "a.example", NOW, 1, "first"));
        assertThat(list.claimDue("outgoing", NOW, LEASE, 10)).hasSize(1);
        // Put back later (a requeue that did not take, or a new deferral): unclaimed, due again later.
        list.add(waiting("m", "a.example", NOW.plusSeconds(300), 2, "second"));

        assertThat(list.size()).isEqualTo(1);
        assertThat(list.contains("m")).isTrue();
        assertThat(list.claimDue("outgoing", NOW.plusSeconds(299), LEASE, 10)).isEmpty();
        assertThat(list.claimDue("outgoing", NOW.plusSeconds(300), LEASE, 10))
                .singleElement()
                .satisfies(mail -> {
                    assertThat(mail.retries()).isEqualTo(2);
                    assertThat(mail.cause()).isEqualTo("second");
                });
        list.remove("m");
        list.remove("never-known");
        assertThat(list.size()).isZero();
        assertThat(list.contains("m")).isFalse();
        assertThat(list.nextDue("outgoing")).isEmpty();
    }

    @Test
    public void aMessageThatWaitsInTheQueueIsShownButNeverClaimed() throws Exception {
        WaitingList list = open();
        list.add(new WaitingMail("q", "outgoing", "a.example", NOW, 1, "in the queue", WaitingMail.Place.QUEUE));

        assertThat(list.claimDue("outgoing", NOW.plusSeconds(3600), LEASE, 10)).isEmpty();
        assertThat(list.nextDue("outgoing")).isEmpty();
        assertThat(list.byDomain(10))
                .singleElement()
                .satisfies(domain -> assertThat(domain.messages()).isEqualTo(1));
    }

    @Test
    public void theViewSumsUpEachDomainSoonestDueFirstCutAtItsLimit() throws Exception {
        WaitingList list = open();
        list.add(waiting("a1", "a.example", NOW.plusSeconds(100), 3, "a old"));
        list.add(waiting("a2", "a.example", NOW.plusSeconds(500), 1, "a new"));
        list.add(waiting("b1", "b.example", NOW.plusSeconds(50), 7, "b"));
        list.add(waiting("c1", "c.example", NOW.plusSeconds(900), 1, "c"));

        List<DomainWaiting> view = list.byDomain(2);

        assertThat(view).extracting(DomainWaiting::domain).containsExactly("b.example", "a.example");
        DomainWaiting a = view.get(1);
        assertThat(a.messages()).isEqualTo(2);
        assertThat(a.nextDue()).isEqualTo(NOW.plusSeconds(100));
        assertThat(a.lastCause()).isEqualTo("a new");
        assertThat(a.mostRetries()).isEqualTo(3);
    }

    @Test
    public void aCauseIsCappedAndAnEmptyOneKept() throws Exception {
        WaitingList list = open();
        list.add(waiting("long", "a.example", NOW, 1, "x".repeat(5_000)));
        list.add(waiting("none", "b.example", NOW, 1, null));

        assertThat(list.claimDue("outgoing", NOW, LEASE, 10))
                .extracting(WaitingMail::cause)
                .containsExactlyInAnyOrder("x".repeat(WaitingMail.MAX_CAUSE), "");
    }
}
