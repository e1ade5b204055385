package dev.securedelivery.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.securedelivery.testing.TestClock;
import dev.securedelivery.waiting.WaitingList;
import dev.securedelivery.waiting.WaitingListContract;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The waiting list in a real PostgreSQL: the contract (each call to {@link #open} another node on the
 * same database), and two nodes claiming at the same moment, each message claimed once.
 */
class PostgresWaitingListTest extends WaitingListContract {
    private TestDatabase database;
    private int nodes;

    @BeforeEach
    void createDatabase() throws Exception {
        database = TestDatabase.create();
    }

    @AfterEach
    void closeStores() {
        database.close();
    }

    @Override
    protected WaitingList open() throws Exception {
        return database.open("node" + (++nodes), new TestClock(NOW)).waitingList();
    }

    @Test
    void twoNodesClaimingAtOnceNeverGetTheSameMessage() throws Exception {
        WaitingList one = open();
        WaitingList two = open();
        for (int i = 0; i < 200; i++) {
            one.add(waiting("m" + i, "a.example", NOW, 1, "why"));
        }
        Set<String> claimed = ConcurrentHashMap.newKeySet();
        List<String> twice = new ArrayList<>();
        CountDownLatch start = new CountDownLatch(1);
        ExecutorService claimers = Executors.newFixedThreadPool(2);
        List<Future<?>> running = new ArrayList<>();
        for (WaitingList list : List.of(one, two)) {
            running.add(claimers.submit(() -> {
                start.await();
                List<dev.securedelivery.waiting.WaitingMail> got;
                while (!(got = list.claimDue("outgoing", NOW, LEASE, 7)).isEmpty()) {
                    for (dev.securedelivery.waiting.WaitingMail mail : got) {
                        if (!claimed.add(mail.key())) {
                            synchronized (twice) {
                                twice.add(mail.key());
                            }
                        }
                    }
                }
                return null;
            }));
        }
        start.countDown();
        for (Future<?> claimer : running) {
            claimer.get();
        }
        claimers.shutdown();

        assertThat(twice).isEmpty();
        assertThat(claimed).hasSize(200);
    }
}
