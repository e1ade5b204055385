package dev.securedelivery.dane;

import dev.securedelivery.tlsrpt.ResultType;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The outcome of checking a server's certificate chain against its TLSA records: the record that
 * authenticated it and how, or why every record failed, with the RFC 8460 result type.
 */
public final class DaneVerification {
    /** How the server was authenticated. */
    public enum Method {
        /** The leaf matched a DANE-EE(3) record (RFC 7672 3.1.1). */
        DANE_EE("DANE-EE"),
        /** The chain led to a trust anchor matched by a DANE-TA(2) record (RFC 7672 3.1.2). */
        DANE_TA("DANE-TA");

        private final String label;

        Method(String label) {
            this.label = label;
        }

        @Override
        public String toString() {
            return label;
        }
    }

    private final Method method;
    private final TlsaRecord matched;
    private final String detail;
    private final ResultType failureType;
    private final List<String> failures;

    private DaneVerification(
            Method method, TlsaRecord matched, String detail, ResultType failureType, List<String> failures) {
        this.method = method;
        this.matched = matched;
        this.detail = detail;
        this.failureType = failureType;
        this.failures = List.copyOf(failures);
    }

    static DaneVerification success(Method method, TlsaRecord matched, String detail, List<String> failures) {
        return new DaneVerification(
                Objects.requireNonNull(method), Objects.requireNonNull(matched), detail, null, failures);
    }

    static DaneVerification failure(ResultType type, List<String> failures) {
        return new DaneVerification(null, null, null, Objects.requireNonNull(type), failures);
    }

    public boolean isVerified() {
        return method != null;
    }

    public Optional<Method> method() {
        return Optional.ofNullable(method);
    }

    /** The TLSA record that authenticated the server. */
    public Optional<TlsaRecord> matchedRecord() {
        return Optional.ofNullable(matched);
    }

    /** What matched: the leaf, or the trust anchor and the name the leaf was accepted for. */
    public Optional<String> detail() {
        return Optional.ofNullable(detail);
    }

    /** For a failure, its RFC 8460 result type. */
    public Optional<ResultType> failureType() {
        return Optional.ofNullable(failureType);
    }

    /** Why each record that did not authenticate the server failed, one line per record. */
    public List<String> failures() {
        return failures;
    }

    @Override
    public String toString() {
        if (isVerified()) {
            return method + " " + matched + (detail == null ? "" : " (" + detail + ")");
        }
        return failureType.reportName() + ": " + String.join("; ", failures);
    }
}
