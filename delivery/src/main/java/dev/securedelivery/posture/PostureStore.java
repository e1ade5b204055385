package dev.securedelivery.posture;

import dev.securedelivery.delivery.FailureCause;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.HashSet;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The posture history of one node: per UTC day and destination domain, a {@link DomainPosture}.
 * Counted in memory at once; each day's counts are written to its file ({@link PostureFiles}) every
 * {@link #FLUSH_INTERVAL} while they change and at {@link #close()}. A crash loses at most the counts
 * of the last interval.
 *
 * <p>Bounded: at most {@code maxDomainsPerDay} domains a day, the rest counted together under
 * {@value #OTHER}; days older than {@code retentionDays} (today included) are forgotten and their
 * files deleted. A day file is thus at most {@code (maxDomainsPerDay + 2) * }{@value #MAX_LINE_CHARS}
 * characters, and no more is read back. A file or line that cannot be read does not stop James.
 */
public final class PostureStore implements PostureHistory {
    /** The bucket of the domains beyond the day's cap; no domain name holds parentheses. */
    public static final String OTHER = "(other)";

    /** The longest line read back: a domain name (253) and 32 counts fit many times over. */
    public static final int MAX_LINE_CHARS = PostureFiles.MAX_LINE_CHARS;

    public static final Duration FLUSH_INTERVAL = Duration.ofSeconds(10);

    /** The name {@link #byNode} gives a history opened without one. */
    public static final String THIS_NODE = "this-node";

    private static final Logger LOGGER = LoggerFactory.getLogger(PostureStore.class);

    private final PostureFiles files;
    private final String node;
    private final int retentionDays;
    private final int maxDomainsPerDay;
    private final Clock clock;
    private final boolean writable;
    private final TreeMap<LocalDate, Map<String, DomainPosture>> days = new TreeMap<>();
    private final Set<LocalDate> changed = new HashSet<>();
    private final ScheduledExecutorService writer;
    private int skippedLines;
    private boolean writeFailureLogged;

    private PostureStore(
            Path directory, int retentionDays, int maxDomainsPerDay, Clock clock, boolean writable, String node) {
        if (retentionDays < 1 || maxDomainsPerDay < 1) {
            throw new IllegalArgumentException("retentionDays and maxDomainsPerDay must be positive");
        }
        this.files = new PostureFiles(Objects.requireNonNull(directory, "directory"), writable, maxDomainsPerDay);
        this.retentionDays = retentionDays;
        this.maxDomainsPerDay = maxDomainsPerDay;
        this.clock = Objects.requireNonNull(clock, "clock");
        this.writable = writable;
        this.node = Objects.requireNonNull(node, "node");
        this.writer = writable
                ? Executors.newSingleThreadScheduledExecutor(task -> {
                    Thread thread = new Thread(task, "posture-writer");
                    thread.setDaemon(true);
                    return thread;
                })
                : null;
    }

    /**
     * Opens (creating it if need be) the history in {@code directory}, reading back the days still
     * within {@code retentionDays} and deleting older ones; then writes changed days every
     * {@link #FLUSH_INTERVAL} until {@link #close()}.
     */
    public static PostureStore open(Path directory, int retentionDays, int maxDomainsPerDay, Clock clock)
            throws IOException {
        return open(directory, retentionDays, maxDomainsPerDay, clock, THIS_NODE);
    }

    /** {@link #open(Path, int, int, Clock)}, the history of the node named {@code node} (for {@link #byNode}). */
    public static PostureStore open(Path directory, int retentionDays, int maxDomainsPerDay, Clock clock, String node)
            throws IOException {
        Files.createDirectories(directory);
        PostureStore store = new PostureStore(directory, retentionDays, maxDomainsPerDay, clock, true, node);
        store.load();
        long millis = FLUSH_INTERVAL.toMillis();
        store.writer.scheduleWithFixedDelay(store::flushQuietly, millis, millis, TimeUnit.MILLISECONDS);
        return store;
    }

    /**
     * The history in {@code directory} as last written, for reading only (the command line, while
     * James may be writing): nothing on disk is changed. A missing directory is an empty history.
     */
    public static PostureStore readOnly(Path directory, int retentionDays, int maxDomainsPerDay, Clock clock)
            throws IOException {
        PostureStore store = new PostureStore(directory, retentionDays, maxDomainsPerDay, clock, false, THIS_NODE);
        if (Files.isDirectory(directory)) {
            store.load();
        } else if (Files.exists(directory)) {
            throw new IOException(directory + " is not a directory");
        }
        return store;
    }

    /** The UTC day it is now. */
    @Override
    public LocalDate today() {
        return LocalDate.ofInstant(clock.instant(), ZoneOffset.UTC);
    }

    /** The first day kept: {@code retentionDays} days back, today included. */
    public LocalDate firstDayKept() {
        return today().minusDays(retentionDays - 1L);
    }

    /** A message to {@code domain} (lower-case A-labels) delivered today with {@code protection}. */
    @Override
    public void delivered(String domain, Protection protection, Publication publication) {
        synchronized (days) {
            DomainPosture posture = bucket(today(), domain, true);
            posture.delivered(protection, 1);
            posture.published(publication);
        }
    }

    /** A message to {@code domain} deferred today for {@code cause}. */
    @Override
    public void deferred(String domain, FailureCause cause, Publication publication) {
        synchronized (days) {
            DomainPosture posture = bucket(today(), domain, true);
            posture.deferred(cause, 1);
            posture.published(publication);
        }
    }

    /** A message to {@code domain} bounced today for {@code cause}. */
    @Override
    public void bounced(String domain, FailureCause cause, Publication publication) {
        synchronized (days) {
            DomainPosture posture = bucket(today(), domain, true);
            posture.bounced(cause, 1);
            posture.published(publication);
        }
    }

    /** Whether {@code domain} has counts of its own today (not only in the {@value #OTHER} bucket). */
    @Override
    public boolean countsToday(String domain) {
        synchronized (days) {
            Map<String, DomainPosture> domains = days.get(today());
            return !OTHER.equals(domain) && domains != null && domains.containsKey(domain);
        }
    }

    /**
     * What {@code domain} publishes, learnt apart from its messages (a DNS answer that came after they
     * were counted): kept with the domain's counts of today, if it has any. It never makes a row of its
     * own, so a day's domains stay those that had mail.
     */
    @Override
    public void published(String domain, Publication publication) {
        synchronized (days) {
            LocalDate today = today();
            Map<String, DomainPosture> domains = days.get(today);
            DomainPosture posture = domains == null ? null : domains.get(domain);
            if (posture != null) {
                posture.published(publication);
                changed.add(today);
            }
        }
    }

    // The domain's counts of the day, or the "other" bucket's once the day has its fill of domains.
    private DomainPosture bucket(LocalDate day, String domain, boolean change) {
        Map<String, DomainPosture> domains = days.computeIfAbsent(day, key -> new TreeMap<>());
        if (change) {
            changed.add(day);
        }
        DomainPosture posture = domains.get(domain);
        if (posture != null) {
            return posture;
        }
        int named = domains.size() - (domains.containsKey(OTHER) ? 1 : 0);
        String key = OTHER.equals(domain) || named >= maxDomainsPerDay ? OTHER : domain;
        return domains.computeIfAbsent(key, name -> new DomainPosture());
    }

    /** Copies of the days from {@code from} to {@code to} (both included) that have counts, each by domain. */
    @Override
    public SortedMap<LocalDate, SortedMap<String, DomainPosture>> between(LocalDate from, LocalDate to) {
        SortedMap<LocalDate, SortedMap<String, DomainPosture>> copy = new TreeMap<>();
        synchronized (days) {
            if (from.isAfter(to)) {
                return copy;
            }
            for (Map.Entry<LocalDate, Map<String, DomainPosture>> day :
                    days.subMap(from, true, to, true).entrySet()) {
                SortedMap<String, DomainPosture> domains = new TreeMap<>();
                day.getValue().forEach((domain, posture) -> domains.put(domain, posture.copy()));
                copy.put(day.getKey(), domains);
            }
        }
        return copy;
    }

    /** This node's history alone, under its node name. */
    @Override
    public SortedMap<String, SortedMap<LocalDate, SortedMap<String, DomainPosture>>> byNode(
            LocalDate from, LocalDate to) {
        SortedMap<String, SortedMap<LocalDate, SortedMap<String, DomainPosture>>> nodes = new TreeMap<>();
        nodes.put(node, between(from, to));
        return nodes;
    }

    /**
     * Lines skipped when the files were read back (garbled, too long, an unknown count), and files
     * set aside as unreadable, each counting one.
     */
    public int skippedLines() {
        synchronized (days) {
            return skippedLines;
        }
    }

    /** Writes every day changed since the last write, and forgets the days past retention. */
    public void flush() throws IOException {
        if (!writable) {
            return;
        }
        Map<LocalDate, Map<String, DomainPosture>> toWrite = new TreeMap<>();
        Set<LocalDate> forgotten;
        synchronized (days) {
            forgotten = new HashSet<>(days.headMap(firstDayKept()).keySet());
            days.keySet().removeAll(forgotten);
            changed.removeAll(forgotten);
            for (LocalDate day : changed) {
                Map<String, DomainPosture> domains = new TreeMap<>();
                days.get(day).forEach((domain, posture) -> domains.put(domain, posture.copy()));
                toWrite.put(day, domains);
            }
            changed.clear();
        }
        try {
            for (Map.Entry<LocalDate, Map<String, DomainPosture>> day : toWrite.entrySet()) {
                files.write(day.getKey(), day.getValue());
            }
        } catch (IOException e) {
            synchronized (days) {
                // Written next time: the counts are still in memory.
                changed.addAll(toWrite.keySet());
            }
            throw e;
        }
        for (LocalDate day : forgotten) {
            files.delete(day);
        }
    }

    private void flushQuietly() {
        try {
            flush();
            writeFailureLogged = false;
        } catch (IOException | RuntimeException e) {
            if (!writeFailureLogged) {
                LOGGER.error(
                        "secure-delivery: the posture history cannot be written to {}; kept in memory and"
                                + " tried again",
                        files.directory(),
                        e);
                writeFailureLogged = true;
            }
        }
    }

    private void load() throws IOException {
        skippedLines += files.readFrom(firstDayKept(), (day, domain, read) -> {
            synchronized (days) {
                DomainPosture posture = bucket(day, domain, false);
                posture.add(read);
                posture.published(OTHER.equals(domain) ? Publication.UNKNOWN : read.publication());
            }
        });
    }

    /** Writes what changed and stops the writer. */
    @Override
    public void close() throws IOException {
        if (!writable) {
            return;
        }
        writer.shutdown();
        try {
            writer.awaitTermination(FLUSH_INTERVAL.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        flush();
    }
}
