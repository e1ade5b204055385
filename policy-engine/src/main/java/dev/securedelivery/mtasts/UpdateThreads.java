package dev.securedelivery.mtasts;

import java.util.concurrent.Executor;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The threads MTA-STS updates run on: {@code shared} of them for every domain's work, and for each
 * policy fetch that has run longer than {@code slowAfterMillis} (a policy host that trickles, or a
 * black hole that accepted the connection and never answers) a thread of its own from a separate
 * budget of {@code slowBudget}. A slow fetch then holds only its own domain's place: the shared
 * threads go on with other domains. Once the budget is spent, further slow fetches keep their
 * shared thread, so that there are never more than {@code shared + slowBudget} threads. Threads
 * are made as they are needed and end after a minute without work.
 *
 * <p>The {@code _mta-sts} TXT lookup holds no thread (it is asynchronous); the fetch does, the
 * policy host's address lookup in it included, since HttpClient connects with blocking sockets.
 */
final class UpdateThreads implements Executor {
    private final ThreadPoolExecutor pool;
    private final ScheduledExecutorService timer;
    private final int shared;
    private final int slowBudget;
    private final long slowAfterMillis;
    /** Fetches now counted as slow, each with a thread of the slow budget; guarded by this. */
    private int slow;

    UpdateThreads(int shared, int slowBudget, long slowAfterMillis, ThreadFactory threads, ThreadFactory timerThread) {
        this.shared = shared;
        this.slowBudget = slowBudget;
        this.slowAfterMillis = slowAfterMillis;
        this.pool = new ThreadPoolExecutor(shared, shared, 60, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), threads);
        pool.allowCoreThreadTimeOut(true);
        ScheduledThreadPoolExecutor marks = new ScheduledThreadPoolExecutor(1, timerThread);
        // A fetch that ends in time cancels its mark: gone from the queue at once, not kept until it is due.
        marks.setRemoveOnCancelPolicy(true);
        this.timer = marks;
    }

    /** Runs {@code task} on one of the threads, after the tasks given before it. */
    @Override
    public void execute(Runnable task) {
        pool.execute(task);
    }

    /** What an update does while it holds its thread for a fetch. */
    interface Fetch<T, E extends Exception> {
        T run() throws E;
    }

    /**
     * Runs {@code fetch} on the calling update thread; should it take longer than the slow threshold,
     * the thread counts against the slow budget from then on and the shared threads get a new one.
     */
    <T, E extends Exception> T fetch(Fetch<T, E> fetch) throws E {
        SlowMark mark = new SlowMark();
        ScheduledFuture<?> due = null;
        if (slowBudget > 0) {
            try {
                due = timer.schedule(() -> becameSlow(mark), slowAfterMillis, TimeUnit.MILLISECONDS);
            } catch (RejectedExecutionException e) {
                // Shutting down: the fetch is cut short anyway.
            }
        }
        try {
            return fetch.run();
        } finally {
            if (due != null) {
                due.cancel(false);
            }
            ended(mark);
        }
    }

    /** Threads that are counted as slow now; for tests. */
    synchronized int slowNow() {
        return slow;
    }

    private synchronized void becameSlow(SlowMark mark) {
        if (mark.ended || slow == slowBudget) {
            return;
        }
        mark.slow = true;
        slow++;
        // Maximum before core when growing, core before maximum when shrinking: core may never exceed it.
        pool.setMaximumPoolSize(shared + slow);
        pool.setCorePoolSize(shared + slow);
    }

    private synchronized void ended(SlowMark mark) {
        mark.ended = true;
        if (mark.slow) {
            slow--;
            // The thread that ran the slow fetch is now one too many; it ends when it is next idle.
            pool.setCorePoolSize(shared + slow);
            pool.setMaximumPoolSize(shared + slow);
        }
    }

    void shutdownNow() {
        timer.shutdownNow();
        pool.shutdownNow();
    }

    /** The state of one fetch, guarded by the enclosing instance. */
    private static final class SlowMark {
        boolean slow;
        boolean ended;
    }
}
