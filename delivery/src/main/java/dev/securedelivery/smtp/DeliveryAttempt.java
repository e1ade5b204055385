package dev.securedelivery.smtp;

import dev.securedelivery.peertext.PeerText;
import dev.securedelivery.policy.TlsRequirement;
import dev.securedelivery.tlsrpt.ResultType;
import java.net.InetAddress;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * One SMTP session with one address of one MX host, and what it did: how far it got, how the peer
 * was authenticated, and per recipient whether the server accepted the message, refused it for good
 * or it was not sent ({@link RecipientResult}). A session that ended before the transaction (no
 * connection, no TLS where TLS was required, a reply the session could not go on from) carries the
 * status of that failure, and whether the TLS policy caused it with its RFC 8460 result type.
 */
public final class DeliveryAttempt {
    /**
     * The session as a whole. {@code DELIVERED}: the server took the message for at least one
     * recipient. {@code PERMANENT_FAILURE}: it refused every recipient for good. {@code SECURED}: a
     * probe's success ({@link SmtpClient#probe}), the requirement met and nothing sent.
     * {@code TEMPORARY_FAILURE}: anything else.
     */
    public enum Outcome {
        DELIVERED,
        TEMPORARY_FAILURE,
        PERMANENT_FAILURE,
        SECURED
    }

    /** Where a session stopped. */
    public enum Stage {
        CONNECT,
        GREETING,
        EHLO,
        STARTTLS,
        TLS,
        AUTHENTICATION,
        REQUIRETLS,
        MAIL,
        RCPT,
        DATA,
        MESSAGE,
        COMPLETE
    }

    private final String host;
    private final InetAddress address;
    private final TlsRequirement requirement;
    private final Outcome outcome;
    private final Stage stage;
    private final String tlsProtocol;
    private final String cipherSuite;
    private final PeerAuthentication authenticatedBy;
    private final String matchedRecord;
    private final String detail;
    private final EnhancedStatus status;
    private final ResultType resultType;
    private final boolean policyFailure;
    private final List<RecipientResult> recipients;
    private final List<X509Certificate> peerCertificates;
    private final String serverName;
    private final InetAddress localAddress;
    private final int messagesBefore;

    private DeliveryAttempt(Builder builder, Outcome outcome, TlsRequirement requirement, String detail) {
        this.host = Objects.requireNonNull(builder.host);
        this.address = Objects.requireNonNull(builder.address);
        this.requirement = Objects.requireNonNull(requirement);
        this.outcome = Objects.requireNonNull(outcome);
        this.stage = builder.stage;
        this.tlsProtocol = builder.tlsProtocol;
        this.cipherSuite = builder.cipherSuite;
        this.authenticatedBy = builder.authenticatedBy;
        this.matchedRecord = builder.matchedRecord;
        this.detail = detail;
        this.status = builder.status;
        this.resultType = builder.resultType;
        this.policyFailure = builder.policyFailure;
        this.recipients = builder.ordered();
        this.peerCertificates = List.copyOf(builder.peerCertificates);
        this.serverName = builder.serverName;
        this.localAddress = builder.localAddress;
        this.messagesBefore = builder.messagesBefore;
    }

    /**
     * This attempt under {@code requirement}, with {@code detail} (a plaintext delivery standing for
     * an opportunistic one whose TLS failed); everything else kept.
     */
    DeliveryAttempt as(TlsRequirement requirement, String detail) {
        Builder copy = sessionOf(requirement, messagesBefore);
        copy.stage = stage;
        copy.status = status;
        copy.resultType = resultType;
        copy.policyFailure = policyFailure;
        recipients.forEach(copy::recipient);
        return new DeliveryAttempt(copy, outcome, requirement, PeerText.clean(detail));
    }

    /**
     * A session that failed by our own fault, not the server's (a bug, a name the TLS layer refuses):
     * a failure of that host, X.3.0, every recipient not sent.
     */
    public static DeliveryAttempt failedUnexpectedly(
            String host, InetAddress address, TlsRequirement requirement, List<String> recipients, Throwable failure) {
        return builder(host, address, requirement)
                .order(recipients)
                .failed(
                        recipients,
                        SmtpClient.UNEXPECTED,
                        null,
                        false,
                        "the session failed unexpectedly: " + ExceptionText.of(failure));
    }

    static Builder builder(String host, InetAddress address, TlsRequirement requirement) {
        return new Builder(host, address, requirement);
    }

    /**
     * The next transaction on the session {@code first} opened, after {@code messagesBefore} messages:
     * the same connection, so the same TLS, peer certificates, authentication and names; the
     * transaction starts at MAIL FROM.
     */
    static Builder onSessionOf(DeliveryAttempt first, int messagesBefore) {
        Builder next = first.sessionOf(first.requirement, messagesBefore);
        next.stage = Stage.MAIL;
        return next;
    }

    // What belongs to the session rather than to one transaction: its TLS, peer and names.
    private Builder sessionOf(TlsRequirement requirement, int messagesBefore) {
        Builder copy = new Builder(host, address, requirement);
        copy.tlsProtocol = tlsProtocol;
        copy.cipherSuite = cipherSuite;
        copy.authenticatedBy = authenticatedBy;
        copy.matchedRecord = matchedRecord;
        copy.peerCertificates = peerCertificates;
        copy.serverName = serverName;
        copy.localAddress = localAddress;
        copy.messagesBefore = messagesBefore;
        return copy;
    }

    public String host() {
        return host;
    }

    public InetAddress address() {
        return address;
    }

    /**
     * The address this end of the connection had: what a TLS report gives as {@code sending-mta-ip}
     * (RFC 8460 4.4); empty when no connection was made.
     */
    public Optional<InetAddress> localAddress() {
        return Optional.ofNullable(localAddress);
    }

    /**
     * The name the server gave itself: the first word of its latest EHLO (or HELO) reply, else of its
     * greeting (RFC 5321 4.1.1.1, 4.2), cleaned and capped; what a TLS report gives as
     * {@code receiving-mx-helo} (RFC 8460 4.4). Empty when the server said no name.
     */
    public Optional<String> serverName() {
        return Optional.ofNullable(serverName);
    }

    public TlsRequirement requirement() {
        return requirement;
    }

    public Outcome outcome() {
        return outcome;
    }

    /** Where the session stopped; {@link Stage#COMPLETE} when the transaction was carried through. */
    public Stage stage() {
        return stage;
    }

    /**
     * Whether this transaction ran on a session kept from an earlier message ({@link IdleSessions}):
     * no new connection, handshake or certificate check; those of the session's first message hold.
     */
    public boolean reusedSession() {
        return messagesBefore > 0;
    }

    /** How many messages the session carried before this one: 0 on a new connection. */
    public int messagesBefore() {
        return messagesBefore;
    }

    /**
     * Whether the session went past the greeting and EHLO (or HELO): a session in Postfix's sense
     * ({@code smtp_mx_session_limit}), unlike an address that never answered or turned us away.
     */
    public boolean completedHandshake() {
        return stage.compareTo(Stage.EHLO) > 0;
    }

    /** The TLS version, when STARTTLS happened. */
    public Optional<String> tlsProtocol() {
        return Optional.ofNullable(tlsProtocol);
    }

    public Optional<String> cipherSuite() {
        return Optional.ofNullable(cipherSuite);
    }

    /**
     * The chain the server presented, leaf first, when TLS was negotiated (checked or not): what an
     * MTA-STS policy in testing mode is evaluated against for the TLS report.
     */
    public List<X509Certificate> peerCertificates() {
        return peerCertificates;
    }

    /**
     * How the peer was authenticated: {@code DANE-EE} or {@code DANE-TA} with the matching record,
     * {@code PKIX}, {@code none} (TLS without authentication) or {@code plaintext}.
     */
    public String authentication() {
        return shown(peerAuthentication(), matchedRecord);
    }

    /** How the peer was authenticated, as a value. */
    public PeerAuthentication peerAuthentication() {
        if (authenticatedBy != null) {
            return authenticatedBy;
        }
        if (tlsProtocol != null) {
            return PeerAuthentication.NONE;
        }
        // A handshake that failed sent nothing in plaintext: say that TLS was tried, not that it was skipped.
        return tlsFailed() ? PeerAuthentication.FAILED : PeerAuthentication.PLAINTEXT;
    }

    // DANE-EE and DANE-TA are shown with the record that matched.
    private static String shown(PeerAuthentication authentication, String matchedRecord) {
        return matchedRecord == null ? authentication.label() : authentication.label() + " " + matchedRecord;
    }

    /** Whether STARTTLS was accepted and the handshake then failed (a certificate or TLSA check included). */
    public boolean tlsFailed() {
        return tlsProtocol == null && stage == Stage.TLS;
    }

    private String tlsShown() {
        return tlsProtocol != null ? tlsProtocol : tlsFailed() ? "failed" : "none";
    }

    /** What happened, cleaned, for logs and DSNs. */
    public String detail() {
        return detail == null ? "" : detail;
    }

    /** The enhanced status of a session that ended before its transaction: the server's, or ours for a policy failure. */
    public Optional<EnhancedStatus> status() {
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

    /** What the session did for each recipient, in the order they were given. */
    public List<RecipientResult> recipients() {
        return recipients;
    }

    /** The result for {@code recipient}, if it was in this session. */
    public Optional<RecipientResult> recipient(String recipient) {
        return recipients.stream()
                .filter(result -> result.recipient().equals(recipient))
                .findFirst();
    }

    /**
     * How the connection was secured, in the form of the trace header: {@code mx=...; ip=...;
     * requirement=...; tls=...; cipher=...; authentication=...}.
     */
    public String trace() {
        return trace(host, address, requirement, tlsShown(), cipherSuite, authentication());
    }

    private static String trace(
            String host,
            InetAddress address,
            TlsRequirement requirement,
            String tls,
            String cipherSuite,
            String authentication) {
        return "mx=" + host + "; ip=" + address.getHostAddress() + "; requirement=" + requirement
                + "; tls=" + tls
                + "; cipher=" + (cipherSuite == null ? "none" : cipherSuite)
                + "; authentication=" + authentication;
    }

    /** One line with every fact of the attempt, as the delivery log writes it. */
    public String describe() {
        StringBuilder line = new StringBuilder()
                .append("mx=")
                .append(host)
                .append(" ip=")
                .append(address.getHostAddress())
                .append(" requirement=")
                .append(requirement)
                .append(" outcome=")
                .append(outcome.name().toLowerCase(Locale.ROOT))
                .append(" tls=")
                .append(tlsShown())
                .append(" cipher=")
                .append(cipherSuite == null ? "none" : cipherSuite)
                .append(" authentication=")
                .append(authentication());
        if (messagesBefore > 0) {
            line.append(" reused-session=").append(messagesBefore);
        }
        if (stage != Stage.COMPLETE) {
            line.append(" stage=").append(stage.name().toLowerCase(Locale.ROOT));
        }
        status().ifPresent(code -> line.append(" status=").append(code));
        resultType().ifPresent(type -> line.append(" result-type=").append(type.reportName()));
        if (detail != null && !detail.isEmpty()) {
            line.append(" detail=\"").append(detail.replace('"', '\'')).append('"');
        }
        return line.toString();
    }

    @Override
    public String toString() {
        return describe();
    }

    /** Collects the facts of an attempt as the session goes. */
    static final class Builder {
        /** A domain name is at most 255 octets (RFC 1035 2.3.4); an address literal is shorter. */
        private static final int MAX_SERVER_NAME = 255;

        private final String host;
        private final InetAddress address;
        private final TlsRequirement requirement;
        private Stage stage = Stage.CONNECT;
        private String tlsProtocol;
        private String cipherSuite;
        private PeerAuthentication authenticatedBy;
        private String matchedRecord;
        private EnhancedStatus status;
        private ResultType resultType;
        private boolean policyFailure;
        private final Map<String, RecipientResult> recipients = new LinkedHashMap<>();
        private List<X509Certificate> peerCertificates = List.of();
        private List<String> order = List.of();
        private String serverName;
        private InetAddress localAddress;
        private int messagesBefore;
        private int transactionsOpened;

        private Builder(String host, InetAddress address, TlsRequirement requirement) {
            this.host = host;
            this.address = address;
            this.requirement = requirement;
        }

        /** The recipients of the session, in the order results are listed. */
        Builder order(List<String> recipients) {
            this.order = List.copyOf(recipients);
            return this;
        }

        Builder localAddress(InetAddress local) {
            this.localAddress = local;
            return this;
        }

        /**
         * Notes the name a positive greeting ({@code greeting}) or EHLO/HELO reply gives: an EHLO
         * reply's name replaces the greeting's, never the other way round.
         */
        Builder serverName(SmtpReply reply, boolean greeting) {
            if (greeting && serverName != null) {
                return this;
            }
            if (reply.lines().isEmpty()) {
                return this;
            }
            String first = reply.lines().get(0).trim();
            int space = first.indexOf(' ');
            String name = PeerText.clean(space < 0 ? first : first.substring(0, space), MAX_SERVER_NAME);
            if (!name.isEmpty()) {
                serverName = name;
            }
            return this;
        }

        /** Where the session is now. */
        Stage stage() {
            return stage;
        }

        Builder stage(Stage reached) {
            this.stage = reached;
            return this;
        }

        Builder tls(String protocol, String cipher) {
            this.tlsProtocol = protocol;
            this.cipherSuite = cipher;
            return this;
        }

        Builder peerCertificates(List<X509Certificate> chain) {
            this.peerCertificates = chain;
            return this;
        }

        /** How the peer was authenticated; {@code matchedRecord}, the TLSA record that matched, or null. */
        Builder authentication(PeerAuthentication authenticated, String matchedRecord) {
            this.authenticatedBy = authenticated;
            this.matchedRecord = matchedRecord;
            return this;
        }

        Builder recipient(RecipientResult result) {
            recipients.put(result.recipient(), result);
            return this;
        }

        /** {@code result}, unless its recipient has one already. */
        Builder untried(RecipientResult result) {
            recipients.putIfAbsent(result.recipient(), result);
            return this;
        }

        /** A MAIL FROM was answered 2xx: from here the server may hold something of this message. */
        void transactionOpened() {
            transactionsOpened++;
        }

        /** Whether any MAIL FROM of this message was taken. */
        boolean anyTransactionOpened() {
            return transactionsOpened > 0;
        }

        // The results in the order the recipients were given; any not given after them.
        private List<RecipientResult> ordered() {
            List<RecipientResult> results = new ArrayList<>();
            for (String recipient : order) {
                RecipientResult result = recipients.get(recipient);
                if (result != null && !results.contains(result)) {
                    results.add(result);
                }
            }
            for (RecipientResult result : recipients.values()) {
                if (!results.contains(result)) {
                    results.add(result);
                }
            }
            return List.copyOf(results);
        }

        /** Whether the TLS is in place as the requirement asks: for the trace header, before DATA. */
        String trace() {
            // Before DATA, TLS is in place or was never begun.
            return DeliveryAttempt.trace(
                    host,
                    address,
                    requirement,
                    tlsProtocol == null ? "none" : tlsProtocol,
                    cipherSuite,
                    shown(
                            authenticatedBy != null
                                    ? authenticatedBy
                                    : tlsProtocol == null ? PeerAuthentication.PLAINTEXT : PeerAuthentication.NONE,
                            matchedRecord));
        }

        DeliveryAttempt secured(String detail) {
            stage = Stage.COMPLETE;
            return new DeliveryAttempt(this, Outcome.SECURED, requirement, PeerText.clean(detail));
        }

        /** The transaction was carried through: every recipient has its result. */
        DeliveryAttempt completed(String detail) {
            stage = Stage.COMPLETE;
            return finish(detail);
        }

        /** The session ended at the current stage, every recipient with its own result. */
        DeliveryAttempt ended(String detail) {
            return finish(detail);
        }

        /**
         * The session ended at the current stage with {@code failure}: every recipient without a
         * result yet is not sent, with {@code failure} as its status.
         */
        DeliveryAttempt failed(
                Collection<String> all, EnhancedStatus failure, ResultType type, boolean policy, String detail) {
            this.status = failure;
            this.resultType = type;
            this.policyFailure = policy;
            String reason = PeerText.clean(detail);
            for (String recipient : all) {
                recipients.computeIfAbsent(recipient, missing -> RecipientResult.notSent(missing, failure, reason));
            }
            return finish(reason);
        }

        private DeliveryAttempt finish(String detail) {
            boolean accepted = recipients.values().stream().anyMatch(r -> r.kind() == RecipientResult.Kind.ACCEPTED);
            boolean allRefused = !recipients.isEmpty()
                    && recipients.values().stream().allMatch(r -> r.kind() == RecipientResult.Kind.REFUSED);
            Outcome outcome =
                    accepted ? Outcome.DELIVERED : allRefused ? Outcome.PERMANENT_FAILURE : Outcome.TEMPORARY_FAILURE;
            return new DeliveryAttempt(this, outcome, requirement, PeerText.clean(detail));
        }
    }
}
