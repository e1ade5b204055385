package dev.securedelivery.tlsrpt;

import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * {@link SessionCounts} that survive a restart (RFC 8460 reports cover a whole day, and a restart must
 * not lose part of it): every session is counted in memory at once and appended, by a writer thread
 * of its own, to the journal of its period ({@code <directory>/<period start>.journal}). The
 * delivery path never waits for the disk; a crash loses at most the lines not yet written, a few
 * milliseconds' worth. Opening a journal directory replays it, a line at a time.
 *
 * <p>A policy (its text may be 64 KiB, its MX list long) and a failure detail are written once per
 * journal, each under a short id, and a session is one short line naming them; fields are tab
 * separated and URL-encoded:
 * <pre>
 * P  id type policy-domain policy-strings mx-hosts      a policy
 * D  id result-type sending-mta-ip receiving-mx-hostname receiving-mx-helo receiving-ip
 *       additional-information failure-reason-code     a failure detail
 * s  epoch-millis policy-id                            a successful session
 * f  epoch-millis policy-id detail-id                  a failed session
 * </pre>
 * Lines of the earlier format, one session with its whole policy ({@code S ...}, {@code F ...}),
 * are still read. A line over {@value #MAX_LINE_CHARS} characters, one that cannot be read, or a
 * session naming an id its journal does not define is skipped and counted in
 * {@link #skippedLines()}.
 */
public final class SessionJournal implements SessionCountStore {
    /**
     * The longest line replayed. The longest line written is a policy's: an MTA-STS policy is at
     * most 64 KiB (RFC 8461 3.3, as the fetch enforces) and TLSA records come in one DNS message
     * (64 KiB), at most some 400,000 characters URL-encoded.
     */
    public static final int MAX_LINE_CHARS = 1024 * 1024;

    private static final String SUFFIX = ".journal";

    private final Path directory;
    private final SessionCounts counts;
    private final BlockingQueue<Entry> pending = new LinkedBlockingQueue<>();
    private final Map<Path, JournalIds> written;
    private final Thread writer;
    private final int skippedLines;
    private volatile IOException writeFailure;

    private SessionJournal(Path directory, SessionCounts counts, Map<Path, JournalIds> written, int skippedLines) {
        this.directory = directory;
        this.counts = counts;
        this.written = written;
        this.skippedLines = skippedLines;
        this.writer = new Thread(this::write, "tlsrpt-journal");
        writer.setDaemon(true);
        writer.start();
    }

    /** Opens (creating it if need be) the journal in {@code directory}, replaying it into fresh counts. */
    public static SessionJournal open(Path directory, Duration periodLength) throws IOException {
        Files.createDirectories(directory);
        SessionCounts counts = new SessionCounts(periodLength);
        List<Path> files = new ArrayList<>();
        try (DirectoryStream<Path> journals = Files.newDirectoryStream(directory, "*" + SUFFIX)) {
            journals.forEach(files::add);
        }
        Collections.sort(files);
        Map<Path, JournalIds> written = new HashMap<>();
        int[] skipped = {0};
        boolean[] misplaced = {false};
        for (Path journal : files) {
            written.put(journal, replay(journal, skipped, session -> {
                session.countIn(counts);
                misplaced[0] |= !journalOf(directory, session.at, periodLength).equals(journal);
            }));
        }
        if (misplaced[0]) {
            written = relayout(directory, files, periodLength);
        }
        return new SessionJournal(directory, counts, written, skipped[0]);
    }

    // Reads one journal, handing each session to sink; returns the ids the journal defines. A journal
    // whose last line was cut by a crash gets a line end, so that the next line appended stands alone.
    private static JournalIds replay(Path journal, int[] skipped, Consumer<Session> sink) throws IOException {
        JournalIds ids = new JournalIds();
        boolean terminated;
        // Replacement characters for bytes that are not UTF-8: such a line does not parse, and is skipped.
        try (BoundedLineReader lines = new BoundedLineReader(
                new InputStreamReader(Files.newInputStream(journal), StandardCharsets.UTF_8), MAX_LINE_CHARS)) {
            for (String line = lines.next(); line != null; line = lines.next()) {
                Session session = parse(line, ids);
                if (session == null) {
                    skipped[0]++;
                } else if (session != Session.DEFINITION) {
                    sink.accept(session);
                }
            }
            skipped[0] += lines.overlongLines();
            terminated = lines.endsWithLineEnd();
        }
        if (!terminated) {
            Files.write(journal, new byte[] {'\n'}, StandardOpenOption.APPEND);
        }
        return ids;
    }

    // Written with another period length: each period's sessions go to its own file, the one
    // forget() deletes, or a later start would replay a reported period again. Streamed from the
    // old files into new ones, then moved into place.
    private static Map<Path, JournalIds> relayout(Path directory, List<Path> files, Duration periodLength)
            throws IOException {
        Map<Path, JournalIds> layout = new TreeMap<>();
        Map<Path, Writer> temporaries = new HashMap<>();
        try {
            for (Path journal : files) {
                IOException[] failure = {null};
                replay(journal, new int[1], session -> {
                    Path target = journalOf(directory, session.at, periodLength);
                    try {
                        Writer out = temporaries.get(target);
                        if (out == null) {
                            out = Files.newBufferedWriter(temporary(target), StandardCharsets.UTF_8);
                            temporaries.put(target, out);
                        }
                        append(out, layout.computeIfAbsent(target, key -> new JournalIds()), session);
                    } catch (IOException e) {
                        failure[0] = e;
                    }
                });
                if (failure[0] != null) {
                    throw failure[0];
                }
            }
        } finally {
            for (Writer out : temporaries.values()) {
                out.close();
            }
        }
        for (Path target : layout.keySet()) {
            Files.move(temporary(target), target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        }
        for (Path journal : files) {
            if (!layout.containsKey(journal)) {
                Files.delete(journal);
            }
        }
        return layout;
    }

    private static Path temporary(Path journal) {
        return journal.resolveSibling(journal.getFileName() + ".tmp");
    }

    /** The counts, as recorded so far. */
    public SessionCounts counts() {
        return counts;
    }

    @Override
    public Duration periodLength() {
        return counts.periodLength();
    }

    @Override
    public List<ReportPeriod> periods() {
        return counts.periods();
    }

    @Override
    public List<String> domains(ReportPeriod period) {
        List<String> domains = new ArrayList<>();
        counts.domains(period).forEach(domains::add);
        return domains;
    }

    @Override
    public Map<ReportedPolicy, PolicyResults> of(ReportPeriod period, String policyDomain) {
        return counts.of(period, policyDomain);
    }

    @Override
    public long uncounted(ReportPeriod period) {
        return counts.uncounted(period);
    }

    /**
     * Lines of the journal that could not be read back at opening: a line cut by a crash or garbled
     * on disk, one over {@value #MAX_LINE_CHARS} characters, a session naming an id not defined.
     */
    public int skippedLines() {
        return skippedLines;
    }

    // What is written is what was counted, in the order it was counted (the lock is the counts'): a
    // policy or detail past the counts' bounds is written as the one it was counted under, so that the
    // journal is bounded as they are and replaying it makes the same choices. A session not counted is
    // not written.
    @Override
    public void success(ReportedPolicy policy, Instant at) {
        synchronized (counts) {
            SessionCounts.Counted counted = counts.success(policy, at);
            if (counted != null) {
                pending.add(Entry.session(journalOf(at), new Session(at, counted.policy(), null)));
            }
        }
    }

    @Override
    public void failure(ReportedPolicy policy, FailureDetail detail, Instant at) {
        synchronized (counts) {
            SessionCounts.Counted counted = counts.failure(policy, detail, at);
            if (counted != null) {
                pending.add(Entry.session(journalOf(at), new Session(at, counted.policy(), counted.detail())));
            }
        }
    }

    /** Forgets a period whose reports are out, on disk too. */
    @Override
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

    private static Path journalOf(Path directory, Instant at, Duration periodLength) {
        Instant start = ReportPeriod.containing(at, periodLength).start();
        return directory.resolve(start.toString().replace(':', '-') + SUFFIX);
    }

    // The session's line, after the lines of its policy and failure detail if this journal has none yet.
    private static void append(Writer out, JournalIds ids, Session session) throws IOException {
        String policyId = ids.policies.get(session.policy);
        if (policyId == null) {
            policyId = String.valueOf(ids.nextPolicyId);
            ReportedPolicy policy = session.policy;
            writeLine(out, "P", policyId, SessionEncoding.policy(policy));
            ids.definePolicy(policyId, policy);
        }
        if (session.detail == null) {
            writeLine(out, "s", String.valueOf(session.at.toEpochMilli()), policyId);
            return;
        }
        String detailId = ids.details.get(session.detail);
        if (detailId == null) {
            detailId = String.valueOf(ids.nextDetailId);
            FailureDetail detail = session.detail;
            writeLine(out, "D", detailId, SessionEncoding.detail(detail));
            ids.defineDetail(detailId, detail);
        }
        writeLine(out, "f", String.valueOf(session.at.toEpochMilli()), policyId, detailId);
    }

    private static void writeLine(Writer out, String... fields) throws IOException {
        out.write(String.join("\t", fields));
        out.write('\n');
    }

    // The session a line records, Session.DEFINITION for a policy or failure detail (kept in ids),
    // null for a line that cannot be read.
    private static Session parse(String line, JournalIds ids) {
        try {
            String[] fields = line.split("\t", -1);
            switch (fields[0]) {
                case "P":
                    if (fields.length != 6) {
                        return null;
                    }
                    ids.definePolicy(fields[1], SessionEncoding.policyOf(Arrays.copyOfRange(fields, 2, 6)));
                    return Session.DEFINITION;
                case "D":
                    if (fields.length != 9) {
                        return null;
                    }
                    ids.defineDetail(fields[1], SessionEncoding.detailOf(Arrays.copyOfRange(fields, 2, 9)));
                    return Session.DEFINITION;
                case "s":
                case "f":
                    return session(fields, ids);
                case "S":
                case "F":
                    return formerSession(fields);
                default:
                    return null;
            }
        } catch (RuntimeException e) {
            return null;
        }
    }

    private static Session session(String[] fields, JournalIds ids) {
        boolean success = fields[0].equals("s");
        if (fields.length != (success ? 3 : 4)) {
            return null;
        }
        ReportedPolicy policy = ids.policiesById.get(fields[2]);
        FailureDetail detail = success ? null : ids.detailsById.get(fields[3]);
        if (policy == null || (!success && detail == null)) {
            // Its definition was lost (a line garbled on disk): the session cannot be counted.
            return null;
        }
        return new Session(Instant.ofEpochMilli(Long.parseLong(fields[1])), policy, detail);
    }

    // A line of the earlier format: S or F, the instant, then the whole policy and failure detail.
    private static Session formerSession(String[] fields) {
        boolean success = fields[0].equals("S");
        if (fields.length != (success ? 6 : 13)) {
            return null;
        }
        ReportedPolicy policy = SessionEncoding.policyOf(Arrays.copyOfRange(fields, 2, 6));
        FailureDetail detail = success ? null : SessionEncoding.detailOf(Arrays.copyOfRange(fields, 6, 13));
        return new Session(Instant.ofEpochMilli(Long.parseLong(fields[1])), policy, detail);
    }

    private void write() {
        Map<Path, Writer> writers = new HashMap<>();
        try {
            while (true) {
                List<Entry> batch = new ArrayList<>();
                batch.add(pending.take());
                pending.drainTo(batch);
                boolean stop = false;
                for (Entry entry : batch) {
                    if (entry.journal == null) {
                        stop = true;
                    } else if (entry.session != null) {
                        append(writers, entry);
                    } else {
                        Writer open = writers.remove(entry.journal);
                        if (open != null) {
                            closeQuietly(open);
                        }
                        written.remove(entry.journal);
                        try {
                            Files.deleteIfExists(entry.journal);
                            entry.done.complete(null);
                        } catch (IOException e) {
                            entry.done.completeExceptionally(e);
                        }
                    }
                }
                for (Writer out : writers.values()) {
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

    private void append(Map<Path, Writer> writers, Entry entry) {
        try {
            Writer out = writers.get(entry.journal);
            if (out == null) {
                out = Files.newBufferedWriter(
                        entry.journal, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
                writers.put(entry.journal, out);
            }
            append(out, written.computeIfAbsent(entry.journal, journal -> new JournalIds()), entry.session);
        } catch (IOException e) {
            writeFailure = e;
        }
    }

    private static void closeQuietly(Writer out) {
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

    // One recorded session; the policy and failure detail are the very objects counted.
    private static final class Session {
        static final Session DEFINITION = new Session(Instant.EPOCH, ReportedPolicy.noPolicyFound("-"), null);

        final Instant at;
        final ReportedPolicy policy;
        final FailureDetail detail;

        Session(Instant at, ReportedPolicy policy, FailureDetail detail) {
            this.at = at;
            this.policy = policy;
            this.detail = detail;
        }

        void countIn(SessionCounts counts) {
            if (detail == null) {
                counts.success(policy, at);
            } else {
                counts.failure(policy, detail, at);
            }
        }
    }

    // The ids one journal gives its policies and failure details, both ways.
    private static final class JournalIds {
        final Map<ReportedPolicy, String> policies = new HashMap<>();
        final Map<String, ReportedPolicy> policiesById = new HashMap<>();
        final Map<FailureDetail, String> details = new HashMap<>();
        final Map<String, FailureDetail> detailsById = new HashMap<>();
        long nextPolicyId = 1;
        long nextDetailId = 1;

        void definePolicy(String id, ReportedPolicy policy) {
            policies.put(policy, id);
            policiesById.put(id, policy);
            nextPolicyId = Math.max(nextPolicyId, Long.parseLong(id) + 1);
        }

        void defineDetail(String id, FailureDetail detail) {
            details.put(detail, id);
            detailsById.put(id, detail);
            nextDetailId = Math.max(nextDetailId, Long.parseLong(id) + 1);
        }
    }

    // What the writer is handed: a session for a journal, a journal to close and delete, or the end.
    private static final class Entry {
        static final Entry STOP = new Entry(null, null);

        final Path journal;
        final Session session;
        final CompletableFuture<Void> done = new CompletableFuture<>();

        private Entry(Path journal, Session session) {
            this.journal = journal;
            this.session = session;
        }

        static Entry session(Path journal, Session session) {
            return new Entry(journal, session);
        }

        static Entry forget(Path journal) {
            return new Entry(journal, null);
        }
    }
}
