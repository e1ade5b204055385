package dev.securedelivery.cli;

import dev.securedelivery.configuration.ConfigurationException;
import dev.securedelivery.configuration.PolicyEngineConfiguration;
import dev.securedelivery.mtasts.DomainNames;
import dev.securedelivery.mtasts.MtaStsMode;
import dev.securedelivery.owndomains.PublishedRecords;
import dev.securedelivery.owndomains.SmtpServerKeystore;
import dev.securedelivery.tlsrpt.Json;
import java.io.PrintStream;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * {@code publish DOMAIN}: the records and the policy the domain must publish for senders to protect
 * the mail they send it ({@link PublishedRecords}), from the MX host names ({@code --mx}, else the
 * domain's MX records) and the certificate James's SMTP server presents (its {@code smtpserver.xml}
 * keystore, read in James's working directory or {@code --james-home}); with {@code --next FILE}, a key
 * change: both TLSA records and the order of the steps.
 */
final class Publish {
    private Publish() {}

    static int run(SecureDeliveryCli.Options options, PolicyEngineConfiguration configuration, PrintStream out)
            throws SecureDeliveryCli.InvalidInputException {
        String domain = SecureDeliveryCli.domainArgument(options.argument);
        Path home = options.jamesHome == null ? Path.of("") : options.jamesHome;
        Path smtpServer = home.resolve("conf").resolve("smtpserver.xml");
        List<X509Certificate> current;
        Optional<X509Certificate> next = Optional.empty();
        try {
            current = SmtpServerKeystore.read(smtpServer, home.toAbsolutePath());
            if (options.next != null) {
                next = Optional.of(SmtpServerKeystore.fromPem(options.next).get(0));
            }
        } catch (SmtpServerKeystore.UnreadableException e) {
            throw new SecureDeliveryCli.InvalidInputException(
                    e.getMessage() + " (run the tool in James's working directory, or name it with --james-home)");
        }
        List<String> mx = new ArrayList<>();
        for (String host : options.mx) {
            String normalized = DomainNames.normalize(host);
            if (normalized == null) {
                throw new SecureDeliveryCli.InvalidInputException("--mx: \"" + host + "\" is not a host name");
            }
            mx.add(normalized);
        }
        if (mx.isEmpty()) {
            mx = mxFromDns(domain, configuration);
        }
        String address = options.reportAddress == null ? "tlsrpt@" + domain : options.reportAddress;
        if (!address.matches("[^@\\s\",;]+@[^@\\s\",;]+")) {
            throw new SecureDeliveryCli.InvalidInputException("--report-address: not a mail address: " + address);
        }
        PublishedRecords records = PublishedRecords.of(
                domain,
                mx,
                current.get(0),
                next,
                address,
                options.enforce ? MtaStsMode.ENFORCE : MtaStsMode.TESTING,
                Clock.systemUTC().instant());
        if (options.json) {
            Map<String, Object> document = new LinkedHashMap<>();
            document.put("command", "publish");
            document.put("subject", domain);
            document.put("id", records.id());
            document.put("zone", records.zoneFile());
            document.put("policy", records.policyText());
            document.put("steps", records.steps());
            out.println(Json.write(document));
        } else {
            out.print(records.zoneFile());
            out.println();
            out.println("; the policy file, at https://mta-sts." + domain + "/.well-known/mta-sts.txt:");
            for (String line : records.policyText().split("\r\n")) {
                out.println(";   " + line);
            }
            out.println();
            int step = 1;
            for (String line : records.steps()) {
                out.println("; " + step++ + ". " + line);
            }
        }
        return Report.OK;
    }

    private static List<String> mxFromDns(String domain, PolicyEngineConfiguration configuration)
            throws SecureDeliveryCli.InvalidInputException {
        try {
            return PublishedRecords.mxHostsOf(domain, configuration.dnsResolver(Clock.systemUTC()));
        } catch (ConfigurationException e) {
            throw new SecureDeliveryCli.InvalidInputException(e.getMessage());
        } catch (IllegalArgumentException e) {
            throw new SecureDeliveryCli.InvalidInputException(e.getMessage() + " with --mx");
        }
    }
}
