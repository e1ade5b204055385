package dev.securedelivery.posture;

import static org.assertj.core.api.Assertions.assertThat;

import dev.securedelivery.delivery.FailureCause;
import dev.securedelivery.tlsrpt.ResultType;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class PostureNamesTest {
    @Test
    void everyRfc8460ResultTypeIsACauseOfItsOwnName() {
        for (ResultType type : ResultType.values()) {
            FailureCause cause = FailureCause.of(type);
            assertThat(cause.label()).isEqualTo(type.reportName());
            assertThat(cause.resultType()).contains(type);
        }
        assertThat(FailureCause.CONNECTION_OR_SMTP.resultType()).isEmpty();
    }

    @Test
    void namesAreDistinctAndReadBackAndMetricNamesHoldNoHyphen() {
        Set<String> labels = new HashSet<>();
        for (FailureCause cause : FailureCause.values()) {
            assertThat(labels.add(cause.label())).isTrue();
            assertThat(FailureCause.fromLabel(cause.label())).contains(cause);
            assertThat(cause.metricName()).matches("[a-z0-9_]+");
        }
        for (Protection protection : Protection.values()) {
            assertThat(Protection.fromLabel(protection.label())).contains(protection);
            assertThat(protection.metricName()).matches("[a-z_]+");
        }
        assertThat(Protection.MTA_STS.label()).isEqualTo("mta-sts");
        assertThat(Protection.MTA_STS.metricName()).isEqualTo("mta_sts");
        assertThat(Protection.fromLabel("MTA-STS")).isEmpty();
    }

    @Test
    void aKnownPublicationAnswerReplacesAnOlderOneAndAnUnknownOneDoesNot() {
        Publication known = new Publication(Publication.Known.YES, Publication.Known.NO, Publication.Known.UNKNOWN);
        Publication later =
                new Publication(Publication.Known.UNKNOWN, Publication.Known.YES, Publication.Known.UNKNOWN);
        assertThat(known.updatedBy(later))
                .isEqualTo(new Publication(Publication.Known.YES, Publication.Known.YES, Publication.Known.UNKNOWN));
        assertThat(Publication.ofCode(known.code())).isEqualTo(known);
        assertThat(known.mtaSts().asBoolean()).isTrue();
        assertThat(known.tlsRpt().asBoolean()).isNull();
    }
}
