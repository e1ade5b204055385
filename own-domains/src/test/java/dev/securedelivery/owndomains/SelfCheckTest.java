package dev.securedelivery.owndomains;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The self-check over the domains it is given: a drift is told once when it appears (not at every
 * check), once when it is resolved; domains beyond the bound are named, not checked; a domain gone
 * from the list goes from the results.
 */
class SelfCheckTest {
    private OwnDomainWorld world;
    private final List<String> told = new ArrayList<>();

    private final SelfCheck.Listener listener = new SelfCheck.Listener() {
        @Override
        public void found(String domain, Finding finding) {
            told.add("found " + domain + " " + finding.about());
        }

        @Override
        public void resolved(String domain, Finding finding) {
            told.add("resolved " + domain + " " + finding.about());
        }

        @Override
        public void notChecked(List<String> domains) {
            told.add("not checked " + domains);
        }
    };

    @AfterEach
    void close() {
        if (world != null) {
            world.close();
        }
    }

    @Test
    void aDriftIsToldOnceWhenItAppearsAndOnceWhenItIsResolved() throws Exception {
        world = OwnDomainWorld.published("127.0.0.85");
        List<String> domains = new ArrayList<>(List.of(OwnDomainWorld.DOMAIN, "unchecked.test"));
        SelfCheck check =
                new SelfCheck(world.check(Clock.systemUTC()).build(), () -> domains, 1, Clock.systemUTC(), listener);

        check.runNow();
        assertThat(told).containsExactly("not checked [unchecked.test]");
        assertThat(check.results().get(OwnDomainWorld.DOMAIN).findings().worst())
                .isEqualTo(Severity.OK);

        // A new MX host, left out of the policy.
        world.publishPolicy("2", "enforce", 1_209_600, "mx2.ours.test");
        told.clear();
        check.runNow();
        check.runNow();
        assertThat(told)
                .containsExactly(
                        "not checked [unchecked.test]", "found ours.test mx.ours.test", "not checked [unchecked.test]");

        world.publishPolicy("3", "enforce", 1_209_600, OwnDomainWorld.MX, "mx2.ours.test");
        told.clear();
        domains.remove("unchecked.test");
        check.runNow();
        assertThat(told).containsExactly("resolved ours.test mx.ours.test");

        domains.clear();
        check.runNow();
        assertThat(check.results()).isEmpty();
    }
}
