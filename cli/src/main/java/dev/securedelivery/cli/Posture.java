package dev.securedelivery.cli;

import dev.securedelivery.configuration.PolicyEngineConfiguration;
import dev.securedelivery.configuration.PostureConfiguration;
import dev.securedelivery.posture.DomainPosture;
import dev.securedelivery.posture.PostureRange;
import dev.securedelivery.posture.PostureStore;
import dev.securedelivery.posture.PostureViews;
import dev.securedelivery.posture.Protection;
import dev.securedelivery.tlsrpt.Json;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.LocalDate;
import java.util.Map;
import java.util.SortedMap;

/**
 * {@code posture [DOMAIN]}: the posture history as James last wrote it (the files in
 * {@code posture.directory}, read only; James writes them every few seconds and at shutdown), as
 * text, as the JSON WebAdmin's {@code /secure-delivery/posture} gives, or as CSV.
 */
final class Posture {
    private Posture() {}

    static int run(SecureDeliveryCli.Options options, PolicyEngineConfiguration configuration, PrintStream out)
            throws SecureDeliveryCli.InvalidInputException {
        PostureConfiguration settings = configuration.posture();
        Path directory = options.postureDirectory != null ? options.postureDirectory : settings.directory();
        if (!Files.isDirectory(directory)) {
            throw new SecureDeliveryCli.InvalidInputException("no posture history at " + directory.toAbsolutePath()
                    + ": run the tool in James's working directory, or name the directory with --posture-dir");
        }
        String domain = options.argument == null ? null : SecureDeliveryCli.domainArgument(options.argument);
        Clock clock = Clock.systemUTC();
        PostureStore store;
        try {
            store = PostureStore.readOnly(directory, settings.retentionDays(), settings.maxDomainsPerDay(), clock);
        } catch (IOException e) {
            throw new SecureDeliveryCli.InvalidInputException("cannot read " + directory + ": " + e.getMessage());
        }
        PostureRange range;
        try {
            range = PostureRange.parse(options.from, options.to, store.today());
        } catch (IllegalArgumentException e) {
            throw new SecureDeliveryCli.InvalidInputException(e.getMessage());
        }
        SortedMap<LocalDate, SortedMap<String, DomainPosture>> days = store.between(range.from(), range.to());
        if (options.csv) {
            out.print(PostureViews.csv(days, domain));
        } else if (options.json) {
            out.println(Json.write(
                    domain == null ? PostureViews.history(range, days) : PostureViews.domain(domain, range, days)));
        } else {
            text(out, days, domain);
        }
        return Report.OK;
    }

    private static void text(
            PrintStream out, SortedMap<LocalDate, SortedMap<String, DomainPosture>> days, String only) {
        StringBuilder header = new StringBuilder(String.format("%-10s %-30s", "day", "domain"));
        for (Protection protection : Protection.values()) {
            header.append(String.format(" %9s", protection.label()));
        }
        out.println(header.append(String.format(" %9s %9s", "deferred", "bounced")));
        for (Map.Entry<LocalDate, SortedMap<String, DomainPosture>> day : days.entrySet()) {
            for (Map.Entry<String, DomainPosture> entry : day.getValue().entrySet()) {
                if (only != null && !only.equals(entry.getKey())) {
                    continue;
                }
                DomainPosture posture = entry.getValue();
                StringBuilder row = new StringBuilder(String.format("%-10s %-30s", day.getKey(), entry.getKey()));
                for (Protection protection : Protection.values()) {
                    row.append(String.format(" %9d", posture.delivered(protection)));
                }
                out.println(row.append(String.format(" %9d %9d", posture.totalDeferred(), posture.totalBounced())));
            }
        }
    }
}
