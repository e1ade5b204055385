package dev.securedelivery.cli;

import dev.securedelivery.tlsrpt.Json;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What a command found, as findings (each with its level and, for a problem, its fix), and the exit
 * code they add up to:
 * <ul>
 *   <li>{@value #OK}: all is well (informational findings only);</li>
 *   <li>{@value #INVALID_INPUT}: the command line, a file or the configuration cannot be used;</li>
 *   <li>{@value #POLICY_PROBLEM}: at least one problem was found (an invalid policy or record, an MX
 *       outside the policy, a certificate or TLSA mismatch, mail that cannot be delivered now), or a
 *       warning (a certificate about to expire: soon a problem);</li>
 *   <li>{@value #LOOKUP_FAILURE}: no problem found, but a lookup failed (DNS timeout or SERVFAIL),
 *       so the answer is incomplete.</li>
 * </ul>
 */
final class Report {
    static final int OK = 0;
    static final int INVALID_INPUT = 1;
    static final int POLICY_PROBLEM = 2;
    static final int LOOKUP_FAILURE = 3;

    enum Level {
        OK,
        INFO,
        WARNING,
        PROBLEM,
        LOOKUP_FAILURE
    }

    private final String command;
    private final String subject;
    private final List<Map<String, Object>> findings = new ArrayList<>();
    private final Map<String, Object> data = new LinkedHashMap<>();

    Report(String command, String subject) {
        this.command = command;
        this.subject = subject;
    }

    Report ok(String about, String message) {
        return add(Level.OK, about, message, null);
    }

    Report info(String about, String message) {
        return add(Level.INFO, about, message, null);
    }

    Report info(String about, String message, String fix) {
        return add(Level.INFO, about, message, fix);
    }

    /** Not wrong yet, but soon: counts as a problem in the exit code. */
    Report warning(String about, String message, String fix) {
        return add(Level.WARNING, about, message, fix);
    }

    Report problem(String about, String message, String fix) {
        return add(Level.PROBLEM, about, message, fix);
    }

    Report lookupFailure(String about, String message) {
        return add(Level.LOOKUP_FAILURE, about, message, null);
    }

    private Report add(Level level, String about, String message, String fix) {
        Map<String, Object> finding = new LinkedHashMap<>();
        finding.put("level", level.name().toLowerCase(Locale.ROOT).replace('_', '-'));
        finding.put("about", about);
        finding.put("message", message);
        finding.put("fix", fix);
        findings.add(finding);
        return this;
    }

    /** Structured data for --json (the plan, the attempts). */
    Report data(String name, Object value) {
        data.put(name, value);
        return this;
    }

    int exitCode() {
        boolean lookupFailed = false;
        for (Map<String, Object> finding : findings) {
            if ("problem".equals(finding.get("level")) || "warning".equals(finding.get("level"))) {
                return POLICY_PROBLEM;
            }
            lookupFailed |= "lookup-failure".equals(finding.get("level"));
        }
        return lookupFailed ? LOOKUP_FAILURE : OK;
    }

    void print(PrintStream out, boolean json) {
        if (json) {
            Map<String, Object> document = new LinkedHashMap<>();
            document.put("command", command);
            document.put("subject", subject);
            document.put("exitCode", exitCode());
            document.put("findings", findings);
            document.putAll(data);
            out.println(Json.write(document));
            return;
        }
        for (Map<String, Object> finding : findings) {
            String level = String.valueOf(finding.get("level")).toUpperCase(Locale.ROOT);
            out.printf("%-15s %s: %s%n", level, finding.get("about"), finding.get("message"));
            if (finding.get("fix") != null) {
                out.printf("%-15s fix: %s%n", "", finding.get("fix"));
            }
        }
        out.printf("%s %s: exit %d%n", command, subject, exitCode());
    }
}
