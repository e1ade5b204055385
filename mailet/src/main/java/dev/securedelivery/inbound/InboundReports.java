package dev.securedelivery.inbound;

import dev.securedelivery.configuration.ConfigurationException;
import dev.securedelivery.configuration.InboundReportsConfiguration;
import dev.securedelivery.tlsrpt.InboundReport;
import dev.securedelivery.tlsrpt.InboundReportStore;
import dev.securedelivery.tlsrpt.Json;
import dev.securedelivery.tlsrpt.MalformedReportException;
import dev.securedelivery.tlsrpt.ReceivedReport;
import dev.securedelivery.tlsrpt.ReceivedReportParser;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The TLS reports other MTAs sent about our domains, kept on disk under {@code
 * inbound-reports.directory}, one file each: the report as read ({@link ReceivedReport#toJson()}, so
 * only cleaned text is on disk), named {@code <received-at millis>-<SHA-256 of organization-name and
 * report-id>.json}. A report sent again (same organization and report ID) is not kept twice (RFC 8460
 * 5.1 has a report's ID unique per sender). Bounded: reports older than the retention go, and beyond
 * the count or the bytes the oldest received go first.
 *
 * <p>What the WebAdmin route and the dashboard read: {@link #list(Instant, Instant, Optional)}. The
 * directory is opened on first use, so a James that never receives reports never creates it.
 * Thread-safe.
 */
public final class InboundReports implements InboundReportStore {
    private static final Logger LOGGER = LoggerFactory.getLogger(InboundReports.class);
    private static final Pattern FILE_NAME = Pattern.compile("([0-9]{1,19})-([0-9a-f]{64})\\.json");
    private static final String TEMPORARY_PREFIX = ".tmp-";

    private final InboundReportsConfiguration configuration;
    private final Clock clock;
    // key (hash of organization and report ID) -> entry; null until the directory is opened
    private Map<String, Entry> entries;
    private long bytes;

    public InboundReports(InboundReportsConfiguration configuration, Clock clock) {
        this.configuration = Objects.requireNonNull(configuration, "configuration");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /** Keeps {@code report}, received now, unless it is kept already. */
    @Override
    public synchronized Outcome store(ReceivedReport report) throws IOException {
        open();
        Instant now = clock.instant();
        expire(now);
        String key = key(report);
        if (entries.containsKey(key)) {
            return Outcome.DUPLICATE;
        }
        byte[] json = Json.write(report.toJson()).getBytes(StandardCharsets.UTF_8);
        if (json.length > configuration.maxBytes()) {
            return Outcome.TOO_LARGE;
        }
        Path directory = configuration.directory();
        Path file = directory.resolve(now.toEpochMilli() + "-" + key + ".json");
        Path temporary = directory.resolve(TEMPORARY_PREFIX + UUID.randomUUID());
        try {
            try (FileChannel channel =
                    FileChannel.open(temporary, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                ByteBuffer bytes = ByteBuffer.wrap(json);
                while (bytes.hasRemaining()) {
                    channel.write(bytes);
                }
                // On the disk before it has the report's name: a power cut leaves no empty report behind.
                channel.force(true);
            }
            // Never half a file under a report's name, whatever stops James.
            Files.move(temporary, file, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(temporary);
        }
        add(new Entry(key, file, now, report, json.length));
        evictBeyondBounds();
        return Outcome.STORED;
    }

    /**
     * The reports kept whose period overlaps [{@code from}, {@code to}], oldest period first; with
     * {@code policyDomain}, only reports with a policy for it (lower-case A-label), and of those only
     * its policies.
     */
    @Override
    public List<InboundReport> list(Instant from, Instant to, Optional<String> policyDomain) throws IOException {
        List<Entry> selected = new ArrayList<>();
        synchronized (this) {
            open();
            expire(clock.instant());
            for (Entry entry : entries.values()) {
                if (!entry.end.isBefore(from)
                        && !entry.start.isAfter(to)
                        && policyDomain.map(entry.domains::contains).orElse(true)) {
                    selected.add(entry);
                }
            }
        }
        selected.sort(Comparator.comparing((Entry entry) -> entry.start).thenComparing(entry -> entry.receivedAt));
        List<InboundReport> reports = new ArrayList<>();
        for (Entry entry : selected) {
            Optional<ReceivedReport> report = read(entry.file);
            report.map(whole -> policyDomain
                            .map(domain -> InboundReportStore.only(whole, domain))
                            .orElse(whole))
                    .ifPresent(kept -> reports.add(new InboundReport(kept, entry.receivedAt)));
        }
        return reports;
    }

    /** The reports kept now. */
    @Override
    public synchronized int size() throws IOException {
        open();
        return entries.size();
    }

    private void open() throws IOException {
        if (entries != null) {
            return;
        }
        try {
            configuration.prepareDirectory();
        } catch (ConfigurationException e) {
            throw new IOException(e.getMessage(), e);
        }
        Map<String, Entry> loaded = new HashMap<>();
        long loadedBytes = 0;
        try (DirectoryStream<Path> files = Files.newDirectoryStream(configuration.directory())) {
            for (Path file : files) {
                String name = file.getFileName().toString();
                if (name.startsWith(TEMPORARY_PREFIX)) {
                    // A write a stop interrupted.
                    Files.deleteIfExists(file);
                    continue;
                }
                Matcher matcher = FILE_NAME.matcher(name);
                if (!matcher.matches()) {
                    continue;
                }
                Optional<ReceivedReport> report = read(file);
                if (report.isEmpty()) {
                    continue;
                }
                Entry entry = new Entry(
                        key(report.get()),
                        file,
                        Instant.ofEpochMilli(Long.parseLong(matcher.group(1))),
                        report.get(),
                        Files.size(file));
                Entry other = loaded.get(entry.key);
                if (other == null || other.receivedAt.isAfter(entry.receivedAt)) {
                    loaded.put(entry.key, entry);
                    loadedBytes += entry.bytes - (other == null ? 0 : other.bytes);
                    if (other != null) {
                        Files.deleteIfExists(other.file);
                    }
                } else {
                    Files.deleteIfExists(file);
                }
            }
        }
        entries = loaded;
        bytes = loadedBytes;
        LOGGER.info("secure-delivery: {} inbound TLS report(s) kept in {}", entries.size(), configuration.directory());
        evictBeyondBounds();
    }

    // A file of ours: what the parser refuses there was changed by hand, and is left alone.
    private static Optional<ReceivedReport> read(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            return Optional.of(ReceivedReportParser.parseJson(
                    ReceivedReportParser.readAtMost(in, ReceivedReportParser.MAX_JSON_BYTES, file.toString())));
        } catch (NoSuchFileException e) {
            // Removed since it was listed (retention, bounds).
            return Optional.empty();
        } catch (MalformedReportException e) {
            LOGGER.warn(
                    "secure-delivery: the inbound TLS report file {} cannot be read, left out: {}",
                    file,
                    e.getMessage());
            return Optional.empty();
        }
    }

    private void add(Entry entry) {
        entries.put(entry.key, entry);
        bytes += entry.bytes;
    }

    private void expire(Instant now) throws IOException {
        Instant oldest = now.minus(configuration.retention());
        List<Entry> expired = new ArrayList<>();
        for (Entry entry : entries.values()) {
            if (entry.receivedAt.isBefore(oldest)) {
                expired.add(entry);
            }
        }
        for (Entry entry : expired) {
            remove(entry);
        }
        if (!expired.isEmpty()) {
            LOGGER.info(
                    "secure-delivery: {} inbound TLS report(s) older than {} removed",
                    expired.size(),
                    configuration.retention());
        }
    }

    private void evictBeyondBounds() throws IOException {
        if (entries.size() <= configuration.maxReports() && bytes <= configuration.maxBytes()) {
            return;
        }
        List<Entry> byAge = new ArrayList<>(entries.values());
        byAge.sort(Comparator.comparing((Entry entry) -> entry.receivedAt).thenComparing(entry -> entry.key));
        int removed = 0;
        for (Entry entry : byAge) {
            if (entries.size() <= configuration.maxReports() && bytes <= configuration.maxBytes()) {
                break;
            }
            remove(entry);
            removed++;
        }
        LOGGER.info(
                "secure-delivery: {} oldest inbound TLS report(s) removed to stay within {} reports and {} bytes",
                removed,
                configuration.maxReports(),
                configuration.maxBytes());
    }

    private void remove(Entry entry) throws IOException {
        Files.deleteIfExists(entry.file);
        entries.remove(entry.key);
        bytes -= entry.bytes;
    }

    // RFC 8460 5.1: a report is known by its sender and its report-id.
    private static String key(ReceivedReport report) {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            digest.update(report.organizationName().getBytes(StandardCharsets.UTF_8));
            digest.update((byte) 0);
            digest.update(report.reportId().getBytes(StandardCharsets.UTF_8));
            StringBuilder hex = new StringBuilder();
            for (byte b : digest.digest()) {
                hex.append(String.format("%02x", b & 0xff));
            }
            return hex.toString();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    private static final class Entry {
        final String key;
        final Path file;
        final Instant receivedAt;
        final Instant start;
        final Instant end;
        final Set<String> domains = new HashSet<>();
        final long bytes;

        Entry(String key, Path file, Instant receivedAt, ReceivedReport report, long bytes) {
            this.key = key;
            this.file = file;
            this.receivedAt = receivedAt;
            this.start = report.start();
            this.end = report.end();
            report.policies().forEach(policy -> domains.add(policy.policy().policyDomain()));
            this.bytes = bytes;
        }
    }
}
