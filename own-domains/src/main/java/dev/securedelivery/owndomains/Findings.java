package dev.securedelivery.owndomains;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** The findings of one check of one domain, in the order found, and the worst of them. */
public final class Findings {
    private final String domain;
    private final List<Finding> findings = new ArrayList<>();
    private java.time.Instant firstExpiry;

    public Findings(String domain) {
        this.domain = domain;
    }

    public String domain() {
        return domain;
    }

    public Findings add(Finding finding) {
        findings.add(finding);
        return this;
    }

    Findings ok(String about, String message) {
        return add(Finding.of(Severity.OK, about, message, null));
    }

    Findings info(String about, String message) {
        return add(Finding.of(Severity.INFO, about, message, null));
    }

    Findings info(String about, String message, String fix) {
        return add(Finding.of(Severity.INFO, about, message, fix));
    }

    Findings warning(String about, String message, String fix) {
        return add(Finding.of(Severity.WARNING, about, message, fix));
    }

    Findings problem(String about, String message, String fix) {
        return add(Finding.of(Severity.PROBLEM, about, message, fix));
    }

    Findings lookupFailure(String about, String message) {
        return add(Finding.of(Severity.LOOKUP_FAILURE, about, message, null));
    }

    /** Notes a certificate a sender sees, expiring at {@code expiry}: the first of them is watched. */
    void certificateExpires(java.time.Instant expiry) {
        if (firstExpiry == null || expiry.isBefore(firstExpiry)) {
            firstExpiry = expiry;
        }
    }

    /** When the first certificate a sender sees (an MX's, the policy host's) expires, if any was seen. */
    public java.util.Optional<java.time.Instant> firstExpiry() {
        return java.util.Optional.ofNullable(firstExpiry);
    }

    public List<Finding> all() {
        return Collections.unmodifiableList(findings);
    }

    /** The most severe of {@link Severity#WARNING} and {@link Severity#PROBLEM} found, else the lookup failure, else OK. */
    public Severity worst() {
        boolean warning = false;
        boolean lookup = false;
        for (Finding finding : findings) {
            if (finding.severity() == Severity.PROBLEM) {
                return Severity.PROBLEM;
            }
            warning |= finding.severity() == Severity.WARNING;
            lookup |= finding.severity() == Severity.LOOKUP_FAILURE;
        }
        return warning ? Severity.WARNING : lookup ? Severity.LOOKUP_FAILURE : Severity.OK;
    }
}
