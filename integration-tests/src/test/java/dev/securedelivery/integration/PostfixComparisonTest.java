package dev.securedelivery.integration;

import static org.assertj.core.api.Assertions.assertThat;

import dev.securedelivery.testing.KnotAndUnbound;
import dev.securedelivery.testing.MtaStsResolverDaemon;
import dev.securedelivery.testing.PostfixSender;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link PostfixComparison} in its short mode, so that it keeps working: a few hundred messages to
 * one DANE domain, and as many over 1,000 DANE, MTA-STS and no-policy domains, through Postfix and
 * through James with the extension, no timing asserted; each sender must get every message to the
 * sink exactly once, as its destination asks (DANE, MTA-STS's PKIX, TLS). The figures are the benchmark's
 * (docs/benchmarks.md), from its long runs. Skipped, saying why, where Postfix, knot, unbound or the
 * MTA-STS resolver is missing, unless {@code SECURE_DELIVERY_POSTFIX=required} (as {@code .ci/run}
 * sets), which makes that a failure; and skipped, saying why, where the tests do not run as root.
 */
class PostfixComparisonTest {
    private static final int MESSAGES = 300;

    @TempDir
    Path directory;

    @Test
    void bothSendersGetEveryMessageToTheSinkOnceAsItsDestinationAsks() throws Exception {
        List<String> missing = new ArrayList<>();
        Stream.of(
                        PostfixSender.unavailableReason(),
                        KnotAndUnbound.unavailableReason(),
                        MtaStsResolverDaemon.unavailableReason())
                .flatMap(Optional::stream)
                .forEach(missing::add);
        if (!missing.isEmpty() && "required".equals(System.getenv("SECURE_DELIVERY_POSTFIX"))) {
            throw new IllegalStateException("the Postfix comparison is required here: " + missing);
        }
        Assumptions.assumeTrue(missing.isEmpty(), () -> "skipped: " + missing);
        Optional<String> privilege = PostfixSender.privilegeMissing();
        Assumptions.assumeTrue(privilege.isEmpty(), () -> "skipped: " + privilege.orElse(""));

        PostfixComparison comparison = new PostfixComparison(directory);
        try {
            PostfixComparison.Result direct = comparison.sinkAlone(MESSAGES);
            System.out.println(direct);
            assertThat(direct.arrivedOnce).isEqualTo(MESSAGES);
            for (PostfixComparison.Workload workload :
                    List.of(PostfixComparison.Workload.ONE_DOMAIN, PostfixComparison.Workload.MANY_DOMAINS)) {
                List<PostfixComparison.Result> results = new ArrayList<>(
                        List.of(comparison.postfix(workload, MESSAGES), comparison.james(workload, MESSAGES)));
                if (workload == PostfixComparison.Workload.MANY_DOMAINS) {
                    results.add(comparison.james(workload, MESSAGES, PostfixComparison.JamesDnssec.TRUST_LOOPBACK_AD));
                }
                for (PostfixComparison.Result result : results) {
                    System.out.println(result);
                    assertThat(result.arrivedOnce).as(result.toString()).isEqualTo(MESSAGES);
                    assertThat(result.asAsked).as(result.toString()).isEqualTo(MESSAGES);
                }
            }
        } finally {
            comparison.close();
        }
    }
}
