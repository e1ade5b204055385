package dev.securedelivery.cli;

import dev.securedelivery.configuration.ConfigurationException;
import dev.securedelivery.configuration.ConfigurationFile;
import dev.securedelivery.configuration.PolicyEngineConfiguration;
import dev.securedelivery.mtasts.DomainNames;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * {@code bin/secure-delivery COMMAND [OPTIONS] ARGUMENT}; see {@link #USAGE}.
 */
public final class SecureDeliveryCli {
    static final String USAGE = String.join(
            "\n",
            "usage: secure-delivery COMMAND [OPTIONS] ARGUMENT",
            "",
            "commands:",
            "  check DOMAIN        the delivery plan, as the mailet would use it",
            "  probe DOMAIN        the plan, then a connection to each MX address with its requirement",
            "  verify DOMAIN       for the domain's owner: _mta-sts record, policy, MX coverage,",
            "                      certificates, TLSA records, _smtp._tls records; each problem with its fix",
            "  publish DOMAIN      for the domain's owner: the MTA-STS, TLS-RPT and TLSA records and the",
            "                      policy to publish, from James's MX hosts and SMTP keystore",
            "  lint-policy FILE    check an MTA-STS policy body offline (- for standard input)",
            "  lint-txt RECORD     check an _mta-sts (v=STSv1) or _smtp._tls (v=TLSRPTv1) TXT value offline",
            "  posture [DOMAIN]    how securely mail left, per day and destination domain, as James last",
            "                      wrote it (posture.directory; run in James's working directory)",
            "",
            "options:",
            "  --config FILE         secure-delivery.properties to start from (its cache directory is ignored)",
            "  --dns HOST[:PORT]     a DNS resolver (repeatable); replaces dns.servers",
            "  --trust-anchor FILE   DNSSEC trust anchors (DS or DNSKEY records); replaces dns.trust-anchor",
            "  --ca FILE             PEM CA certificates for PKIX; replaces tls.trusted-certificates",
            "  --smtp-port PORT      the MX servers' port (default 25; for tests)",
            "  --json                one JSON document instead of text",
            "  --csv                 posture: CSV (RFC 4180), a row per day and domain",
            "  --from DAY, --to DAY  posture: the days shown, YYYY-MM-DD (default: the last 30)",
            "  --posture-dir DIR     posture: the history's directory; replaces posture.directory",
            "  --james-home DIR      publish: James's working directory (default: here), its conf/smtpserver.xml",
            "  --mx HOST             publish: an MX host (repeatable; default: the domain's MX records)",
            "  --next FILE           publish: the PEM certificate of the next key, for a key change",
            "  --report-address ADDR publish: where TLS reports go (default: tlsrpt@DOMAIN)",
            "  --enforce             publish: the policy in mode enforce (default: testing first)",
            "",
            "exit codes: 0 all well, 1 invalid input, 2 problems found, 3 a lookup failed");

    private SecureDeliveryCli() {}

    public static void main(String[] args) {
        // dnsjava and HttpClient log through SLF4J: keep their chatter off the report.
        System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "error");
        System.exit(run(args, System.in, System.out, System.err));
    }

    /** Runs one command; returns its exit code. */
    public static int run(String[] args, InputStream in, PrintStream out, PrintStream err) {
        Options options;
        try {
            options = Options.parse(args);
        } catch (IllegalArgumentException e) {
            err.println("secure-delivery: " + e.getMessage());
            err.println(USAGE);
            return Report.INVALID_INPUT;
        }
        if (options.help) {
            out.println(USAGE);
            return Report.OK;
        }
        try {
            Report report;
            switch (options.command) {
                case "lint-policy":
                    report = Lint.policy(options.argument, in);
                    break;
                case "lint-txt":
                    report = Lint.txt(options.argument);
                    break;
                case "check":
                case "probe":
                    report = Plans.run(options.command, options.argument, configuration(options), options.smtpPort);
                    break;
                case "verify":
                    report = Verify.run(options.argument, configuration(options), options.smtpPort);
                    break;
                case "posture":
                    // Its own output: the same JSON as WebAdmin's posture route, or CSV.
                    return Posture.run(options, configuration(options), out);
                case "publish":
                    return Publish.run(options, configuration(options), out);
                default:
                    err.println("secure-delivery: unknown command \"" + options.command + "\"");
                    err.println(USAGE);
                    return Report.INVALID_INPUT;
            }
            report.print(out, options.json);
            return report.exitCode();
        } catch (InvalidInputException e) {
            err.println("secure-delivery: " + e.getMessage());
            return Report.INVALID_INPUT;
        }
    }

    /** The configuration file, if any, with the command line's replacements; never the cache directory. */
    static PolicyEngineConfiguration configuration(Options options) throws InvalidInputException {
        Properties properties = new Properties();
        Map<String, String> replacedBy = new HashMap<>();
        try {
            if (options.config != null) {
                properties = ConfigurationFile.read(options.config);
            }
            // The tool looks; it never writes into the mailet's policy cache.
            properties.remove(PolicyEngineConfiguration.CACHE_DIRECTORY);
            if (!options.dns.isEmpty()) {
                properties.setProperty(PolicyEngineConfiguration.DNS_SERVERS, String.join(",", options.dns));
                replacedBy.put(PolicyEngineConfiguration.DNS_SERVERS, "--dns");
            }
            // An option's relative path is relative to where the tool runs, not to the file's directory.
            if (options.trustAnchor != null) {
                properties.setProperty(
                        PolicyEngineConfiguration.DNS_TRUST_ANCHOR,
                        options.trustAnchor.toAbsolutePath().toString());
                replacedBy.put(PolicyEngineConfiguration.DNS_TRUST_ANCHOR, "--trust-anchor");
            }
            if (options.ca != null) {
                properties.setProperty(
                        PolicyEngineConfiguration.TRUSTED_CERTIFICATES,
                        options.ca.toAbsolutePath().toString());
                replacedBy.put(PolicyEngineConfiguration.TRUSTED_CERTIFICATES, "--ca");
            }
            Path base = options.config == null
                    ? null
                    : options.config.toAbsolutePath().getParent();
            return PolicyEngineConfiguration.from(properties, base, options.config);
        } catch (ConfigurationException e) {
            // A value from the command line is the option's fault, not the file's.
            String option = e.key().map(replacedBy::get).orElse(null);
            throw new InvalidInputException(option == null ? e.getMessage() : option + ": " + e.problem());
        }
    }

    /** A DOMAIN argument in the engine's form (lower-case A-labels). */
    static String domainArgument(String argument) throws InvalidInputException {
        String domain = DomainNames.normalize(argument);
        if (domain == null) {
            throw new InvalidInputException("\"" + argument + "\" is not a domain name");
        }
        return domain;
    }

    /** Input the tool cannot work with: exit code 1. */
    static final class InvalidInputException extends Exception {
        private static final long serialVersionUID = 1L;

        InvalidInputException(String message) {
            super(message);
        }
    }

    static final class Options {
        String command;
        String argument;
        final List<String> dns = new ArrayList<>();
        Path trustAnchor;
        Path ca;
        Path config;
        int smtpPort = 25;
        boolean json;
        boolean csv;
        String from;
        String to;
        Path postureDirectory;
        Path jamesHome;
        final List<String> mx = new ArrayList<>();
        Path next;
        String reportAddress;
        boolean enforce;
        boolean help;

        static Options parse(String[] args) {
            Options options = new Options();
            List<String> positional = new ArrayList<>();
            for (int i = 0; i < args.length; i++) {
                String arg = args[i];
                switch (arg) {
                    case "--json":
                        options.json = true;
                        break;
                    case "--csv":
                        options.csv = true;
                        break;
                    case "--from":
                        options.from = value(args, ++i, arg);
                        break;
                    case "--to":
                        options.to = value(args, ++i, arg);
                        break;
                    case "--posture-dir":
                        options.postureDirectory = Path.of(value(args, ++i, arg));
                        break;
                    case "--james-home":
                        options.jamesHome = Path.of(value(args, ++i, arg));
                        break;
                    case "--mx":
                        options.mx.add(value(args, ++i, arg));
                        break;
                    case "--next":
                        options.next = Path.of(value(args, ++i, arg));
                        break;
                    case "--report-address":
                        options.reportAddress = value(args, ++i, arg);
                        break;
                    case "--enforce":
                        options.enforce = true;
                        break;
                    case "-h":
                    case "--help":
                        options.help = true;
                        break;
                    case "--dns":
                        options.dns.add(value(args, ++i, arg));
                        break;
                    case "--trust-anchor":
                        options.trustAnchor = Path.of(value(args, ++i, arg));
                        break;
                    case "--ca":
                        options.ca = Path.of(value(args, ++i, arg));
                        break;
                    case "--config":
                        options.config = Path.of(value(args, ++i, arg));
                        break;
                    case "--smtp-port":
                        options.smtpPort = port(value(args, ++i, arg));
                        break;
                    default:
                        if (arg.startsWith("--")) {
                            throw new IllegalArgumentException("unknown option " + arg);
                        }
                        positional.add(arg);
                }
            }
            if (options.help) {
                return options;
            }
            if (options.json && options.csv) {
                throw new IllegalArgumentException("--json and --csv exclude each other");
            }
            if (positional.size() == 1 && positional.get(0).equals("posture")) {
                // posture alone: every domain.
                options.command = positional.get(0);
                return options;
            }
            if (positional.size() != 2) {
                throw new IllegalArgumentException("expected a command and one argument, got " + positional);
            }
            options.command = positional.get(0);
            options.argument = positional.get(1);
            return options;
        }

        private static String value(String[] args, int index, String option) {
            if (index >= args.length) {
                throw new IllegalArgumentException(option + " needs a value");
            }
            return args[index];
        }

        private static int port(String text) {
            try {
                int port = Integer.parseInt(text);
                if (port >= 1 && port <= 65535) {
                    return port;
                }
            } catch (NumberFormatException e) {
                // reported below
            }
            throw new IllegalArgumentException("--smtp-port needs a port, got " + text);
        }
    }
}
