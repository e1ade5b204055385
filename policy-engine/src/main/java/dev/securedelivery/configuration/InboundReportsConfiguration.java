package dev.securedelivery.configuration;

import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.Set;

/**
 * The {@code inbound-reports.*} keys: where the RFC 8460 reports other MTAs send about our domains
 * are kept, and for how long. Bounded both ways: reports older than the retention go, and beyond the
 * count or the size the oldest received go first.
 */
public final class InboundReportsConfiguration {
    public static final String PREFIX = "inbound-reports.";
    public static final String DIRECTORY = PREFIX + "directory";
    public static final String RETENTION = PREFIX + "retention";
    public static final String MAX_REPORTS = PREFIX + "max-reports";
    public static final String MAX_MIB = PREFIX + "max-mib";
    static final Set<String> KEYS = Set.of(DIRECTORY, RETENTION, MAX_REPORTS, MAX_MIB);

    /** Under James's working directory unless {@code inbound-reports.directory} says otherwise. */
    public static final Path DEFAULT_DIRECTORY = Paths.get("var", "secure-delivery", "inbound-reports");

    public static final Duration DEFAULT_RETENTION = Duration.ofDays(90);
    static final Duration MAX_RETENTION = Duration.ofDays(3660);
    static final int DEFAULT_MAX_REPORTS = 10_000;
    static final int MAX_MAX_REPORTS = 1_000_000;
    static final int DEFAULT_MAX_MIB = 64;
    static final int MAX_MAX_MIB = 65_536;
    private static final long MEBIBYTE = 1024 * 1024;

    private final Path file;
    private final Path directory;
    private final Duration retention;
    private final int maxReports;
    private final int maxMebibytes;

    private InboundReportsConfiguration(
            Path file, Path directory, Duration retention, int maxReports, int maxMebibytes) {
        this.file = file;
        this.directory = directory;
        this.retention = retention;
        this.maxReports = maxReports;
        this.maxMebibytes = maxMebibytes;
    }

    static InboundReportsConfiguration from(Settings settings) throws ConfigurationException {
        return new InboundReportsConfiguration(
                settings.file().orElse(null),
                settings.path(DIRECTORY, DEFAULT_DIRECTORY),
                settings.duration(RETENTION, DEFAULT_RETENTION, MAX_RETENTION),
                settings.integer(MAX_REPORTS, DEFAULT_MAX_REPORTS, 1, MAX_MAX_REPORTS),
                settings.integer(MAX_MIB, DEFAULT_MAX_MIB, 1, MAX_MAX_MIB));
    }

    /**
     * Creates {@link #directory()} if missing and checks that it is a writable directory: called
     * when the store is first used, so that a James without the inbound mailet never writes there.
     */
    public void prepareDirectory() throws ConfigurationException {
        ConfiguredFiles.prepareDirectory(file, DIRECTORY, directory);
    }

    /** Where the reports are kept, one file each. */
    public Path directory() {
        return directory;
    }

    /** How long a report is kept after it was received. */
    public Duration retention() {
        return retention;
    }

    /** The most reports kept; beyond, the oldest received go. */
    public int maxReports() {
        return maxReports;
    }

    /** The most bytes the kept reports take on disk; beyond, the oldest received go. */
    public long maxBytes() {
        return maxMebibytes * MEBIBYTE;
    }
}
