package dev.securedelivery.mtasts;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fetched policies kept on disk so that they survive a restart: RFC 8461 10.2 warns that an
 * attacker who can block discovery wins whenever a sender has forgotten a policy.
 *
 * <p>One file per domain, named by the domain's A-label form, holding a small header and the
 * policy body exactly as served. Files are written to a temporary file and moved into place, so a
 * reader never sees half a file. A file that cannot be read back is reported and ignored: the
 * next successful fetch replaces it.
 *
 * <p>Bounded in bytes (each file counted in whole 4 KiB blocks, as a file system stores it): whoever
 * controls a domain chooses its policy's size, and anyone can make us fetch policies of many domains.
 * Beyond the bound the files fetched longest ago go first (a policy in use is fetched at least daily).
 */
final class PolicyStore implements PolicyCache {
    private static final Logger LOGGER = LoggerFactory.getLogger(PolicyStore.class);
    private static final String MAGIC = "secure-delivery MTA-STS policy cache 1";
    private static final String TEMPORARY_DIRECTORY = ".tmp";
    /** Larger than any valid file (64 KiB of policy and a short header): anything bigger is not ours. */
    private static final long MAX_FILE_BYTES = MtaStsFetcher.MAX_BODY_BYTES + 4096;

    private static final long BLOCK_BYTES = 4096;

    private final Path directory;
    private final Path temporary;
    private final long maxBytes;
    private final AtomicLong bytes = new AtomicLong();

    PolicyStore(Path directory, long maxBytes) throws IOException {
        this.directory = Objects.requireNonNull(directory, "directory");
        this.temporary = directory.resolve(TEMPORARY_DIRECTORY);
        this.maxBytes = maxBytes;
        Files.createDirectories(temporary);
        if (!Files.isWritable(directory)) {
            throw new IOException("the policy cache directory " + directory + " is not writable");
        }
        for (Path file : ownFiles()) {
            bytes.addAndGet(blocks(sizeOf(file)));
        }
        if (bytes.get() > maxBytes) {
            prune();
        }
    }

    /** The bytes the stored files take, in whole blocks. */
    long bytes() {
        return bytes.get();
    }

    /** Stores {@code domain}'s policy; a failure is logged, the policy then lives in memory only. */
    @Override
    public void save(String domain, String id, long fetchedAtMillis, String policyText) {
        String content =
                MAGIC + "\ndomain: " + domain + "\nid: " + id + "\nfetched: " + fetchedAtMillis + "\n\n" + policyText;
        Path file = fileOf(domain);
        Path partial = temporary.resolve(UUID.randomUUID().toString());
        try {
            try (FileChannel channel =
                    FileChannel.open(partial, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                channel.write(StandardCharsets.UTF_8.encode(content));
                channel.force(true);
            }
            long replaced = blocks(sizeOf(file));
            long written = blocks(sizeOf(partial));
            try {
                Files.move(partial, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(partial, file, StandardCopyOption.REPLACE_EXISTING);
            }
            if (bytes.addAndGet(written - replaced) > maxBytes) {
                prune();
            }
        } catch (IOException | RuntimeException e) {
            LOGGER.warn(
                    "Could not store the MTA-STS policy of {} in {}: {}; it is kept in memory only",
                    domain,
                    file,
                    e.toString());
            try {
                Files.deleteIfExists(partial);
            } catch (IOException ignored) {
                // Nothing more to do: the temporary directory is emptied at the next start.
            }
        }
    }

    /** The stored policy of {@code domain}, or null when there is none or it cannot be read. */
    @Override
    public Stored load(String domain) {
        Path file = fileOf(domain);
        try {
            if (Files.size(file) > MAX_FILE_BYTES) {
                throw new IOException("the file is larger than " + MAX_FILE_BYTES + " bytes");
            }
            return parse(domain, Files.readString(file, StandardCharsets.UTF_8));
        } catch (NoSuchFileException e) {
            return null;
        } catch (IOException | MtaStsSyntaxException | RuntimeException e) {
            LOGGER.warn("Ignoring the corrupt MTA-STS policy cache file {}: {}", file, e.getMessage());
            return null;
        }
    }

    @Override
    public void delete(String domain) {
        try {
            Path file = fileOf(domain);
            long size = blocks(sizeOf(file));
            if (Files.deleteIfExists(file)) {
                bytes.addAndGet(-size);
            }
        } catch (IOException e) {
            LOGGER.warn("Could not delete the MTA-STS policy cache file of {}: {}", domain, e.toString());
        }
    }

    /** Deletes the files of policies expired at {@code nowMillis} and leftovers of interrupted writes. */
    @Override
    public void deleteExpired(long nowMillis) {
        for (Path file : ownFiles()) {
            String name = file.getFileName().toString();
            Stored stored = load(name);
            if (stored != null && stored.expiresAtMillis() <= nowMillis) {
                delete(name);
            }
        }
        try (DirectoryStream<Path> partials = Files.newDirectoryStream(temporary)) {
            for (Path partial : partials) {
                Files.deleteIfExists(partial);
            }
        } catch (IOException e) {
            LOGGER.warn("Could not clean {}: {}", temporary, e.toString());
        }
    }

    // Only files this store writes: a foreign file (Example.com, notes.txt) is left alone and must not
    // stop the cleanup of the rest.
    private List<Path> ownFiles() {
        List<Path> files = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(directory)) {
            for (Path file : entries) {
                String name = file.getFileName().toString();
                if (!name.equals(TEMPORARY_DIRECTORY) && name.equals(DomainNames.normalize(name))) {
                    files.add(file);
                }
            }
        } catch (IOException e) {
            LOGGER.warn("Could not list the MTA-STS policy cache directory {}: {}", directory, e.toString());
        }
        return files;
    }

    // The files fetched longest ago go, down to nine tenths of the bound.
    private synchronized void prune() {
        List<Map.Entry<FileTime, Path>> ages = new ArrayList<>();
        for (Path file : ownFiles()) {
            try {
                ages.add(Map.entry(Files.getLastModifiedTime(file), file));
            } catch (IOException e) {
                // Gone meanwhile.
            }
        }
        ages.sort(Map.Entry.comparingByKey());
        int deleted = 0;
        for (Map.Entry<FileTime, Path> age : ages) {
            if (bytes.get() <= maxBytes / 10 * 9) {
                break;
            }
            delete(age.getValue().getFileName().toString());
            deleted++;
        }
        LOGGER.info(
                "The MTA-STS policy cache directory {} reached {} bytes; the {} policies fetched longest ago"
                        + " were deleted from it (they stay in memory while in use)",
                directory,
                maxBytes,
                deleted);
    }

    private static long sizeOf(Path file) {
        try {
            return Files.size(file);
        } catch (IOException e) {
            return 0;
        }
    }

    private static long blocks(long size) {
        return (size + BLOCK_BYTES - 1) / BLOCK_BYTES * BLOCK_BYTES;
    }

    private Path fileOf(String domain) {
        // The engine only passes normalised host names: letters, digits, hyphens and dots, no empty
        // label, so the name can neither leave the directory nor be the temporary directory.
        if (!domain.equals(DomainNames.normalize(domain))) {
            throw new IllegalArgumentException("not a normalised domain name: " + domain);
        }
        return directory.resolve(domain);
    }

    private static Stored parse(String domain, String content) throws IOException, MtaStsSyntaxException {
        int bodyStart = content.indexOf("\n\n");
        if (bodyStart < 0) {
            throw new IOException("no header");
        }
        String[] header = content.substring(0, bodyStart).split("\n");
        if (header.length != 4 || !header[0].equals(MAGIC)) {
            throw new IOException("not a policy cache file of this version");
        }
        String storedDomain = value(header[1], "domain");
        if (!storedDomain.equals(domain)) {
            throw new IOException("the file is for " + storedDomain + ", not " + domain);
        }
        String id = value(header[2], "id");
        long fetchedAt;
        try {
            fetchedAt = Long.parseLong(value(header[3], "fetched"));
        } catch (NumberFormatException e) {
            throw new IOException("bad fetch time: " + header[3]);
        }
        if (!MtaStsRecord.isValidId(id)) {
            throw new IOException("bad policy id: " + id);
        }
        return new Stored(id, fetchedAt, MtaStsPolicy.parse(content.substring(bodyStart + 2)));
    }

    private static String value(String line, String name) throws IOException {
        String prefix = name + ": ";
        if (!line.startsWith(prefix)) {
            throw new IOException("expected " + name + " in the header, got \"" + line + "\"");
        }
        return line.substring(prefix.length());
    }
}
