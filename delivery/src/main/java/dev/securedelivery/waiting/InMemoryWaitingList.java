package dev.securedelivery.waiting;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One node's waiting list, in memory: what a node that works alone needs, since it rebuilds the list at
 * start from the messages its waiting room holds (each carries its due time). Claims still hold for
 * their lease, so that a requeue that did not finish is tried again only after it.
 */
public final class InMemoryWaitingList implements WaitingList {
    private final Map<String, WaitingMail> waiting = new HashMap<>();
    private final Map<String, Instant> claimedUntil = new HashMap<>();

    @Override
    public synchronized void add(WaitingMail mail) {
        waiting.put(mail.key(), mail);
        claimedUntil.remove(mail.key());
    }

    @Override
    public synchronized boolean contains(String key) {
        return waiting.containsKey(key);
    }

    @Override
    public synchronized void remove(String key) {
        waiting.remove(key);
        claimedUntil.remove(key);
    }

    @Override
    public synchronized List<WaitingMail> claimDue(String queue, Instant now, Duration lease, int max) {
        List<WaitingMail> due = new ArrayList<>();
        for (WaitingMail mail : waiting.values()) {
            Instant claim = claimedUntil.get(mail.key());
            if (mail.queue().equals(queue)
                    && mail.place() == WaitingMail.Place.WAITING_ROOM
                    && !mail.due().isAfter(now)
                    && (claim == null || !claim.isAfter(now))) {
                due.add(mail);
            }
        }
        due.sort(Comparator.comparing(WaitingMail::due).thenComparing(WaitingMail::key));
        List<WaitingMail> claimed = new ArrayList<>(due.subList(0, Math.min(max, due.size())));
        for (WaitingMail mail : claimed) {
            claimedUntil.put(mail.key(), now.plus(lease));
        }
        return claimed;
    }

    @Override
    public synchronized Optional<Instant> nextDue(String queue) {
        return waiting.values().stream()
                .filter(mail -> mail.queue().equals(queue) && mail.place() == WaitingMail.Place.WAITING_ROOM)
                .map(WaitingMail::due)
                .min(Comparator.naturalOrder());
    }

    @Override
    public synchronized List<DomainWaiting> byDomain(int limit) {
        Map<String, List<WaitingMail>> byDomain = new LinkedHashMap<>();
        waiting.values()
                .forEach(mail -> byDomain.computeIfAbsent(mail.domain(), domain -> new ArrayList<>())
                        .add(mail));
        List<DomainWaiting> view = new ArrayList<>();
        byDomain.forEach((domain, mails) -> view.add(summary(domain, mails)));
        view.sort(Comparator.comparing(DomainWaiting::nextDue).thenComparing(DomainWaiting::domain));
        return new ArrayList<>(view.subList(0, Math.min(limit, view.size())));
    }

    @Override
    public synchronized long size() {
        return waiting.size();
    }

    // The cause of the message due last: the one deferred most recently, as good as can be told.
    private static DomainWaiting summary(String domain, List<WaitingMail> mails) {
        WaitingMail soonest =
                mails.stream().min(Comparator.comparing(WaitingMail::due)).orElseThrow();
        WaitingMail latest =
                mails.stream().max(Comparator.comparing(WaitingMail::due)).orElseThrow();
        int retries = mails.stream().mapToInt(WaitingMail::retries).max().orElse(0);
        return new DomainWaiting(domain, mails.size(), soonest.due(), latest.cause(), retries);
    }
}
