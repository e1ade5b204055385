package dev.securedelivery.mailet;

import dev.securedelivery.configuration.ConfigurationException;
import dev.securedelivery.configuration.PolicyEngineConfiguration;
import dev.securedelivery.mtasts.FetchListener;
import dev.securedelivery.policy.DeliveryPolicy;
import java.io.Closeable;
import java.io.IOException;
import java.time.Clock;
import java.util.Objects;
import javax.net.ssl.X509TrustManager;

/**
 * What every delivery mailet of one James shares: the delivery policy (DNS resolver, MTA-STS cache,
 * overrides) and the PKIX trust. One instance per James, bound as a singleton by {@link
 * SecureDeliveryModule}, so that every mailet sees the same policy cache.
 */
public final class SecureDeliveryEngine implements Closeable {
    private final DeliveryPolicy policy;
    private final X509TrustManager pkixTrust;
    private final Clock clock;
    private final DeliveryOutcomes outcomes;

    public SecureDeliveryEngine(DeliveryPolicy policy, X509TrustManager pkixTrust, Clock clock) {
        this.policy = Objects.requireNonNull(policy, "policy");
        this.pkixTrust = Objects.requireNonNull(pkixTrust, "pkixTrust");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.outcomes = new DeliveryOutcomes(clock, OUTCOME_DOMAINS);
    }

    /** Destination domains whose outcomes are kept; beyond, the least recently updated go. */
    static final int OUTCOME_DOMAINS = 10_000;

    /** An engine as {@code configuration} describes it, telling {@code fetches} of MTA-STS policy fetches. */
    public static SecureDeliveryEngine from(PolicyEngineConfiguration configuration, Clock clock,
            FetchListener fetches) throws ConfigurationException, IOException {
        return new SecureDeliveryEngine(configuration.deliveryPolicy(clock, fetches),
                configuration.pkixTrustManager(), clock);
    }

    public DeliveryPolicy policy() {
        return policy;
    }

    public X509TrustManager pkixTrust() {
        return pkixTrust;
    }

    public Clock clock() {
        return clock;
    }

    /** Per destination domain, what deliveries did since start: for operators. */
    public DeliveryOutcomes outcomes() {
        return outcomes;
    }

    @Override
    public void close() throws IOException {
        policy.close();
    }
}
