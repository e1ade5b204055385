package dev.securedelivery.configuration;

import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Set;

/**
 * The {@code posture.*} keys: where the posture history (per day and destination domain, how
 * securely mail left) is kept, and its bounds.
 */
public final class PostureConfiguration {
    public static final String PREFIX = "posture.";
    public static final String DIRECTORY = PREFIX + "directory";
    public static final String RETENTION_DAYS = PREFIX + "retention-days";
    public static final String MAX_DOMAINS_PER_DAY = PREFIX + "max-domains-per-day";
    static final Set<String> KEYS = Set.of(DIRECTORY, RETENTION_DAYS, MAX_DOMAINS_PER_DAY);

    /** Under James's working directory unless {@code posture.directory} says otherwise. */
    public static final Path DEFAULT_DIRECTORY = Paths.get("var", "secure-delivery", "posture");

    public static final int DEFAULT_RETENTION_DAYS = 90;
    public static final int MAX_RETENTION_DAYS = 3660;
    public static final int DEFAULT_MAX_DOMAINS_PER_DAY = 1000;
    public static final int MAX_MAX_DOMAINS_PER_DAY = 100_000;

    private final Path file;
    private final Path directory;
    private final int retentionDays;
    private final int maxDomainsPerDay;

    private PostureConfiguration(Path file, Path directory, int retentionDays, int maxDomainsPerDay) {
        this.file = file;
        this.directory = directory;
        this.retentionDays = retentionDays;
        this.maxDomainsPerDay = maxDomainsPerDay;
    }

    static PostureConfiguration from(Settings settings) throws ConfigurationException {
        return new PostureConfiguration(
                settings.file().orElse(null),
                settings.path(DIRECTORY, DEFAULT_DIRECTORY),
                settings.integer(RETENTION_DAYS, DEFAULT_RETENTION_DAYS, 1, MAX_RETENTION_DAYS),
                settings.integer(MAX_DOMAINS_PER_DAY, DEFAULT_MAX_DOMAINS_PER_DAY, 1, MAX_MAX_DOMAINS_PER_DAY));
    }

    /** Creates {@link #directory()} if missing and checks that it is a writable directory. */
    public void prepareDirectory() throws ConfigurationException {
        ConfiguredFiles.prepareDirectory(file, DIRECTORY, directory);
    }

    public Path directory() {
        return directory;
    }

    /** Days kept, today included. */
    public int retentionDays() {
        return retentionDays;
    }

    /** Destination domains counted by name per day; the others share the "other" bucket. */
    public int maxDomainsPerDay() {
        return maxDomainsPerDay;
    }
}
