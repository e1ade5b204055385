package dev.securedelivery.mtasts;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * What the engine knows about one domain's MTA-STS policy when asked: a policy to apply, no policy,
 * or a temporary failure that leaves it unknown (the sender should defer, RFC 8461 3.1).
 *
 * <p>A {@link Outcome#POLICY} may also carry a {@link #failure()}: the latest refresh failed and the
 * cached, unexpired policy applies (RFC 8461 3.3); RFC 8461 6 makes that reportable.
 *
 * <p>Instances are immutable to callers. The engine caches them as they are, one per domain, so they
 * also carry the cache's bookkeeping in package-private fields.
 */
public final class MtaStsLookup {
    /** The three answers to "what does this domain's MTA-STS ask for?". */
    public enum Outcome {
        /** A valid, unexpired policy; its mode says how to apply it. */
        POLICY,
        /** The domain has no available policy: deliver as without MTA-STS (RFC 8461 3.1, 3.3). */
        NO_POLICY,
        /** Whether there is a policy is unknown for now (DNS failed): defer, do not downgrade. */
        TEMPORARY_FAILURE
    }

    private final String domain;
    private final Outcome outcome;
    private final MtaStsPolicy policy;
    private final byte[] policyId;
    private final long fetchedAtMillis;
    private final MtaStsFailure failure;

    /** Until when the engine answers from this entry without asking DNS again. */
    final long freshUntilMillis;
    /** Failed attempts in a row, for the back-off. */
    final int failures;
    /** Minutes since the epoch at the last lookup: a hint for eviction and proactive refresh. */
    int lastUsedMinute;

    private MtaStsLookup(
            String domain,
            Outcome outcome,
            MtaStsPolicy policy,
            byte[] policyId,
            long fetchedAtMillis,
            MtaStsFailure failure,
            long freshUntilMillis,
            int failures,
            int lastUsedMinute) {
        this.domain = Objects.requireNonNull(domain, "domain");
        this.outcome = outcome;
        this.policy = policy;
        this.policyId = policyId;
        this.fetchedAtMillis = fetchedAtMillis;
        this.failure = failure;
        this.freshUntilMillis = freshUntilMillis;
        this.failures = failures;
        this.lastUsedMinute = lastUsedMinute;
    }

    static MtaStsLookup policy(
            String domain, MtaStsPolicy policy, String policyId, long fetchedAtMillis, long freshUntilMillis) {
        return new MtaStsLookup(
                domain,
                Outcome.POLICY,
                Objects.requireNonNull(policy, "policy"),
                policyId.getBytes(StandardCharsets.US_ASCII),
                fetchedAtMillis,
                null,
                Math.min(freshUntilMillis, fetchedAtMillis + policy.maxAgeSeconds() * 1000),
                0,
                0);
    }

    static MtaStsLookup noPolicy(String domain, MtaStsFailure failure, long freshUntilMillis, int failures) {
        return new MtaStsLookup(domain, Outcome.NO_POLICY, null, null, 0, failure, freshUntilMillis, failures, 0);
    }

    static MtaStsLookup temporaryFailure(String domain, MtaStsFailure failure, long freshUntilMillis, int failures) {
        return new MtaStsLookup(
                domain,
                Outcome.TEMPORARY_FAILURE,
                null,
                null,
                0,
                Objects.requireNonNull(failure, "failure"),
                freshUntilMillis,
                failures,
                0);
    }

    /** Roughly what this answer holds on the heap, for the engine's cache bounded in bytes. */
    long estimatedBytes() {
        return 120
                + 2L * domain.length()
                + (policy == null ? 0 : policy.estimatedBytes())
                + (policyId == null ? 0 : policyId.length)
                + (failure == null ? 0 : 2L * failure.detail().length());
    }

    /**
     * The same answer, fresh until {@code freshUntilMillis} (never past the policy's expiry), after
     * {@code failures} failed attempts, the latest of which is {@code failure}.
     */
    MtaStsLookup refreshed(long freshUntilMillis, int failures, MtaStsFailure failure) {
        long until = outcome == Outcome.POLICY ? Math.min(freshUntilMillis, expiresAtMillis()) : freshUntilMillis;
        return new MtaStsLookup(
                domain, outcome, policy, policyId, fetchedAtMillis, failure, until, failures, lastUsedMinute);
    }

    /** Notes a lookup at {@code nowMillis}, writing only when the minute changed. */
    void touch(long nowMillis) {
        int minute = (int) (nowMillis / 60_000);
        if (lastUsedMinute != minute) {
            lastUsedMinute = minute;
        }
    }

    long fetchedAtMillis() {
        return fetchedAtMillis;
    }

    long expiresAtMillis() {
        return fetchedAtMillis + policy.maxAgeSeconds() * 1000;
    }

    boolean isUnexpiredPolicy(long nowMillis) {
        return outcome == Outcome.POLICY && nowMillis < expiresAtMillis();
    }

    public String domain() {
        return domain;
    }

    public Outcome outcome() {
        return outcome;
    }

    /** The policy to apply, for {@link Outcome#POLICY}. */
    public Optional<MtaStsPolicy> policy() {
        return Optional.ofNullable(policy);
    }

    /**
     * The policy's text as its host served it, for {@link Outcome#POLICY}: what a TLS report quotes
     * (RFC 8460 4.4 {@code policy-string}). A policy that was never served (built from its parts) is
     * written out in the format of RFC 8461 3.2.
     */
    public Optional<String> policyText() {
        return policy().map(applied -> applied.servedText().orElseGet(applied::toPolicyText));
    }

    /** The TXT record's id the policy was fetched under, for {@link Outcome#POLICY}. */
    public Optional<String> policyId() {
        return policyId == null ? Optional.empty() : Optional.of(new String(policyId, StandardCharsets.US_ASCII));
    }

    /** When the policy was last fetched, for {@link Outcome#POLICY}. */
    public Optional<Instant> fetchedAt() {
        return policy == null ? Optional.empty() : Optional.of(Instant.ofEpochMilli(fetchedAtMillis));
    }

    /** When the policy stops applying unless refreshed: fetch time plus {@code max_age}. */
    public Optional<Instant> expiresAt() {
        return policy == null ? Optional.empty() : Optional.of(Instant.ofEpochMilli(expiresAtMillis()));
    }

    /**
     * Why there is no policy or the outcome is unknown; for a {@link Outcome#POLICY}, why the
     * latest refresh failed while the cached policy still applies.
     */
    public Optional<MtaStsFailure> failure() {
        return Optional.ofNullable(failure);
    }

    @Override
    public String toString() {
        StringBuilder text = new StringBuilder(domain).append(": ").append(outcome);
        if (policy != null) {
            text.append(" id=")
                    .append(policyId().orElse(""))
                    .append(" mode=")
                    .append(policy.mode())
                    .append(" mx=")
                    .append(policy.mxPatterns())
                    .append(" expires=")
                    .append(expiresAt().orElse(null));
        }
        if (failure != null) {
            text.append(" (").append(failure).append(')');
        }
        return text.toString();
    }
}
