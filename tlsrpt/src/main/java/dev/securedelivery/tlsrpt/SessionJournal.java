package dev.securedelivery.tlsrpt;

import java.io.BufferedWriter;
import java.io.Closeable;
import java.io.IOException;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * {@link SessionCounts} that survive a restart (RFC 8460 reports cover a whole day, and a restart must
 * not lose part of it): every session is counted in memory at once and appended, by a writer thread
 * of its own, to the journal of its period ({@code <directory>/<period start>.journal}, one line per
 * session). The delivery path never waits for the disk; a crash loses at most the lines not yet
 * written, a few milliseconds' worth. Opening a journal directory replays it.
 */
public final class SessionJournal implements Closeable {
    private static final String SUFFIX = ".journal";
    private static final String NULL = "~";

    private final Path directory;
    private final SessionCounts counts;
    private final BlockingQueue<Entry> pending = new LinkedBlockingQueue<>();
    private final Thread writer;
    private final int skippedLines;
    private volatile IOException writeFailure;

    private SessionJournal(Path directory, SessionCounts counts, int skippedLines) {
        this.directory = directory;
        this.counts = counts;
        this.skippedLines = skippedLines;
        this.writer = new Thread(this::write, "tlsrpt-journal");
        writer.setDaemon(true);
        writer.start();
    }

    /** Opens (creating it if need be) the journal in {@code directory}, replaying it into fresh counts. */
    public static SessionJournal open(Path directory, java.time.Duration periodLength) throws IOException {
        Files.createDirectories(directory);
        SessionCounts counts = new SessionCounts(periodLength);
        List<Path> files = new ArrayList<>();
        try (DirectoryStream<Path> journals = Files.newDirectoryStream(directory, "*" + SUFFIX)) {
            journals.forEach(files::add);
        }
        int skipped = 0;
        boolean misplaced = false;
        Map<Path, List<String>> layout = new TreeMap<>();
        for (Path journal : files) {
            for (String line : Files.readAllLines(journal, StandardCharsets.UTF_8)) {
                Instant at = replay(line, counts);
                if (at == null) {
                    skipped++;
                    continue;
                }
                Path file = journalOf(directory, at, periodLength);
                layout.computeIfAbsent(file, key -> new ArrayList<>()).add(line);
                misplaced |= !file.equals(journal);
            }
        }
        if (misplaced) {
            // Written with another period length: each period's lines go to its own file, the one
            // forget() deletes, or a later start would replay a reported period again.
            for (Map.Entry<Path, List<String>> file : layout.entrySet()) {
                Path temporary = directory.resolve(file.getKey().getFileName() + ".tmp");
                Files.write(temporary, file.getValue(), StandardCharsets.UTF_8);
                Files.move(temporary, file.getKey(), StandardCopyOption.REPLACE_EXISTING,
                        StandardCopyOption.ATOMIC_MOVE);
            }
            for (Path journal : files) {
                if (!layout.containsKey(journal)) {
                    Files.delete(journal);
                }
            }
        }
        return new SessionJournal(directory, counts, skipped);
    }

    /** The counts, as recorded so far. */
    public SessionCounts counts() {
        return counts;
    }

    /** Lines of the journal that could not be read back at opening (a line cut by a crash). */
    public int skippedLines() {
        return skippedLines;
    }

    public void success(ReportedPolicy policy, Instant at) {
        counts.success(policy, at);
        pending.add(Entry.line(journalOf(at), line("S", policy, null, at)));
    }

    public void failure(ReportedPolicy policy, FailureDetail detail, Instant at) {
        counts.failure(policy, detail, at);
        pending.add(Entry.line(journalOf(at), line("F", policy, detail, at)));
    }

    /** Forgets a period whose reports are out, on disk too. */
    public void forget(ReportPeriod period) throws IOException {
        counts.forget(period);
        Path journal = journalOf(period.start());
        if (!writer.isAlive()) {
            Files.deleteIfExists(journal);
            return;
        }
        // The writer may hold the file open, and lines for it may wait in the queue: it deletes it.
        Entry forget = Entry.forget(journal);
        pending.add(forget);
        try {
            forget.done.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException e) {
            throw new IOException("cannot delete " + journal, e.getCause());
        }
    }

    private Path journalOf(Instant at) {
        return journalOf(directory, at, counts.periodLength());
    }

    private static Path journalOf(Path directory, Instant at, java.time.Duration periodLength) {
        Instant start = ReportPeriod.containing(at, periodLength).start();
        return directory.resolve(start.toString().replace(':', '-') + SUFFIX);
    }

    private String line(String kind, ReportedPolicy policy, FailureDetail detail, Instant at) {
        List<String> fields = new ArrayList<>(Arrays.asList(kind, String.valueOf(at.toEpochMilli()),
                policy.type().name(), encode(policy.policyDomain()), list(policy.policyStrings()), list(policy.mxHosts())));
        if (detail != null) {
            fields.addAll(Arrays.asList(encode(detail.resultType()), encode(detail.sendingMtaIp()),
                    encode(detail.receivingMxHostname()), encode(detail.receivingMxHelo()), encode(detail.receivingIp()),
                    encode(detail.additionalInformation()), encode(detail.failureReasonCode())));
        }
        return String.join("\t", fields);
    }

    // The instant of the session the line records, once counted; null for a line that cannot be read.
    private static Instant replay(String line, SessionCounts counts) {
        try {
            String[] fields = line.split("\t", -1);
            Instant at = Instant.ofEpochMilli(Long.parseLong(fields[1]));
            ReportedPolicy policy = ReportedPolicy.of(PolicyType.valueOf(fields[2]), unlist(fields[4]),
                    decode(fields[3]), unlist(fields[5]));
            if (fields[0].equals("S") && fields.length == 6) {
                counts.success(policy, at);
                return at;
            }
            if (fields[0].equals("F") && fields.length == 13) {
                counts.failure(policy, FailureDetail.builder(decode(fields[6]), decode(fields[7]), decode(fields[8]),
                        decode(fields[10])).receivingMxHelo(decode(fields[9])).additionalInformation(decode(fields[11]))
                        .failureReasonCode(decode(fields[12])).build(), at);
                return at;
            }
            return null;
        } catch (RuntimeException e) {
            return null;
        }
    }

    private void write() {
        Map<Path, BufferedWriter> writers = new HashMap<>();
        try {
            while (true) {
                List<Entry> batch = new ArrayList<>();
                batch.add(pending.take());
                pending.drainTo(batch);
                boolean stop = false;
                for (Entry entry : batch) {
                    if (entry.journal == null) {
                        stop = true;
                    } else if (entry.line != null) {
                        append(writers, entry);
                    } else {
                        BufferedWriter open = writers.remove(entry.journal);
                        if (open != null) {
                            closeQuietly(open);
                        }
                        try {
                            Files.deleteIfExists(entry.journal);
                            entry.done.complete(null);
                        } catch (IOException e) {
                            entry.done.completeExceptionally(e);
                        }
                    }
                }
                for (BufferedWriter out : writers.values()) {
                    try {
                        out.flush();
                    } catch (IOException e) {
                        writeFailure = e;
                    }
                }
                if (stop) {
                    return;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            writers.values().forEach(SessionJournal::closeQuietly);
        }
    }

    private void append(Map<Path, BufferedWriter> writers, Entry entry) {
        try {
            BufferedWriter out = writers.get(entry.journal);
            if (out == null) {
                out = Files.newBufferedWriter(entry.journal, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                        StandardOpenOption.APPEND);
                writers.put(entry.journal, out);
            }
            out.write(entry.line);
            out.write('\n');
        } catch (IOException e) {
            writeFailure = e;
        }
    }

    private static void closeQuietly(BufferedWriter out) {
        try {
            out.close();
        } catch (IOException e) {
            // Already flushed, or reported as writeFailure.
        }
    }

    /** Writes what is pending, then stops the writer. */
    @Override
    public void close() throws IOException {
        pending.add(Entry.STOP);
        try {
            writer.join(TimeUnit.SECONDS.toMillis(30));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (writeFailure != null) {
            throw new IOException("the TLS-RPT journal could not be written", writeFailure);
        }
    }

    private static String encode(String value) {
        return value == null ? NULL : URLEncoder.encode(value, StandardCharsets.UTF_8);
    }

    private static String decode(String field) {
        return field.equals(NULL) ? null : URLDecoder.decode(field, StandardCharsets.UTF_8);
    }

    private static String list(List<String> values) {
        List<String> encoded = new ArrayList<>();
        values.forEach(value -> encoded.add(encode(value)));
        return String.join(",", encoded);
    }

    private static List<String> unlist(String field) {
        List<String> values = new ArrayList<>();
        if (!field.isEmpty()) {
            for (String value : field.split(",", -1)) {
                values.add(decode(value));
            }
        }
        return values;
    }

    // What the writer is handed: a line for a journal, a journal to close and delete, or the end.
    private static final class Entry {
        static final Entry STOP = new Entry(null, null);

        final Path journal;
        final String line;
        final CompletableFuture<Void> done = new CompletableFuture<>();

        private Entry(Path journal, String line) {
            this.journal = journal;
            this.line = line;
        }

        static Entry line(Path journal, String line) {
            return new Entry(journal, line);
        }

        static Entry forget(Path journal) {
            return new Entry(journal, null);
        }
    }
}
