package dev.securedelivery.configuration;

import static dev.securedelivery.configuration.ConfigurationException.quote;

import java.math.BigInteger;
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
 * Typed reading of a properties file. Values are trimmed; a key that is absent gets its default,
 * and a key that is present must hold a usable value: an empty one is an error, not the default,
 * since the operator wrote the key for a reason. Every error names the file, the key and what was
 * expected.
 */
public final class Settings {
    static final String DURATION_EXAMPLES = "500ms, 30s, 5m, 12h, 7d or PT1M";

    private static final Pattern SHORT_DURATION = Pattern.compile("([0-9]+)\\s*(ms|s|m|h|d)");
    private static final Pattern WHOLE_NUMBER = Pattern.compile("[+-]?[0-9]+");
    private static final Pattern IPV4 = Pattern.compile("[0-9]{1,3}(\\.[0-9]{1,3}){3}");
    private static final Duration MILLISECOND = Duration.ofMillis(1);

    private final Properties properties;
    private final Path baseDirectory;
    private final Path file;

    /** Settings whose relative paths are relative to the current directory. */
    public Settings(Properties properties) {
        this(properties, null, null);
    }

    /** Settings whose relative paths are relative to {@code baseDirectory} (null: the current directory). */
    public Settings(Properties properties, Path baseDirectory) {
        this(properties, baseDirectory, null);
    }

    /** As {@link #Settings(Properties, Path)}, read from {@code file} (null: none), which errors name. */
    public Settings(Properties properties, Path baseDirectory, Path file) {
        this.properties = properties;
        this.baseDirectory = baseDirectory;
        this.file = file;
    }

    /** The file the settings were read from, named in errors; empty if they came from no file. */
    public Optional<Path> file() {
        return Optional.ofNullable(file);
    }

    /** An error about {@code key}'s value, located in this settings' file. */
    ConfigurationException error(String key, String problem) {
        return new ConfigurationException(file, key, problem, null);
    }

    ConfigurationException error(String key, String problem, Throwable cause) {
        return new ConfigurationException(file, key, problem, cause);
    }

    /** {@code key}'s value, trimmed; empty if the key is absent (see {@link #string(String, String)}). */
    public Optional<String> string(String key) throws ConfigurationException {
        return string(key, "a value");
    }

    /**
     * {@code key}'s value, trimmed; empty if the key is absent.
     *
     * @param expected what the value should be, for the error if it is empty or holds a control
     *     character (such as "an address such as tlsrpt@example.com")
     */
    public Optional<String> string(String key, String expected) throws ConfigurationException {
        String value = properties.getProperty(key);
        if (value == null) {
            return Optional.empty();
        }
        String trimmed = value.trim();
        if (trimmed.isEmpty()) {
            throw error(key, "expected " + expected + ", got an empty value (remove the line to have the default)");
        }
        for (int i = 0; i < trimmed.length(); i++) {
            if (ConfigurationException.isControl(trimmed.charAt(i))) {
                throw error(
                        key,
                        "expected " + expected + ", got " + quote(trimmed) + ", which holds the control character "
                                + String.format("U+%04X", (int) trimmed.charAt(i)));
            }
        }
        return Optional.of(trimmed);
    }

    /**
     * A duration written as a number and a unit ({@code 500ms}, {@code 30s}, {@code 5m},
     * {@code 12h}, {@code 7d}) or in ISO-8601 ({@code PT30S}), in whole milliseconds, from 1 ms to
     * {@code max}.
     */
    public Duration duration(String key, Duration defaultValue, Duration max) throws ConfigurationException {
        String syntax = "a duration such as " + DURATION_EXAMPLES;
        Optional<String> value = string(key, syntax);
        if (value.isEmpty()) {
            return defaultValue;
        }
        String text = value.get();
        String range = "expected a duration from 1ms to " + shortForm(max) + ", got " + quote(text);
        Matcher matcher = SHORT_DURATION.matcher(text.toLowerCase(Locale.ROOT));
        Duration duration;
        if (matcher.matches()) {
            BigInteger millis =
                    new BigInteger(matcher.group(1)).multiply(BigInteger.valueOf(unitMillis(matcher.group(2))));
            if (millis.compareTo(BigInteger.valueOf(max.toMillis())) > 0) {
                throw error(key, range);
            }
            duration = Duration.ofMillis(millis.longValueExact());
        } else {
            try {
                duration = Duration.parse(text);
            } catch (DateTimeParseException e) {
                // The digits were read, but the number they make does not fit a Duration.
                if (e.getCause() instanceof ArithmeticException || e.getCause() instanceof NumberFormatException) {
                    throw error(key, range);
                }
                throw error(key, "expected " + syntax + ", got " + quote(text));
            }
            if (duration.getNano() % 1_000_000 != 0) {
                throw error(key, "expected a whole number of milliseconds, got " + quote(text));
            }
        }
        if (duration.compareTo(MILLISECOND) < 0 || duration.compareTo(max) > 0) {
            throw error(key, range);
        }
        return duration;
    }

    private static long unitMillis(String unit) {
        switch (unit) {
            case "ms":
                return 1;
            case "s":
                return 1000;
            case "m":
                return 60_000;
            case "h":
                return 3_600_000;
            default:
                return 86_400_000;
        }
    }

    /** {@code duration} as written in this file: {@code 1d}, {@code 12h}, {@code 5m}, {@code 30s} or {@code 500ms}. */
    static String shortForm(Duration duration) {
        long millis = duration.toMillis();
        String[] units = {"d", "h", "m", "s"};
        long[] sizes = {86_400_000, 3_600_000, 60_000, 1000};
        for (int i = 0; i < units.length; i++) {
            if (millis % sizes[i] == 0) {
                return millis / sizes[i] + units[i];
            }
        }
        return millis + "ms";
    }

    /** {@code true} or {@code false}, in any case. */
    public boolean bool(String key, boolean defaultValue) throws ConfigurationException {
        Optional<String> value = string(key, "true or false");
        if (value.isEmpty()) {
            return defaultValue;
        }
        switch (value.get().toLowerCase(Locale.ROOT)) {
            case "true":
                return true;
            case "false":
                return false;
            default:
                throw error(key, "expected true or false, got " + quote(value.get()));
        }
    }

    /** A whole number (ASCII digits, an optional sign) from {@code min} to {@code max}. */
    public int integer(String key, int defaultValue, int min, int max) throws ConfigurationException {
        String expected = "a whole number from " + min + " to " + max;
        Optional<String> value = string(key, expected);
        if (value.isEmpty()) {
            return defaultValue;
        }
        if (!WHOLE_NUMBER.matcher(value.get()).matches()) {
            throw error(key, "expected " + expected + ", got " + quote(value.get()));
        }
        BigInteger number = new BigInteger(value.get());
        if (number.compareTo(BigInteger.valueOf(min)) < 0 || number.compareTo(BigInteger.valueOf(max)) > 0) {
            throw error(key, "expected " + expected + ", got " + quote(value.get()));
        }
        return number.intValueExact();
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
        Optional<String> value = string(key, "a path");
        if (value.isEmpty()) {
            return Optional.empty();
        }
        try {
            Path path = Paths.get(value.get());
            return Optional.of(baseDirectory == null ? path : baseDirectory.resolve(path));
        } catch (InvalidPathException e) {
            throw error(key, "expected a path, got " + quote(value.get()) + ": " + e.getReason());
        }
    }

    /**
     * A comma-separated list of IP addresses with optional ports: {@code 192.0.2.53},
     * {@code 192.0.2.53:5353}, {@code [2001:db8::53]:53} or a bare IPv6 address. Names are refused:
     * resolving the DNS servers' own names would need a DNS server.
     */
    public List<InetSocketAddress> socketAddresses(String key, int defaultPort) throws ConfigurationException {
        List<InetSocketAddress> addresses = new ArrayList<>();
        Optional<String> value = string(
                key, "IP addresses with optional ports, such as 192.0.2.53, 192.0.2.53:5353" + " or [2001:db8::53]:53");
        if (value.isEmpty()) {
            return addresses;
        }
        for (String item : value.get().split(",", -1)) {
            String entry = item.trim();
            if (entry.isEmpty()) {
                throw error(
                        key, "expected IP addresses separated by commas, got an empty entry in " + quote(value.get()));
            }
            addresses.add(socketAddress(key, entry, defaultPort));
        }
        return addresses;
    }

    private InetSocketAddress socketAddress(String key, String entry, int defaultPort) throws ConfigurationException {
        String host = entry;
        int port = defaultPort;
        if (entry.startsWith("[")) {
            int close = entry.indexOf(']');
            if (close < 0) {
                throw error(key, "expected ] to close the IPv6 address in " + quote(entry));
            }
            host = entry.substring(1, close);
            String rest = entry.substring(close + 1);
            if (!rest.isEmpty()) {
                if (!rest.startsWith(":")) {
                    throw error(key, "expected :port after ] in " + quote(entry));
                }
                port = port(key, rest.substring(1), entry);
            }
        } else if (entry.indexOf(':') == entry.lastIndexOf(':') && entry.indexOf(':') >= 0) {
            host = entry.substring(0, entry.indexOf(':'));
            port = port(key, entry.substring(entry.indexOf(':') + 1), entry);
        }
        if (!isIpv4(host) && !isIpv6Literal(host)) {
            throw error(
                    key,
                    "expected an IP address, got " + quote(host)
                            + " (names are not taken: resolving them would need a DNS server)");
        }
        try {
            // An IP literal: no lookup happens.
            return new InetSocketAddress(InetAddress.getByName(host), port);
        } catch (UnknownHostException e) {
            throw error(key, "expected an IP address, got " + quote(host));
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

    // Hexadecimal digits, colons and dots (an embedded IPv4 address) only: never a name to look up.
    private static boolean isIpv6Literal(String host) {
        return host.contains(":")
                && host.chars()
                        .allMatch(c -> c == ':'
                                || c == '.'
                                || (c >= '0' && c <= '9')
                                || (c >= 'a' && c <= 'f')
                                || (c >= 'A' && c <= 'F'));
    }

    private int port(String key, String text, String entry) throws ConfigurationException {
        if (text.matches("[0-9]{1,5}")) {
            int port = Integer.parseInt(text);
            if (port >= 1 && port <= 65535) {
                return port;
            }
        }
        throw error(key, "expected a port from 1 to 65535 in " + quote(entry) + ", got " + quote(text));
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

    /**
     * Refuses any key that is neither in {@code known} nor starts with {@code familyPrefix} (the
     * keys that name a domain after the prefix): a misspelt key would otherwise be ignored without a
     * word, and a misspelt security key would quietly leave its default in force. The error names
     * the closest known key, or the keys of the same section.
     */
    public void rejectUnknownKeys(Set<String> known, String familyPrefix) throws ConfigurationException {
        for (String key : new TreeSet<>(properties.stringPropertyNames())) {
            if (!known.contains(key) && !key.startsWith(familyPrefix)) {
                throw error(key, "unknown key; " + KeySuggestions.hint(key, known, familyPrefix));
            }
        }
    }
}
