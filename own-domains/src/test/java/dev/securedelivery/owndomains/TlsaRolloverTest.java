package dev.securedelivery.owndomains;

import static org.assertj.core.api.Assertions.assertThat;

import dev.securedelivery.dane.TlsaRecord;
import dev.securedelivery.testing.IssuedCertificate;
import dev.securedelivery.testing.TestCertificateAuthority;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** A key change under DANE, step by step, as RFC 7671 8.1 orders it. */
class TlsaRolloverTest {
    private static final TestCertificateAuthority CA = TestCertificateAuthority.root("Rollover Test Root");
    private static final String HOST = "mx.ours.test";
    private static final Instant NOW = Instant.parse("2026-12-07T12:00:00Z");

    private final X509Certificate current = CA.issue(HOST).leaf();
    private final X509Certificate next = CA.issue(HOST).leaf();
    private final TlsaRecord currentRecord = TlsaRollover.record(current);
    private final TlsaRecord nextRecord = TlsaRollover.record(next);

    @Test
    void firstTheNextKeysRecordIsPublishedBesideTheCurrentOne() {
        TlsaRollover rollover =
                TlsaRollover.of(HOST, current, next, List.of(currentRecord), 3600, Optional.empty(), NOW);

        assertThat(rollover.step()).isEqualTo(TlsaRollover.Step.PUBLISH_NEXT);
        assertThat(rollover.toAdd()).containsExactly(nextRecord);
        assertThat(rollover.toRemove()).isEmpty();
    }

    @Test
    void thenItWaitsForTheTtlCountedFromWhenTheNewSetIsSeen() {
        List<TlsaRecord> both = List.of(currentRecord, nextRecord);

        TlsaRollover unknown = TlsaRollover.of(HOST, current, next, both, 3600, Optional.empty(), NOW);
        TlsaRollover waiting =
                TlsaRollover.of(HOST, current, next, both, 3600, Optional.of(NOW.minusSeconds(1800)), NOW);
        TlsaRollover safe = TlsaRollover.of(HOST, current, next, both, 3600, Optional.of(NOW.minusSeconds(3600)), NOW);

        assertThat(unknown.step()).isEqualTo(TlsaRollover.Step.WAIT);
        assertThat(unknown.safeFrom()).contains(NOW.plusSeconds(3600));
        assertThat(waiting.step()).isEqualTo(TlsaRollover.Step.WAIT);
        assertThat(waiting.safeFrom()).contains(NOW.plusSeconds(1800));
        assertThat(safe.step()).isEqualTo(TlsaRollover.Step.SWITCH);
    }

    @Test
    void onceTheNextKeyIsInServiceTheOldRecordGoesAndThenNothingIsLeft() {
        TlsaRollover removeOld =
                TlsaRollover.of(HOST, next, next, List.of(currentRecord, nextRecord), 3600, Optional.empty(), NOW);
        TlsaRollover done = TlsaRollover.of(HOST, next, next, List.of(nextRecord), 3600, Optional.empty(), NOW);

        assertThat(removeOld.step()).isEqualTo(TlsaRollover.Step.REMOVE_OLD);
        assertThat(removeOld.toRemove()).containsExactly(currentRecord);
        assertThat(done.step()).isEqualTo(TlsaRollover.Step.DONE);
    }

    @Test
    void aKeyPutInServiceBeforeItsRecordIsPublishedIsSaidToBreakDane() {
        TlsaRollover late = TlsaRollover.of(HOST, next, next, List.of(currentRecord), 3600, Optional.empty(), NOW);

        assertThat(late.step()).isEqualTo(TlsaRollover.Step.PUBLISH_NEXT);
        assertThat(late.toAdd()).containsExactly(nextRecord);
        assertThat(late.explanation()).contains("DANE senders defer");
    }

    @Test
    void aRenewalThatKeepsTheKeyChangesNoRecord() {
        IssuedCertificate first = CA.issue(HOST);
        // 3 1 1 is of the key: the same record for two certificates of one key.
        assertThat(TlsaRollover.record(first.leaf())).isEqualTo(TlsaRollover.record(first.leaf()));
        TlsaRollover same =
                TlsaRollover.of(HOST, current, current, List.of(currentRecord), 3600, Optional.empty(), NOW);
        assertThat(same.step()).isEqualTo(TlsaRollover.Step.DONE);
    }
}
