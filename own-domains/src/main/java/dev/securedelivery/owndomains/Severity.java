package dev.securedelivery.owndomains;

import java.util.Locale;

/** How much a finding matters, from nothing to see to mail that senders will not deliver. */
public enum Severity {
    /** As it should be. */
    OK,
    /** Worth knowing, not wrong: nothing published, a testing policy, a short max_age. */
    INFO,
    /** Not wrong yet, but will be: a certificate that expires soon, a key change not yet in the TLSA records. */
    WARNING,
    /** Senders that apply the policy defer or refuse mail now, or get no policy at all. */
    PROBLEM,
    /** A lookup or connection failed: the answer is incomplete, not wrong. */
    LOOKUP_FAILURE;

    /** As JSON and the log name it: {@code lookup-failure}. */
    public String label() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /** Whether it needs the administrator: a warning or a problem. */
    public boolean needsAction() {
        return this == WARNING || this == PROBLEM;
    }
}
