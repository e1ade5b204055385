package dev.securedelivery.smtp;

import dev.securedelivery.policy.TlsRequirement;
import dev.securedelivery.tlsrpt.ResultType;
import java.net.InetAddress;
import java.security.cert.X509Certificate;
import java.util.Objects;
import java.util.Optional;

/**
 * One connection to one address of one MX host and how it ended: delivered (with how the peer was
 * authenticated), failed for now (try the next host, then later), or refused for good (a 5xx).
 */
public final class DeliveryAttempt {
    /**
     * How the attempt ended. {@code SECURED} is a probe's success ({@link SmtpClient#probe}): the connection met its
     * requirement, and no message was sent.
     */
    public enum Outcome { DELIVERED, TEMPORARY_FAILURE, PERMANENT_FAILURE, SECURED }

    private final String host;
    private final InetAddress address;
    private final TlsRequirement requirement;
    private final Outcome outcome;
    private final String tlsProtocol;
    private final String cipherSuite;
    private final String authentication;
    private final String detail;
    private final String status;
    private final ResultType resultType;
    private final boolean policyFailure;
    private final java.util.Map<String, String> refused;
    private final java.util.List<String> unsent;
    private final java.util.List<X509Certificate> peerCertificates;

    private DeliveryAttempt(Builder builder) {
        this.host = Objects.requireNonNull(builder.host);
        this.address = Objects.requireNonNull(builder.address);
        this.requirement = Objects.requireNonNull(builder.requirement);
        this.outcome = Objects.requireNonNull(builder.outcome);
        this.tlsProtocol = builder.tlsProtocol;
        this.cipherSuite = builder.cipherSuite;
        this.authentication = builder.authentication;
        this.detail = builder.detail;
        this.status = builder.status;
        this.resultType = builder.resultType;
        this.policyFailure = builder.policyFailure;
        this.refused = java.util.Map.copyOf(builder.refused);
        this.unsent = java.util.List.copyOf(builder.unsent);
        this.peerCertificates = java.util.List.copyOf(builder.peerCertificates);
    }

    private DeliveryAttempt(DeliveryAttempt attempt, TlsRequirement requirement, String detail) {
        this.host = attempt.host;
        this.address = attempt.address;
        this.requirement = requirement;
        this.outcome = attempt.outcome;
        this.tlsProtocol = attempt.tlsProtocol;
        this.cipherSuite = attempt.cipherSuite;
        this.authentication = attempt.authentication;
        this.detail = detail;
        this.status = attempt.status;
        this.resultType = attempt.resultType;
        this.policyFailure = attempt.policyFailure;
        this.refused = attempt.refused;
        this.unsent = attempt.unsent;
        this.peerCertificates = attempt.peerCertificates;
    }

    /** This attempt under {@code requirement}, with {@code detail}; everything else (recipients refused or not sent included) kept. */
    DeliveryAttempt as(TlsRequirement requirement, String detail) {
        return new DeliveryAttempt(this, requirement, detail);
    }

    /**
     * The chain the server presented, leaf first, when TLS was negotiated (checked or not): what an
     * MTA-STS policy in testing mode is evaluated against for the TLS report.
     */
    public java.util.List<X509Certificate> peerCertificates() {
        return peerCertificates;
    }

    static Builder builder(String host, InetAddress address, TlsRequirement requirement) {
        return new Builder(host, address, requirement);
    }

    public String host() {
        return host;
    }

    public InetAddress address() {
        return address;
    }

    public Outcome outcome() {
        return outcome;
    }

    /** The TLS version, when STARTTLS happened. */
    public Optional<String> tlsProtocol() {
        return Optional.ofNullable(tlsProtocol);
    }

    public Optional<String> cipherSuite() {
        return Optional.ofNullable(cipherSuite);
    }

    /**
     * How the peer was authenticated: {@code DANE-EE} or {@code DANE-TA} with the matching record,
     * {@code PKIX}, {@code none} (TLS without authentication) or {@code plaintext}.
     */
    public String authentication() {
        return authentication == null ? (tlsProtocol == null ? "plaintext" : "none") : authentication;
    }

    /** What happened, for logs and bounces. */
    public String detail() {
        return detail == null ? "" : detail;
    }

    /** The enhanced status code (RFC 3463) of a failure: the server's, or ours for a policy failure. */
    public Optional<String> status() {
        return Optional.ofNullable(status);
    }

    /** For a failure the TLS policy caused: its RFC 8460 result type. */
    public Optional<ResultType> resultType() {
        return Optional.ofNullable(resultType);
    }

    /** Whether the TLS policy, not the network or the server's SMTP answer, stopped this attempt. */
    public boolean isPolicyFailure() {
        return policyFailure;
    }

    /**
     * For a message delivered to some recipients only ({@code mail.smtp.sendpartial}): those the
     * server refused for good (5xx), with its reply. They must be bounced.
     */
    public java.util.Map<String, String> refusedRecipients() {
        return refused;
    }

    /** For a message delivered to some recipients only: those it was not sent to for now (4xx). */
    public java.util.List<String> unsentRecipients() {
        return unsent;
    }

    /**
     * How the connection was secured, in the form of the trace header: {@code mx=...; ip=...;
     * requirement=...; tls=...; cipher=...; authentication=...}.
     */
    public String trace() {
        return trace(host, address, requirement, tlsProtocol, cipherSuite, authentication);
    }

    private static String trace(String host, InetAddress address, TlsRequirement requirement, String tlsProtocol,
            String cipherSuite, String authentication) {
        return "mx=" + host + "; ip=" + address.getHostAddress() + "; requirement=" + requirement
                + "; tls=" + (tlsProtocol == null ? "none" : tlsProtocol)
                + "; cipher=" + (cipherSuite == null ? "none" : cipherSuite)
                + "; authentication=" + (authentication != null ? authentication
                        : tlsProtocol == null ? "plaintext" : "none");
    }

    /** One line with every fact of the attempt, as the delivery log writes it. */
    public String describe() {
        StringBuilder line = new StringBuilder()
                .append("mx=").append(host)
                .append(" ip=").append(address.getHostAddress())
                .append(" requirement=").append(requirement)
                .append(" outcome=").append(outcome.name().toLowerCase(java.util.Locale.ROOT))
                .append(" tls=").append(tlsProtocol == null ? "none" : tlsProtocol)
                .append(" cipher=").append(cipherSuite == null ? "none" : cipherSuite)
                .append(" authentication=").append(authentication());
        status().ifPresent(code -> line.append(" status=").append(code));
        resultType().ifPresent(type -> line.append(" result-type=").append(type.reportName()));
        if (detail != null && !detail.isEmpty()) {
            // One line, whatever the server's reply held.
            line.append(" detail=\"").append(detail.replaceAll("\\s+", " ").trim().replace('"', '\'')).append('"');
        }
        return line.toString();
    }

    @Override
    public String toString() {
        return describe();
    }

    static final class Builder {
        private final String host;
        private final InetAddress address;
        private final TlsRequirement requirement;
        private Outcome outcome;
        private String tlsProtocol;
        private String cipherSuite;
        private String authentication;
        private String detail;
        private String status;
        private ResultType resultType;
        private boolean policyFailure;
        private final java.util.Map<String, String> refused = new java.util.LinkedHashMap<>();
        private final java.util.List<String> unsent = new java.util.ArrayList<>();
        private java.util.List<X509Certificate> peerCertificates = java.util.List.of();

        private Builder(String host, InetAddress address, TlsRequirement requirement) {
            this.host = host;
            this.address = address;
            this.requirement = requirement;
        }

        Builder tls(String protocol, String cipher) {
            this.tlsProtocol = protocol;
            this.cipherSuite = cipher;
            return this;
        }

        Builder peerCertificates(java.util.List<X509Certificate> chain) {
            this.peerCertificates = chain;
            return this;
        }

        Builder authentication(String authentication) {
            this.authentication = authentication;
            return this;
        }

        Builder refused(String recipient, String reply) {
            refused.put(recipient, reply);
            return this;
        }

        Builder unsent(String recipient) {
            unsent.add(recipient);
            return this;
        }

        Builder detail(String detail) {
            this.detail = detail;
            return this;
        }

        /** The facts known once the connection is secured as far as it will be, for a trace header. */
        String trace() {
            return DeliveryAttempt.trace(host, address, requirement, tlsProtocol, cipherSuite, authentication);
        }

        DeliveryAttempt secured() {
            this.outcome = Outcome.SECURED;
            return new DeliveryAttempt(this);
        }

        DeliveryAttempt delivered() {
            this.outcome = Outcome.DELIVERED;
            return new DeliveryAttempt(this);
        }

        DeliveryAttempt failed(Outcome failure, String status, ResultType type, boolean policy) {
            this.outcome = failure;
            this.status = status;
            this.resultType = type;
            this.policyFailure = policy;
            return new DeliveryAttempt(this);
        }
    }
}
