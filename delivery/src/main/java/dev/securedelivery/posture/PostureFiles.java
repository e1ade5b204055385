package dev.securedelivery.posture;

import dev.securedelivery.delivery.FailureCause;
import dev.securedelivery.mtasts.DomainNames;
import dev.securedelivery.tlsrpt.BoundedLineReader;
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
import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import java.util.Map;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The posture history on disk: a file per UTC day, {@code <directory>/YYYY-MM-DD.posture}, rewritten
 * whole (a temporary file, forced to disk, renamed over the old one), so a file is always whole, the
 * old one or the new.
 *
 * <p>Format, UTF-8, one domain a line, tab-separated:
 * <pre>
 * secure-delivery-posture 1
 * example.com  1?0  delivered.dane=12  deferred.connection-or-smtp=1  bounced.starttls-not-supported=2
 * </pre>
 * The second field says what the domain publishes: MTA-STS, DANE, TLS-RPT, each {@code 1} yes,
 * {@code 0} no, {@code ?} unknown.
 *
 * <p>Reading back is bounded: a line over {@value #MAX_LINE_CHARS} characters is not read, and of a
 * file only its first {@code (maxDomainsPerDay + 2) * }{@value #MAX_LINE_CHARS} characters are (the
 * rest is dropped with a warning). A line that cannot be read (garbled, over the limit, an unknown
 * count) is skipped and logged; a file without the expected first line is set aside as
 * {@code YYYY-MM-DD.posture.unreadable} (when writable) and its day starts empty.
 */
final class PostureFiles {
    /** The longest line read back: a domain name (253) and 32 counts fit many times over. */
    static final int MAX_LINE_CHARS = 4096;

    static final String HEADER = "secure-delivery-posture 1";

    private static final String SUFFIX = ".posture";
    private static final Pattern DAY_FILE = Pattern.compile("\\d{4}-\\d{2}-\\d{2}\\.posture");
    private static final Pattern COUNT = Pattern.compile("[0-9]{1,15}");
    private static final Logger LOGGER = LoggerFactory.getLogger(PostureFiles.class);

    /** Where a day's lines go as they are read. */
    interface Reading {
        void domain(LocalDate day, String domain, DomainPosture counts);
    }

    private final Path directory;
    private final boolean writable;
    private final long maxCharsPerFile;

    /**
     * @param writable false to change nothing on disk (no temporary file removed, no old day deleted,
     *     no unreadable file set aside)
     */
    PostureFiles(Path directory, boolean writable, int maxDomainsPerDay) {
        this.directory = directory;
        this.writable = writable;
        this.maxCharsPerFile = (maxDomainsPerDay + 2L) * MAX_LINE_CHARS;
    }

    Path directory() {
        return directory;
    }

    /**
     * Reads every day from {@code first} on into {@code reading}; deletes older days and writes cut
     * short (when writable). How many lines were skipped.
     */
    int readFrom(LocalDate first, Reading reading) throws IOException {
        int skipped = 0;
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
                    skipped += read(day, file, reading);
                } catch (NoSuchFileException e) {
                    // Deleted meanwhile (read-only, while James forgets old days): nothing to read.
                }
            }
        }
        return skipped;
    }

    /** Writes {@code day}'s counts, replacing its file whole. */
    void write(LocalDate day, Map<String, DomainPosture> domains) throws IOException {
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

    void delete(LocalDate day) throws IOException {
        Files.deleteIfExists(fileOf(day));
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

    // The lines skipped.
    private int read(LocalDate day, Path file, Reading reading) throws IOException {
        int skipped = 0;
        try (BoundedLineReader lines = new BoundedLineReader(
                // Bytes that are not UTF-8 become replacement characters: such a line does not parse.
                new InputStreamReader(Files.newInputStream(file), StandardCharsets.UTF_8),
                MAX_LINE_CHARS,
                maxCharsPerFile)) {
            String header = lines.next();
            if (!HEADER.equals(header)) {
                setAside(day, file);
                return 1;
            }
            for (String line = lines.next(); line != null; line = lines.next()) {
                if (!parse(day, line, reading)) {
                    skipped++;
                }
            }
            skipped += lines.overlongLines();
            if (lines.truncated()) {
                LOGGER.warn(
                        "secure-delivery: posture file {} is over {} characters; the rest is not read",
                        file,
                        maxCharsPerFile);
            }
        }
        if (skipped > 0) {
            LOGGER.warn(
                    "secure-delivery: {} line(s) of posture file {} skipped: garbled, over {} characters, or"
                            + " an unknown count; the other lines are counted",
                    skipped,
                    file,
                    MAX_LINE_CHARS);
        }
        return skipped;
    }

    private void setAside(LocalDate day, Path file) throws IOException {
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
    private static boolean parse(LocalDate day, String line, Reading reading) {
        String[] fields = line.split("\t", -1);
        if (fields.length < 2) {
            return false;
        }
        String domain = fields[0];
        if (!PostureStore.OTHER.equals(domain) && !domain.equals(DomainNames.normalize(domain))) {
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
        reading.domain(day, domain, read);
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
}
