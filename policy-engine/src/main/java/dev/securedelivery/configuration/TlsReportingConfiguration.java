package dev.securedelivery.configuration;

import dev.securedelivery.mtasts.DomainNames;
import dev.securedelivery.tlsrpt.IpNetwork;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The {@code tls-reports.*} keys: whether and how this MTA sends RFC 8460 aggregate reports. Off by
 * default: reports are mail (or HTTPS requests) to third parties, sent in the administrator's name,
 * so they are sent only once the administrator says who sends them. When on, the organization
 * name, the contact and the sender address are required (RFC 8460 4.4 requires the first two in
 * every report; 5.3 requires the sender's domain as {@code TLS-Report-Submitter}).
 */
public final class TlsReportingConfiguration {
    public static final String PREFIX = "tls-reports.";
    public static final String ENABLED = PREFIX + "enabled";
    public static final String ORGANIZATION_NAME = PREFIX + "organization-name";
    public static final String CONTACT_INFO = PREFIX + "contact-info";
    public static final String SENDER = PREFIX + "sender";
    public static final String PERIOD = PREFIX + "period";
    public static final String DIRECTORY = PREFIX + "directory";
    public static final String UPLOAD_ALLOWED_NETWORKS = PREFIX + "upload-allowed-networks";
    public static final String NODE_NAME = PREFIX + "node-name";
    static final Set<String> KEYS = Set.of(
            ENABLED, ORGANIZATION_NAME, CONTACT_INFO, SENDER, PERIOD, DIRECTORY, UPLOAD_ALLOWED_NETWORKS, NODE_NAME);
    /** RFC 8460 5.1: the file name's unique-id is 1*(ALPHA / DIGIT); 63 keeps it a DNS label's length. */
    private static final Pattern NODE_NAME_SYNTAX = Pattern.compile("[A-Za-z0-9]{1,63}");

    /** Where journals and unsent reports are kept unless {@code tls-reports.directory} says otherwise. */
    public static final Path DEFAULT_DIRECTORY = Paths.get("var", "secure-delivery", "tls-reports");

    private static final Duration DAY = Duration.ofDays(1);

    private final Path file;
    private final boolean enabled;
    private final String organizationName;
    private final String contactInfo;
    private final String sender;
    private final Duration period;
    private final Path directory;
    private final List<IpNetwork> uploadAllowedNetworks;
    private final String nodeName;

    private TlsReportingConfiguration(
            Path file,
            boolean enabled,
            String organizationName,
            String contactInfo,
            String sender,
            Duration period,
            Path directory,
            List<IpNetwork> uploadAllowedNetworks,
            String nodeName) {
        this.file = file;
        this.enabled = enabled;
        this.organizationName = organizationName;
        this.contactInfo = contactInfo;
        this.sender = sender;
        this.period = period;
        this.directory = directory;
        this.uploadAllowedNetworks = List.copyOf(uploadAllowedNetworks);
        this.nodeName = nodeName;
    }

    static TlsReportingConfiguration from(Settings settings) throws ConfigurationException {
        boolean enabled = settings.bool(ENABLED, false);
        Duration period = settings.duration(PERIOD, DAY, DAY);
        // RFC 8460 4.1: a day by default; other periods must tile the UTC day, so that reports of
        // consecutive periods neither overlap nor leave gaps.
        if (DAY.toMillis() % period.toMillis() != 0 || period.toMillis() % 1000 != 0) {
            String written = settings.string(PERIOD, "a period").orElse("");
            throw settings.error(
                    PERIOD,
                    "expected a whole number of seconds that divides a day evenly" + " (such as 1d, 12h, 1h, 10m), got "
                            + ConfigurationException.quote(written));
        }
        Path directory = settings.path(DIRECTORY, DEFAULT_DIRECTORY);
        Optional<String> organization = settings.string(
                ORGANIZATION_NAME, "the name of the organization that sends" + " the reports, such as Example Inc.");
        Optional<String> contact =
                settings.string(CONTACT_INFO, "the mail address the receiving domain can reach" + " you at");
        Optional<String> sender =
                settings.string(SENDER, "the address reports are sent from, such as" + " tlsrpt@example.com");
        if (sender.isPresent()) {
            checkAddress(settings, SENDER, sender.get(), "tlsrpt@example.com");
        }
        if (contact.isPresent()) {
            // RFC 8460 4.4: contact-info is "a string formatted as an email address".
            checkAddress(settings, CONTACT_INFO, contact.get(), "postmaster@example.com");
        }
        Optional<String> node = settings.string(NODE_NAME, "letters and digits naming this node, such as mx1");
        if (node.isPresent() && !NODE_NAME_SYNTAX.matcher(node.get()).matches()) {
            throw settings.error(
                    NODE_NAME,
                    "expected 1 to 63 letters and digits naming this node, such as mx1"
                            + " (RFC 8460 5.1's unique-id), got " + ConfigurationException.quote(node.get()));
        }
        if (enabled) {
            // RFC 8460 4.4: organization-name and contact-info are required fields of every report.
            require(
                    settings,
                    organization,
                    ORGANIZATION_NAME,
                    "the organization the reports come from, such as" + " Example Inc.");
            require(settings, contact, CONTACT_INFO, "the mail address the receiving domain can reach you at");
            require(settings, sender, SENDER, "the address reports are sent from, such as tlsrpt@example.com");
        }
        return new TlsReportingConfiguration(
                settings.file().orElse(null),
                enabled,
                organization.orElse(null),
                contact.orElse(null),
                sender.orElse(null),
                period,
                directory,
                networks(settings),
                node.orElse(null));
    }

    private static List<IpNetwork> networks(Settings settings) throws ConfigurationException {
        List<IpNetwork> networks = new ArrayList<>();
        Optional<String> value = settings.string(UPLOAD_ALLOWED_NETWORKS, "networks such as 127.0.0.0/8, fd00::/8");
        if (value.isEmpty()) {
            return networks;
        }
        for (String item : value.get().split(",", -1)) {
            if (item.isBlank()) {
                throw settings.error(UPLOAD_ALLOWED_NETWORKS, "empty entry in \"" + value.get() + "\"");
            }
            try {
                networks.add(IpNetwork.parse(item));
            } catch (IllegalArgumentException e) {
                throw settings.error(
                        UPLOAD_ALLOWED_NETWORKS,
                        "expected networks such as 127.0.0.0/8, 10.1.0.0/16," + " fd00::/8: " + e.getMessage());
            }
        }
        return networks;
    }

    private static void require(Settings settings, Optional<String> value, String key, String what)
            throws ConfigurationException {
        if (value.isEmpty()) {
            throw settings.error(key, "required when " + ENABLED + " = true: " + what);
        }
    }

    private static void checkAddress(Settings settings, String key, String address, String example)
            throws ConfigurationException {
        int at = address.lastIndexOf('@');
        if (at <= 0
                || address.chars().anyMatch(c -> c <= ' ' || c == '<' || c == '>' || c == ',' || c == ':')
                || DomainNames.normalize(address.substring(at + 1)) == null) {
            throw settings.error(
                    key,
                    "expected a mail address such as " + example + ", got " + ConfigurationException.quote(address));
        }
    }

    /**
     * Creates {@link #directory()} if missing and checks that it is a writable directory: called
     * when reporting starts, so that tools reading the same file never need to write there.
     */
    public void prepareDirectory() throws ConfigurationException {
        ConfiguredFiles.prepareDirectory(file, DIRECTORY, directory);
    }

    public boolean enabled() {
        return enabled;
    }

    public String organizationName() {
        return organizationName;
    }

    public String contactInfo() {
        return contactInfo;
    }

    /**
     * This node's name, set by {@code tls-reports.node-name}: what makes its reports' IDs and file
     * names its own where several nodes report for one organization. Empty: the host's name is used.
     */
    public Optional<String> nodeName() {
        return Optional.ofNullable(nodeName);
    }

    /** The address reports come from: the message's From and envelope sender. */
    public String sender() {
        return sender;
    }

    /**
     * The sending MTA's domain, {@code TLS-Report-Submitter} and the first part of a report's file
     * name: RFC 8460 5.3 has it match the From domain.
     */
    public String submitter() {
        return DomainNames.normalize(sender.substring(sender.lastIndexOf('@') + 1));
    }

    public Duration period() {
        return period;
    }

    /**
     * Networks {@code https:} reports may be uploaded to though they are not global unicast
     * (loopback, private, ...), which uploads otherwise refuse; none by default.
     */
    public List<IpNetwork> uploadAllowedNetworks() {
        return uploadAllowedNetworks;
    }

    /** Holds the session journals ({@code journal/}) and the reports still to be sent ({@code outbox/}). */
    public Path directory() {
        return directory;
    }
}
