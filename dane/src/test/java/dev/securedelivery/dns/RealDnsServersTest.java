package dev.securedelivery.dns;

import static dev.securedelivery.testing.InMemoryDns.name;
import static org.assertj.core.api.Assertions.assertThat;

import dev.securedelivery.dane.DaneLookup;
import dev.securedelivery.dane.DaneRequirement;
import dev.securedelivery.testing.KnotAndUnbound;
import dev.securedelivery.testing.KnotAndUnbound.Delegation;
import dev.securedelivery.testing.KnotAndUnbound.Zone;
import dev.securedelivery.tlsrpt.ResultType;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xbill.DNS.Type;

/**
 * The resolver against real servers started here on 127.0.0.1: knot signs the zones (NSEC3) and
 * unbound validates them with the test tree's trust anchor. Skipped, with the reason, where the
 * Debian packages knot and unbound are not installed, unless {@code SECURE_DELIVERY_REAL_DNS=required}.
 */
class RealDnsServersTest {
    private static final String TLSA = "3 1 1 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    @TempDir
    static Path directory;

    private static KnotAndUnbound servers;

    @BeforeAll
    static void start() throws Exception {
        String missing = KnotAndUnbound.unavailableReason().orElse(null);
        if (missing != null && KnotAndUnbound.required()) {
            throw new IllegalStateException("real DNS servers are required here: " + missing);
        }
        Assumptions.assumeTrue(missing == null, () -> "skipped: " + missing);
        servers = KnotAndUnbound.start(
                directory,
                Zone.of(
                        "example.test.",
                        Delegation.SIGNED,
                        "@ MX 10 mx\nmx A 192.0.2.25\nmx AAAA 2001:db8::25\n" + "_25._tcp.mx TLSA " + TLSA
                                + "\nalias CNAME mx\n"),
                Zone.of("insecure.test.", Delegation.INSECURE, "mx A 192.0.2.26\n_25._tcp.mx TLSA " + TLSA + "\n"),
                Zone.of("bogus.test.", Delegation.BOGUS, "mx A 192.0.2.27\n_25._tcp.mx TLSA " + TLSA + "\n"));
    }

    @AfterAll
    static void stop() {
        if (servers != null) {
            servers.close();
        }
    }

    private static DnsResolver validatingThrough(InetSocketAddress server) throws Exception {
        return DnssecValidation.validating(
                DnsResolver.upstreamFor(List.of(server), Duration.ofSeconds(2)),
                servers.trustAnchor().getBytes(StandardCharsets.US_ASCII),
                Clock.systemUTC(),
                Duration.ofSeconds(5));
    }

    abstract static class Verdicts {
        abstract DnsResolver resolver() throws Exception;

        @Test
        void aSignedZoneIsSecure() throws Exception {
            DnsAnswer answer = resolver().lookupNow(name("_25._tcp.mx.example.test."), Type.TLSA);

            assertThat(answer.status()).as(answer.toString()).isEqualTo(DnsStatus.SECURE);
            assertThat(answer.records()).hasSize(1);
        }

        @Test
        void aProvenNonExistentNameIsASecureNxdomain() throws Exception {
            DnsAnswer answer = resolver().lookupNow(name("_25._tcp.nothing.example.test."), Type.TLSA);

            assertThat(answer.status()).as(answer.toString()).isEqualTo(DnsStatus.SECURE);
            assertThat(answer.nameExists()).isFalse();
        }

        @Test
        void aProvenMissingTypeIsASecureNodata() throws Exception {
            DnsAnswer answer = resolver().lookupNow(name("mx.example.test."), Type.TXT);

            assertThat(answer.status()).as(answer.toString()).isEqualTo(DnsStatus.SECURE);
            assertThat(answer.nameExists()).isTrue();
            assertThat(answer.records()).isEmpty();
        }

        @Test
        void anUnsignedZoneIsInsecure() throws Exception {
            DnsAnswer answer = resolver().lookupNow(name("mx.insecure.test."), Type.A);

            assertThat(answer.status()).as(answer.toString()).isEqualTo(DnsStatus.INSECURE);
        }

        @Test
        void aZoneWhoseDsMatchesNoKeyIsBogus() throws Exception {
            DnsAnswer answer = resolver().lookupNow(name("mx.bogus.test."), Type.A);

            assertThat(answer.status()).as(answer.toString()).isEqualTo(DnsStatus.BOGUS);
        }

        @Test
        void daneDecidesPerHost() throws Exception {
            DaneLookup dane = new DaneLookup(resolver());

            assertThat(dane.requirement("mx.example.test", true, "example.test")
                            .get()
                            .kind())
                    .isEqualTo(DaneRequirement.Kind.DANE);
            assertThat(dane.requirement("alias.example.test", true, "example.test")
                            .get()
                            .serverName())
                    .isEqualTo("mx.example.test");
            assertThat(dane.requirement("mx.insecure.test", true, "insecure.test")
                            .get()
                            .kind())
                    .isEqualTo(DaneRequirement.Kind.NONE);
            DaneRequirement bogus =
                    dane.requirement("mx.bogus.test", true, "bogus.test").get();
            assertThat(bogus.kind()).isEqualTo(DaneRequirement.Kind.UNAVAILABLE);
            assertThat(bogus.failureType()).contains(ResultType.DNSSEC_INVALID);
        }
    }

    @Nested
    class ValidatedInTheJvmThroughUnbound extends Verdicts {
        @Override
        DnsResolver resolver() throws Exception {
            return validatingThrough(servers.unbound());
        }
    }

    @Nested
    class ValidatedInTheJvmStraightFromKnot extends Verdicts {
        @Override
        DnsResolver resolver() throws Exception {
            return validatingThrough(servers.knot());
        }
    }

    @Nested
    class UnboundsAdFlagTrustedOnLoopback extends Verdicts {
        @Override
        DnsResolver resolver() {
            return DnssecValidation.trustingLoopbackValidator(List.of(servers.unbound()), Duration.ofSeconds(2));
        }
    }
}
