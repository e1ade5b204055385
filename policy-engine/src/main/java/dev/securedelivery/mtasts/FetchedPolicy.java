package dev.securedelivery.mtasts;

import java.util.List;
import java.util.Objects;

/** A policy as one fetch returned it: parsed, as text, and with the parser's warnings. */
public final class FetchedPolicy {
    private final MtaStsPolicy policy;
    private final String text;
    private final List<String> warnings;

    public FetchedPolicy(MtaStsPolicy policy, String text, List<String> warnings) {
        this.policy = Objects.requireNonNull(policy, "policy");
        this.text = Objects.requireNonNull(text, "text");
        this.warnings = List.copyOf(warnings);
    }

    public MtaStsPolicy policy() {
        return policy;
    }

    /** The body as served, which TLS reports quote (RFC 8460 4.4 policy-string). */
    public String text() {
        return text;
    }

    public List<String> warnings() {
        return warnings;
    }

    @Override
    public String toString() {
        return policy + (warnings.isEmpty() ? "" : " warnings=" + warnings);
    }
}
