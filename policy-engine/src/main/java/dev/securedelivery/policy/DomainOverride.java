package dev.securedelivery.policy;

import java.util.Locale;
import java.util.Optional;

/**
 * A local per-domain TLS policy, as Postfix's smtp_tls_policy_maps has them, that replaces or
 * tightens what DANE and MTA-STS would ask for.
 */
public enum DomainOverride {
    /** Only MX hosts with usable DANE TLSA records get mail; the others are skipped (dane-required). */
    DANE_ONLY("dane-only"),
    /** An MTA-STS policy in testing mode is enforced; otherwise as without an override. */
    MTA_STS_ENFORCE("mta-sts-enforce"),
    /** Every MX host: STARTTLS, PKIX-valid chain, the MX host name in the certificate; DANE and MTA-STS ignored. */
    REQUIRE_TLS("require-tls"),
    /** STARTTLS when offered, unauthenticated, whatever DANE and MTA-STS say: for a peer they misdescribe. */
    OPPORTUNISTIC("opportunistic"),
    /** No TLS at all: for a named peer whose TLS is broken. */
    NONE("none");

    private final String keyword;

    DomainOverride(String keyword) {
        this.keyword = keyword;
    }

    public String keyword() {
        return keyword;
    }

    public static Optional<DomainOverride> fromKeyword(String keyword) {
        String wanted = keyword.trim().toLowerCase(Locale.ROOT);
        for (DomainOverride override : values()) {
            if (override.keyword.equals(wanted)) {
                return Optional.of(override);
            }
        }
        return Optional.empty();
    }

    @Override
    public String toString() {
        return keyword;
    }
}
