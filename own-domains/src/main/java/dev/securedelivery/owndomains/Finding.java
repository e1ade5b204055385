package dev.securedelivery.owndomains;

import dev.securedelivery.peertext.PeerText;
import dev.securedelivery.tlsrpt.ResultType;
import java.util.Objects;
import java.util.Optional;

/**
 * One thing a check found about one part of a domain's set-up: its {@link Severity}, what it is about
 * (a record owner such as {@code _mta-sts.example.com}, an MX host, an MX address), what was seen
 * (peer text cleaned and capped), and for a warning or a problem what to do. Where a finding is what
 * a sender's TLS report would call a failure, its RFC 8460 result type, so that the reports others send
 * and the finding can be shown side by side.
 */
public final class Finding {
    private static final int MAX_TEXT = 1_000;

    private final Severity severity;
    private final String about;
    private final String message;
    private final String fix;
    private final String host;
    private final ResultType resultType;

    private Finding(Severity severity, String about, String message, String fix, String host, ResultType type) {
        this.severity = Objects.requireNonNull(severity, "severity");
        this.about = PeerText.clean(about, MAX_TEXT);
        this.message = PeerText.clean(message, MAX_TEXT);
        this.fix = fix == null ? null : PeerText.clean(fix, MAX_TEXT);
        this.host = host;
        this.resultType = type;
    }

    public static Finding of(Severity severity, String about, String message, String fix) {
        return new Finding(severity, about, message, fix, null, null);
    }

    /** The same finding, about MX host {@code host} (lower-case). */
    public Finding forHost(String host) {
        return new Finding(severity, about, message, fix, host, resultType);
    }

    /** The same finding, which a sender's TLS report would name {@code type}. */
    public Finding reportedAs(ResultType type) {
        return new Finding(severity, about, message, fix, host, type);
    }

    public Severity severity() {
        return severity;
    }

    public String about() {
        return about;
    }

    public String message() {
        return message;
    }

    public Optional<String> fix() {
        return Optional.ofNullable(fix);
    }

    /** The MX host it is about, if it is about one. */
    public Optional<String> host() {
        return Optional.ofNullable(host);
    }

    /** What a sender's TLS report would call it, if it is a failure a sender sees. */
    public Optional<ResultType> resultType() {
        return Optional.ofNullable(resultType);
    }

    /** What makes two findings the same finding at two checks: not the evidence's figures (days left). */
    String identity() {
        return severity + "|" + about + "|" + (resultType == null ? "" : resultType.reportName()) + "|"
                + (fix == null ? message : fix);
    }

    @Override
    public boolean equals(Object other) {
        if (!(other instanceof Finding)) {
            return false;
        }
        Finding that = (Finding) other;
        return severity == that.severity
                && about.equals(that.about)
                && message.equals(that.message)
                && Objects.equals(fix, that.fix)
                && Objects.equals(host, that.host)
                && resultType == that.resultType;
    }

    @Override
    public int hashCode() {
        return Objects.hash(severity, about, message, fix, host, resultType);
    }

    @Override
    public String toString() {
        return severity.label() + " " + about + ": " + message + (fix == null ? "" : " (fix: " + fix + ")");
    }
}
