package dev.securedelivery.tlsrpt;

import java.io.IOException;
import java.io.Reader;
import java.io.StringWriter;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The report queue of one node: reports not yet sent everywhere, one pair of files each in one
 * directory: the report ({@code <file name>}, gzip as sent) and where its sending stands
 * ({@code <file name>.state}). Each file is written to a temporary name and moved into place, the
 * report before its state: a crash leaves either a whole entry or a report without state, which
 * opening deletes (its period's journal was not yet forgotten, so the report is built again).
 *
 * <p>One node alone closes its periods, on one thread: every claim of a period is granted, and a
 * report being sent is held in memory only. A report added again replaces the one of its name.
 */
public final class ReportOutbox implements ReportQueue {
    private static final Logger LOGGER = LoggerFactory.getLogger(ReportOutbox.class);
    private static final String STATE = ".state";

    private final Path directory;
    private final String scope;
    private final Map<String, PendingReport> pending = new ConcurrentHashMap<>();
    private final Set<String> sending = ConcurrentHashMap.newKeySet();

    private ReportOutbox(Path directory, String node) throws IOException {
        this.directory = Files.createDirectories(directory);
        this.scope = node;
    }

    /**
     * The outbox of {@code node} in {@code directory} (created if need be), with every whole entry
     * read back.
     */
    public static ReportOutbox open(Path directory, String node) throws IOException {
        ReportOutbox outbox = new ReportOutbox(directory, node);
        for (PendingReport report : outbox.load()) {
            outbox.pending.put(report.fileName(), report);
        }
        return outbox;
    }

    /** The node's name: each node's reports are its own. */
    @Override
    public String reportScope() {
        return scope;
    }

    @Override
    public boolean claimClosing(ReportPeriod period, Instant now, Duration lease) {
        return true;
    }

    @Override
    public void closed(ReportPeriod period) {
        // The journal of the period is forgotten with it: nothing to keep.
    }

    @Override
    public boolean isClosed(ReportPeriod period) {
        return false;
    }

    @Override
    public List<PendingReport> claimDue(Instant now, Duration lease) {
        List<PendingReport> due = new ArrayList<>();
        for (PendingReport report : pending()) {
            if (!report.nextAttempt().isAfter(now) && sending.add(report.fileName())) {
                due.add(report);
            }
        }
        return due;
    }

    @Override
    public Optional<PendingReport> claim(String fileName, Instant now, Duration lease) {
        PendingReport report = pending.get(fileName);
        return report != null && sending.add(fileName) ? Optional.of(report) : Optional.empty();
    }

    @Override
    public List<PendingReport> pending() {
        List<PendingReport> reports = new ArrayList<>(pending.values());
        reports.sort(Comparator.comparing(PendingReport::fileName));
        return reports;
    }

    /** Writes a new {@code report} and its state, replacing a report of the same name. */
    @Override
    public void add(PendingReport report) throws IOException {
        atomicWrite(directory.resolve(report.fileName()), report.gzip());
        writeState(report);
        pending.put(report.fileName(), report);
    }

    /** Writes where the sending of {@code report}, already added, stands. */
    @Override
    public void update(PendingReport report) throws IOException {
        try {
            writeState(report);
            pending.put(report.fileName(), report);
        } finally {
            sending.remove(report.fileName());
        }
    }

    private void writeState(PendingReport report) throws IOException {
        Properties state = new Properties();
        state.setProperty("report-id", report.reportId());
        state.setProperty("policy-domain", report.policyDomain());
        state.setProperty("created", report.created().toString());
        state.setProperty("attempts", String.valueOf(report.attempts()));
        state.setProperty("next-attempt", report.nextAttempt().toString());
        report.targets().ifPresent(targets -> {
            List<String> uris = new ArrayList<>();
            targets.forEach(uri -> uris.add(uri.toString()));
            state.setProperty("targets", String.join(" ", uris));
        });
        StringWriter text = new StringWriter();
        state.store(text, null);
        atomicWrite(
                directory.resolve(report.fileName() + STATE), text.toString().getBytes(StandardCharsets.UTF_8));
    }

    /** Forgets {@code report}: sent everywhere, or given up. */
    @Override
    public void remove(PendingReport report) throws IOException {
        try {
            pending.remove(report.fileName());
            Files.deleteIfExists(directory.resolve(report.fileName() + STATE));
            Files.deleteIfExists(directory.resolve(report.fileName()));
        } finally {
            sending.remove(report.fileName());
        }
    }

    // Every whole entry; what is left of an interrupted write is deleted.
    private List<PendingReport> load() throws IOException {
        List<PendingReport> reports = new ArrayList<>();
        List<Path> files = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(directory)) {
            entries.forEach(files::add);
        }
        for (Path file : files) {
            String name = file.getFileName().toString();
            if (name.startsWith(".")) {
                Files.deleteIfExists(file);
            } else if (name.endsWith(STATE)) {
                PendingReport report = read(file, name.substring(0, name.length() - STATE.length()));
                if (report != null) {
                    reports.add(report);
                }
            } else if (!Files.exists(directory.resolve(name + STATE))) {
                LOGGER.warn("TLS reports: {} has no state file (an interrupted write); deleted", file);
                Files.deleteIfExists(file);
            }
        }
        return reports;
    }

    private PendingReport read(Path stateFile, String fileName) throws IOException {
        Path data = directory.resolve(fileName);
        try {
            Properties state = new Properties();
            try (Reader reader = Files.newBufferedReader(stateFile, StandardCharsets.UTF_8)) {
                state.load(reader);
            }
            String targets = state.getProperty("targets");
            List<URI> uris = null;
            if (targets != null) {
                Set<URI> distinct = new LinkedHashSet<>();
                for (String uri : targets.trim().split(" +")) {
                    if (!uri.isEmpty()) {
                        distinct.add(URI.create(uri));
                    }
                }
                uris = new ArrayList<>(distinct);
                // Saved by a version without the limit: the record's limit holds for it too.
                if (uris.size() > TlsRptRecord.MAX_REPORT_URIS) {
                    LOGGER.warn(
                            "TLS reports: the unsent report {} has {} targets; only the first {} get it",
                            fileName,
                            uris.size(),
                            TlsRptRecord.MAX_REPORT_URIS);
                    uris = new ArrayList<>(uris.subList(0, TlsRptRecord.MAX_REPORT_URIS));
                }
            }
            return PendingReport.restored(
                    state.getProperty("report-id"),
                    state.getProperty("policy-domain"),
                    fileName,
                    Files.readAllBytes(data),
                    Instant.parse(state.getProperty("created")),
                    Integer.parseInt(state.getProperty("attempts")),
                    Instant.parse(state.getProperty("next-attempt")),
                    uris);
        } catch (IOException | RuntimeException e) {
            LOGGER.warn("TLS reports: cannot read the unsent report {} ({}); deleted", stateFile, e.toString());
            Files.deleteIfExists(stateFile);
            Files.deleteIfExists(data);
            return null;
        }
    }

    private void atomicWrite(Path target, byte[] bytes) throws IOException {
        Path temporary = directory.resolve("." + target.getFileName() + ".tmp");
        Files.write(temporary, bytes);
        try {
            Files.move(temporary, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(temporary, target, StandardCopyOption.REPLACE_EXISTING);
        }
    }
}
