package dev.securedelivery.mtasts;

import java.util.List;

/** Cached MTA-STS answers as the engine keeps them, for tests of what reads the cache. */
public final class CachedMtaSts {
    private CachedMtaSts() {}

    public static MtaStsLookup policy(String domain, MtaStsMode mode) {
        try {
            MtaStsPolicy policy = MtaStsPolicy.of(mode, List.of("mx." + domain), 86_400);
            return MtaStsLookup.policy(domain, policy, "id1", 0, Long.MAX_VALUE);
        } catch (MtaStsSyntaxException e) {
            throw new IllegalArgumentException(e);
        }
    }

    public static MtaStsLookup noPolicy(String domain) {
        return MtaStsLookup.noPolicy(domain, null, Long.MAX_VALUE, 0);
    }
}
