package dev.securedelivery.configuration;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Typed reading of a properties file. Every getter names the key in its error; values are trimmed;
 * an empty value counts as unset.
 */
public final class Settings {
    private static final Pattern SHORT_DURATION = Pattern.compile("(\\d+)\\s*(ms|s|m|h|d)");
    private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");

    private final Properties properties;
    private final Path baseDirectory;

    /** Settings whose relative paths are relative to the current directory. */
    public Settings(Properties properties) {
        this(properties, null);
    }

    /** Settings whose relative paths are relative to {@code baseDirectory} (null: the current directory). */
    public Settings(Properties properties, Path baseDirectory) {
        this.properties = properties;
        this.baseDirectory = baseDirectory;
    }

    public Optional<String> string(String key) {
        String value = properties.getProperty(key);
        if (value == null || value.trim().isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(value.trim());
    }

    /**
     * A duration written as a number and a unit ({@code 500ms}, {@code 30s}, {@code 5m},
     * {@code 12h}, {@code 7d}) or in ISO-8601 ({@code PT30S}); it must be positive.
     */
    public Duration duration(String key, Duration defaultValue) throws ConfigurationException {
        Optional<String> value = string(key);
        if (value.isEmpty()) {
            return defaultValue;
        }
        Duration duration = parseDuration(key, value.get());
        if (duration.isZero() || duration.isNegative()) {
            throw new ConfigurationException(key, "must be positive, got " + value.get());
        }
        return duration;
    }

    private static Duration parseDuration(String key, String text) throws ConfigurationException {
        Matcher matcher = SHORT_DURATION.matcher(text.toLowerCase(Locale.ROOT));
        try {
            if (matcher.matches()) {
                long amount = Long.parseLong(matcher.group(1));
                switch (matcher.group(2)) {
                    case "ms":
                        return Duration.ofMillis(amount);
                    case "s":
                        return Duration.ofSeconds(amount);
                    case "m":
                        return Duration.ofMinutes(amount);
                    case "h":
                        return Duration.ofHours(amount);
                    default:
                        return Duration.ofDays(amount);
                }
            }
            return Duration.parse(text);
        } catch (DateTimeParseException | ArithmeticException | NumberFormatException e) {
            throw new ConfigurationException(key, "expected a duration such as 500ms, 30s, 5m, 12h, 7d or PT1M, got \""
                    + text + "\"");
        }
    }

    /** {@code true} or {@code false}. */
    public boolean bool(String key, boolean defaultValue) throws ConfigurationException {
        Optional<String> value = string(key);
        if (value.isEmpty()) {
            return defaultValue;
        }
        switch (value.get().toLowerCase(Locale.ROOT)) {
            case "true":
                return true;
            case "false":
                return false;
            default:
                throw new ConfigurationException(key, "expected true or false, got \"" + value.get() + "\"");
        }
    }

    /** An integer of at least {@code min}. */
    public int integer(String key, int defaultValue, int min) throws ConfigurationException {
        Optional<String> value = string(key);
        if (value.isEmpty()) {
            return defaultValue;
        }
        int number;
        try {
            number = Integer.parseInt(value.get());
        } catch (NumberFormatException e) {
            throw new ConfigurationException(key, "expected a whole number, got \"" + value.get() + "\"");
        }
        if (number < min) {
            throw new ConfigurationException(key, "must be at least " + min + ", got " + number);
        }
        return number;
    }

    /** {@code key}'s path, else {@code defaultValue}; either relative to the base directory. */
    public Path path(String key, Path defaultValue) throws ConfigurationException {
        Optional<Path> path = path(key);
        if (path.isPresent()) {
            return path.get();
        }
        return baseDirectory == null ? defaultValue : baseDirectory.resolve(defaultValue);
    }

    public Optional<Path> path(String key) throws ConfigurationException {
        Optional<String> value = string(key);
        if (value.isEmpty()) {
            return Optional.empty();
        }
        try {
            Path path = Paths.get(value.get());
            return Optional.of(baseDirectory == null ? path : baseDirectory.resolve(path));
        } catch (InvalidPathException e) {
            throw new ConfigurationException(key, "not a path: " + e.getMessage());
        }
    }

    /**
     * A comma-separated list of IP addresses with optional ports: {@code 192.0.2.53},
     * {@code 192.0.2.53:5353}, {@code [2001:db8::53]:53} or a bare IPv6 address. Names are refused:
     * resolving the DNS servers' own names would need a DNS server.
     */
    public List<InetSocketAddress> socketAddresses(String key, int defaultPort) throws ConfigurationException {
        List<InetSocketAddress> addresses = new ArrayList<>();
        Optional<String> value = string(key);
        if (value.isEmpty()) {
            return addresses;
        }
        for (String item : value.get().split(",")) {
            String entry = item.trim();
            if (entry.isEmpty()) {
                throw new ConfigurationException(key, "empty entry in \"" + value.get() + "\"");
            }
            addresses.add(socketAddress(key, entry, defaultPort));
        }
        return addresses;
    }

    private static InetSocketAddress socketAddress(String key, String entry, int defaultPort)
            throws ConfigurationException {
        String host = entry;
        int port = defaultPort;
        if (entry.startsWith("[")) {
            int close = entry.indexOf(']');
            if (close < 0) {
                throw new ConfigurationException(key, "missing ] in \"" + entry + "\"");
            }
            host = entry.substring(1, close);
            String rest = entry.substring(close + 1);
            if (!rest.isEmpty()) {
                if (!rest.startsWith(":")) {
                    throw new ConfigurationException(key, "expected :port after ] in \"" + entry + "\"");
                }
                port = port(key, rest.substring(1), entry);
            }
        } else if (entry.indexOf(':') == entry.lastIndexOf(':') && entry.indexOf(':') >= 0) {
            host = entry.substring(0, entry.indexOf(':'));
            port = port(key, entry.substring(entry.indexOf(':') + 1), entry);
        }
        if (!isIpv4(host) && !host.contains(":")) {
            throw new ConfigurationException(key, "\"" + host + "\" is not an IP address");
        }
        try {
            // An IP literal: no lookup happens.
            return new InetSocketAddress(InetAddress.getByName(host), port);
        } catch (UnknownHostException e) {
            throw new ConfigurationException(key, "\"" + host + "\" is not an IP address");
        }
    }

    // Checked here, because InetAddress.getByName would look up a malformed literal in DNS.
    private static boolean isIpv4(String host) {
        if (!IPV4.matcher(host).matches()) {
            return false;
        }
        for (String octet : host.split("\\.")) {
            if (Integer.parseInt(octet) > 255) {
                return false;
            }
        }
        return true;
    }

    private static int port(String key, String text, String entry) throws ConfigurationException {
        try {
            int port = Integer.parseInt(text);
            if (port >= 1 && port <= 65535) {
                return port;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new ConfigurationException(key, "bad port in \"" + entry + "\"");
    }

    /** The keys that start with {@code prefix}, sorted. */
    public Set<String> keysStartingWith(String prefix) {
        Set<String> keys = new TreeSet<>();
        for (String key : properties.stringPropertyNames()) {
            if (key.startsWith(prefix)) {
                keys.add(key);
            }
        }
        return keys;
    }

    /** Fails on any key under {@code prefix} that is not in {@code known}: a typo must not pass unnoticed. */
    public void rejectUnknown(String prefix, Set<String> known) throws ConfigurationException {
        for (String key : new TreeSet<>(properties.stringPropertyNames())) {
            if (key.startsWith(prefix) && !known.contains(key)) {
                throw new ConfigurationException(key, "unknown key; the keys under " + prefix + " are "
                        + new TreeSet<>(known));
            }
        }
    }

    /**
     * Refuses any key that is not under one of {@code prefixes}: a misspelt key would otherwise be
     * ignored without a word.
     */
    public void rejectUnknownKeys(Set<String> prefixes) throws ConfigurationException {
        for (String key : new TreeSet<>(properties.stringPropertyNames())) {
            if (prefixes.stream().noneMatch(key::startsWith)) {
                throw new ConfigurationException(key, "unknown key; see the configuration keys in README");
            }
        }
    }
}
