package dev.securedelivery.dane;

import static org.assertj.core.api.Assertions.assertThatCode;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Coverage-guided fuzzing of DANE matching with the checks of {@link DaneVerifierPropertyTest#check}:
 * the input picks the chain from the pool of test certificates, and each record's usage, selector,
 * matching type and data (a pool certificate's pin, the same mangled, or raw bytes). Without
 * {@code -Pfuzz} only the empty input runs.
 */
class DaneVerifierFuzzTest {

    @FuzzTest
    void verify(FuzzedDataProvider data) {
        List<X509Certificate> pool = DaneVerifierPropertyTest.Pool.CERTIFICATES;
        List<X509Certificate> chain = new ArrayList<>();
        for (int i = data.consumeInt(0, 5); i > 0; i--) {
            chain.add(pool.get(data.consumeInt(0, pool.size() - 1)));
        }
        List<TlsaRecord> records = new ArrayList<>();
        for (int i = data.consumeInt(0, 5); i > 0; i--) {
            int usage = data.consumeBoolean() ? data.consumeInt(2, 3) : data.consumeInt(0, 255);
            int selector = data.consumeBoolean() ? data.consumeInt(0, 1) : data.consumeInt(0, 255);
            int matchingType = data.consumeBoolean() ? data.consumeInt(0, 2) : data.consumeInt(0, 255);
            int kind = data.consumeInt(0, 2);
            int certificate = data.consumeInt(0, pool.size() - 1);
            int where = data.consumeInt(0, Integer.MAX_VALUE);
            byte[] random = data.consumeBytes(data.consumeInt(0, 100));
            records.add(TlsaRecord.of(
                    usage,
                    selector,
                    matchingType,
                    DaneVerifierPropertyTest.data(selector, matchingType, kind, certificate, where, random)));
        }
        ReferenceIdentifiers names = data.pickValue(DaneVerifierPropertyTest.NAMES);
        Instant at = data.pickValue(DaneVerifierPropertyTest.INSTANTS);
        // The property test's check fails with an AssertionError on any outcome it does not allow.
        assertThatCode(() -> DaneVerifierPropertyTest.check(chain, records, names, at))
                .doesNotThrowAnyException();
    }
}
