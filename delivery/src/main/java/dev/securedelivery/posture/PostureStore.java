package dev.securedelivery.posture;

import dev.securedelivery.delivery.FailureCause;
import dev.securedelivery.mtasts.DomainNames;
import dev.securedelivery.tlsrpt.BoundedLineReader;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Writer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.HashSet;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The posture history of one node: per UTC day and destination domain, a {@link DomainPosture}.
 * Counted in memory at once; each day is a file of its own ({@code <directory>/YYYY-MM-DD.posture}),
 * rewritten whole (a temporary file, forced to disk, renamed over the old one) every
 * {@link #FLUSH_INTERVAL} while it changes and at {@link #close()}. A crash loses at most the
 * counts of the last interval; a file is always whole, the old one or the new.
 *
 * <p>Bounded: at most {@code maxDomainsPerDay} domains a day, the rest counted together under
 * {@value #OTHER}; days older than {@code retentionDays} (today included) are forgotten and their
 * files deleted. A day file is thus at most {@code (maxDomainsPerDay + 2) * }{@value #MAX_LINE_CHARS}
 * characters. Reading one back, a line that cannot be read (garbled, over {@value #MAX_LINE_CHARS}
 * characters, an unknown count) is skipped and logged; a file without the expected first line is
 * set aside as {@code YYYY-MM-DD.posture.unreadable} and its day starts empty. Neither stops James.
 *
 * <p>File format, UTF-8, one domain a line, tab-separated:
 * <pre>
 * secure-delivery-posture 1
 * example.com  1?0  delivered.dane=12  deferred.connection-or-smtp=1  bounced.starttls-not-supported=2
 * </pre>
 * The second field says what the domain publishes: MTA-STS, DANE, TLS-RPT, each {@code 1} yes,
 * {@code 0} no, {@code ?} unknown.
 */
public final class PostureStore implements Closeable {
    /** The bucket of the domains beyond the day's cap; no domain name holds parentheses. */
    public static final String OTHER = "(other)";

    /** The longest line read back: a domain name (253) and 32 counts fit many times over. */
    public static final int MAX_LINE_CHARS = 4096;

    public static final Duration FLUSH_INTERVAL = Duration.ofSeconds(10);

    static final String HEADER = "secure-delivery-posture 1";
    private static final String SUFFIX = ".posture";
    private static final Pattern DAY_FILE = Pattern.compile("\\d{4}-\\d{2}-\\d{2}\\.posture");
    private static final Pattern COUNT = Pattern.compile("[0-9]{1,15}");
    private static final Logger LOGGER = LoggerFactory.getLogger(PostureStore.class);

    private final Path directory;
    private final int retentionDays;
    private final int maxDomainsPerDay;
    private final Clock clock;
    private final boolean writable;
    private final TreeMap<LocalDate, Map<String, DomainPosture>> days = new TreeMap<>();
    private final Set<LocalDate> changed = new HashSet<>();
    private final ScheduledExecutorService writer;
    private int skippedLines;
    private boolean writeFailureLogged;

    private PostureStore(Path directory, int retentionDays, int maxDomainsPerDay, Clock clock, boolean writable) {
        if (retentionDays < 1 || maxDomainsPerDay < 1) {
            throw new IllegalArgumentException("retentionDays and maxDomainsPerDay must be positive");
        }
        this.directory = Objects.requireNonNull(directory, "directory");
        this.retentionDays = retentionDays;
        this.maxDomainsPerDay = maxDomainsPerDay;
        this.clock = Objects.requireNonNull(clock, "clock");
        this.writable = writable;
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
        Files.createDirectories(directory);
        PostureStore store = new PostureStore(directory, retentionDays, maxDomainsPerDay, clock, true);
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
        PostureStore store = new PostureStore(directory, retentionDays, maxDomainsPerDay, clock, false);
        if (Files.isDirectory(directory)) {
            store.load();
        } else if (Files.exists(directory)) {
            throw new IOException(directory + " is not a directory");
        }
        return store;
    }

    /** The UTC day it is now. */
    public LocalDate today() {
        return LocalDate.ofInstant(clock.instant(), ZoneOffset.UTC);
    }

    /** The first day kept: {@code retentionDays} days back, today included. */
    public LocalDate firstDayKept() {
        return today().minusDays(retentionDays - 1L);
    }

    /** A message to {@code domain} (lower-case A-labels) delivered today with {@code protection}. */
    public void delivered(String domain, Protection protection, Publication publication) {
        synchronized (days) {
            DomainPosture posture = bucket(today(), domain, true);
            posture.delivered(protection, 1);
            posture.published(publication);
        }
    }

    /** A message to {@code domain} deferred today for {@code cause}. */
    public void deferred(String domain, FailureCause cause, Publication publication) {
        synchronized (days) {
            DomainPosture posture = bucket(today(), domain, true);
            posture.deferred(cause, 1);
            posture.published(publication);
        }
    }

    /** A message to {@code domain} bounced today for {@code cause}. */
    public void bounced(String domain, FailureCause cause, Publication publication) {
        synchronized (days) {
            DomainPosture posture = bucket(today(), domain, true);
            posture.bounced(cause, 1);
            posture.published(publication);
        }
    }

    /** Whether {@code domain} has counts of its own today (not only in the {@value #OTHER} bucket). */
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
                write(day.getKey(), day.getValue());
            }
        } catch (IOException e) {
            synchronized (days) {
                // Written next time: the counts are still in memory.
                changed.addAll(toWrite.keySet());
            }
            throw e;
        }
        for (LocalDate day : forgotten) {
            Files.deleteIfExists(fileOf(day));
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
                        directory,
                        e);
                writeFailureLogged = true;
            }
        }
    }

    private void write(LocalDate day, Map<String, DomainPosture> domains) throws IOException {
        Path target = fileOf(day);
        Path temporary = target.resolveSibling(target.getFileName() + ".tmp");
        try (FileChannel channel = FileChannel.open(
                temporary, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
            Writer out = Channels.newWriter(channel, StandardCharsets.UTF_8);
            out.write(HEADER);
            out.write('\n');
            for (Map.Entry<String, DomainPosture> domain : domains.entrySet()) {
                out.write(line(domain.getKey(), domain.getValue()));
                out.write('\n');
            }
            out.flush();
            channel.force(true);
        }
        Files.move(temporary, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    static String line(String domain, DomainPosture posture) {
        StringBuilder line = new StringBuilder(domain)
                .append('\t')
                .append(posture.publication().code());
        posture.delivered()
                .forEach((protection, count) -> line.append("\tdelivered.")
                        .append(protection.label())
                        .append('=')
                        .append(count));
        posture.deferred()
                .forEach((cause, count) -> line.append("\tdeferred.")
                        .append(cause.label())
                        .append('=')
                        .append(count));
        posture.bounced()
                .forEach((cause, count) -> line.append("\tbounced.")
                        .append(cause.label())
                        .append('=')
                        .append(count));
        return line.toString();
    }

    private Path fileOf(LocalDate day) {
        return directory.resolve(day + SUFFIX);
    }

    private void load() throws IOException {
        LocalDate first = firstDayKept();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(directory)) {
            for (Path file : files) {
                String name = file.getFileName().toString();
                if (writable && name.endsWith(SUFFIX + ".tmp")) {
                    // A write cut short: the day's file is the one before it.
                    Files.deleteIfExists(file);
                    continue;
                }
                if (!DAY_FILE.matcher(name).matches()) {
                    continue;
                }
                LocalDate day;
                try {
                    day = LocalDate.parse(name.substring(0, name.length() - SUFFIX.length()));
                } catch (DateTimeParseException e) {
                    continue;
                }
                if (day.isBefore(first)) {
                    if (writable) {
                        Files.deleteIfExists(file);
                    }
                    continue;
                }
                try {
                    load(day, file);
                } catch (NoSuchFileException e) {
                    // Deleted meanwhile (read-only, while James forgets old days): nothing to read.
                }
            }
        }
    }

    private void load(LocalDate day, Path file) throws IOException {
        int skipped = 0;
        long maxChars = (maxDomainsPerDay + 2L) * MAX_LINE_CHARS;
        try (BoundedLineReader lines = new BoundedLineReader(
                // Bytes that are not UTF-8 become replacement characters: such a line does not parse.
                new InputStreamReader(Files.newInputStream(file), StandardCharsets.UTF_8), MAX_LINE_CHARS, maxChars)) {
            String header = lines.next();
            if (!HEADER.equals(header)) {
                setAside(day, file);
                return;
            }
            for (String line = lines.next(); line != null; line = lines.next()) {
                if (!parse(day, line)) {
                    skipped++;
                }
            }
            skipped += lines.overlongLines();
            if (lines.truncated()) {
                LOGGER.warn(
                        "secure-delivery: posture file {} is over {} characters; the rest is not read", file, maxChars);
            }
        }
        if (skipped > 0) {
            skippedLines += skipped;
            LOGGER.warn(
                    "secure-delivery: {} line(s) of posture file {} skipped: garbled, over {} characters, or"
                            + " an unknown count; the other lines are counted",
                    skipped,
                    file,
                    MAX_LINE_CHARS);
        }
    }

    private void setAside(LocalDate day, Path file) throws IOException {
        skippedLines++;
        if (!writable) {
            LOGGER.warn(
                    "secure-delivery: posture file {} does not start with \"{}\"; its day is shown empty",
                    file,
                    HEADER);
            return;
        }
        Path aside = file.resolveSibling(file.getFileName() + ".unreadable");
        Files.move(file, aside, StandardCopyOption.REPLACE_EXISTING);
        LOGGER.error(
                "secure-delivery: posture file {} does not start with \"{}\"; set aside as {} and the day {}"
                        + " starts anew",
                file,
                HEADER,
                aside.getFileName(),
                day);
    }

    // False for a line that cannot be read; nothing of it is counted then.
    private boolean parse(LocalDate day, String line) {
        String[] fields = line.split("\t", -1);
        if (fields.length < 2) {
            return false;
        }
        String domain = fields[0];
        if (!OTHER.equals(domain) && !domain.equals(DomainNames.normalize(domain))) {
            return false;
        }
        DomainPosture read = new DomainPosture();
        try {
            read.published(Publication.ofCode(fields[1]));
        } catch (IllegalArgumentException e) {
            return false;
        }
        for (int i = 2; i < fields.length; i++) {
            if (!count(read, fields[i])) {
                return false;
            }
        }
        synchronized (days) {
            DomainPosture posture = bucket(day, domain, false);
            posture.add(read);
            posture.published(OTHER.equals(domain) ? Publication.UNKNOWN : read.publication());
        }
        return true;
    }

    private static boolean count(DomainPosture posture, String field) {
        int dot = field.indexOf('.');
        int equals = field.indexOf('=');
        if (dot < 0
                || equals < dot
                || !COUNT.matcher(field.substring(equals + 1)).matches()) {
            return false;
        }
        String fate = field.substring(0, dot);
        String label = field.substring(dot + 1, equals);
        long count = Long.parseLong(field.substring(equals + 1));
        switch (fate) {
            case "delivered":
                return Protection.fromLabel(label)
                        .map(protection -> {
                            posture.delivered(protection, count);
                            return true;
                        })
                        .orElse(false);
            case "deferred":
                return FailureCause.fromLabel(label)
                        .map(cause -> {
                            posture.deferred(cause, count);
                            return true;
                        })
                        .orElse(false);
            case "bounced":
                return FailureCause.fromLabel(label)
                        .map(cause -> {
                            posture.bounced(cause, count);
                            return true;
                        })
                        .orElse(false);
            default:
                return false;
        }
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
