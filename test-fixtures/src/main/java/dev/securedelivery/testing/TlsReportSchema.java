package dev.securedelivery.testing;

import com.networknt.schema.Error;
import com.networknt.schema.InputFormat;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SchemaRegistryConfig;
import com.networknt.schema.SpecificationVersion;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

/**
 * The JSON Schema of an RFC 8460 4.4 aggregate report ({@code tlsrpt-report.schema.json}, written
 * from the RFC), and the checks a schema cannot make: every test that produces a report holds it to
 * both, so that what receivers' aggregators parse is checked wherever a report is made.
 */
public final class TlsReportSchema {
    private static final String RESOURCE = "tlsrpt-report.schema.json";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Schema SCHEMA = load();

    private TlsReportSchema() {}

    private static Schema load() {
        // Formats (date-time, ipv4, ipv6, uri) are asserted, not only annotated as 2020-12 would have it.
        SchemaRegistry registry = SchemaRegistry.withDefaultDialect(
                SpecificationVersion.DRAFT_2020_12,
                builder -> builder.schemaRegistryConfig(SchemaRegistryConfig.builder()
                        .formatAssertionsEnabled(true)
                        .build()));
        try (InputStream in = TlsReportSchema.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException(RESOURCE + " is not on the class path");
            }
            return registry.getSchema(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * What is wrong with {@code json} as a report: the schema's errors, then whether each policy's
     * {@code total-failure-session-count} is the sum of its {@code failed-session-count}s; empty if
     * nothing is.
     */
    public static List<String> violations(String json) {
        List<String> violations = new ArrayList<>();
        for (Error error : SCHEMA.validate(json, InputFormat.JSON)) {
            violations.add(error.toString());
        }
        if (!violations.isEmpty()) {
            return violations;
        }
        JsonNode report = JSON.readTree(json);
        int index = 0;
        for (JsonNode policy : report.get("policies")) {
            long failures = 0;
            JsonNode details = policy.get("failure-details");
            if (details != null) {
                for (JsonNode detail : details) {
                    failures += detail.get("failed-session-count").asLong();
                }
            }
            long total =
                    policy.get("summary").get("total-failure-session-count").asLong();
            if (failures != total) {
                violations.add("/policies/" + index + ": total-failure-session-count " + total
                        + " is not the sum of its failure-details' failed-session-count, " + failures);
            }
            index++;
        }
        return violations;
    }

    /** Fails with every violation if {@code json} is not a valid report. */
    public static String check(String json) {
        List<String> violations = violations(json);
        if (!violations.isEmpty()) {
            throw new AssertionError("not a valid RFC 8460 report: " + violations + "\n" + json);
        }
        return json;
    }
}
