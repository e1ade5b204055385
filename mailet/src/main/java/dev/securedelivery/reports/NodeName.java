package dev.securedelivery.reports;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The name a node's reports carry when {@code tls-reports.node-name} is not set: its host name,
 * kept to letters and digits (RFC 8460 5.1's unique-id is {@code 1*(ALPHA / DIGIT)}), so that the
 * nodes of one organization, each on a host of its own, send reports of their own. A host whose name
 * cannot be had gets a random name, kept in the reports directory so that it stays the same across
 * restarts (a rebuilt report must replace, not duplicate, the one it rebuilds).
 */
public final class NodeName {
    static final int MAX_LENGTH = 63;
    static final String FILE = "node-name";
    private static final Logger LOGGER = LoggerFactory.getLogger(NodeName.class);

    private NodeName() {}

    /** This host's node name; {@code directory} holds the random one of a host without a name. */
    public static String ofThisHost(Path directory) {
        String host;
        try {
            host = InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            host = "";
        }
        String name = fromHostName(host);
        return name.isEmpty() ? stored(directory) : name;
    }

    /** {@code host}'s letters and digits, lower case, at most {@value #MAX_LENGTH}: mx1.dc2.example: mx1dc2example. */
    static String fromHostName(String host) {
        StringBuilder name = new StringBuilder();
        for (int i = 0; i < host.length() && name.length() < MAX_LENGTH; i++) {
            char c = host.charAt(i);
            if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
                name.append(c);
            }
        }
        return name.toString().toLowerCase(Locale.ROOT);
    }

    /** The random name kept in {@code directory}, made the first time. */
    static String stored(Path directory) {
        Path file = directory.resolve(FILE);
        try {
            String kept = fromHostName(
                    Files.readString(file, StandardCharsets.US_ASCII).trim());
            if (!kept.isEmpty()) {
                return kept;
            }
        } catch (NoSuchFileException e) {
            // The first start on this host.
        } catch (IOException e) {
            LOGGER.warn("TLS reports: cannot read {}: {}; choosing a new node name", file, e.toString());
        }
        byte[] random = new byte[6];
        new SecureRandom().nextBytes(random);
        StringBuilder name = new StringBuilder("node");
        for (byte b : random) {
            name.append(String.format("%02x", b & 0xff));
        }
        try {
            Files.createDirectories(directory);
            Files.writeString(file, name + "\n", StandardCharsets.US_ASCII);
        } catch (IOException e) {
            LOGGER.warn(
                    "TLS reports: cannot keep the node name in {}: {}; it changes at the next start",
                    file,
                    e.toString());
        }
        LOGGER.warn(
                "TLS reports: this host's name cannot be had; reports carry the node name {} (set"
                        + " tls-reports.node-name to choose one)",
                name);
        return name.toString();
    }
}
