package dev.securedelivery.smtp;

import dev.securedelivery.dane.DaneTrustManager;
import dev.securedelivery.dane.DaneVerification;
import dev.securedelivery.peertext.PeerText;
import dev.securedelivery.policy.MxHostPlan;
import dev.securedelivery.policy.TlsRequirement;
import dev.securedelivery.requiretls.MessageSecurity;
import dev.securedelivery.tlsrpt.ResultType;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateExpiredException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;

/**
 * Sends one message over one SMTP session to one address of an MX host, held to that host's
 * {@link TlsRequirement}:
 * <ul>
 *   <li>{@code dane}, {@code pkix}, {@code encrypt}: STARTTLS is required. A server that does not
 *       offer it, refuses it (4xx or 5xx alike), fails the handshake or the check gets no mail (RFC
 *       7672 2.2, RFC 8461 5): a policy failure, never a refusal of the message. The chain is held
 *       to the host's TLSA records, to PKIX and the MX host name, or to nothing; and before MAIL
 *       FROM the session is checked once more to be authenticated as required.
 *   <li>{@code opportunistic}: STARTTLS when offered, any certificate; when TLS cannot be
 *       negotiated the same address is tried once more in plaintext, as Postfix does.
 *   <li>{@code none}: no STARTTLS.
 * </ul>
 * A host that {@linkplain MxHostPlan#requireTls() requires REQUIRETLS} must offer it in its EHLO
 * reply after STARTTLS, and MAIL FROM then carries the parameter (RFC 8689 4.2.1).
 *
 * <p>Each recipient ends with its own {@link RecipientResult}: a 5xx to its RCPT, or to MAIL FROM,
 * DATA or the end of DATA of its transaction, refuses it; a 4xx or a session that ends first leaves
 * it not sent; a 2xx to the end of DATA delivers it. A failure before MAIL FROM (greeting, EHLO,
 * STARTTLS) is the host's, not the message's: whatever its code, the recipients are not sent, and
 * the next host is tried. Without {@code sendpartial}, a transaction in which the server did not take
 * every recipient is reset before DATA.
 *
 * <p>The connection goes to the given address (resolved by the plan through the validating
 * resolver), within the bounds of {@link SmtpLimits}. SNI and the PKIX name check use the MX host
 * name or TLSA base domain. Nothing is sent before the TLS the requirement demands is in place.
 */
public final class SmtpClient {
    private static final Duration QUIT_WAIT = Duration.ofSeconds(5);
    /** How long RSET on a kept session may take: Postfix's {@code smtp_rset_timeout}. */
    private static final Duration RSET_WAIT = Duration.ofSeconds(20);

    private final SmtpSettings settings;
    private final IdleSessions sessions;
    private final X509TrustManager pkixTrust;
    private final Clock clock;
    // Shared, so that TLS sessions resume across connections. DANE gets a context per connection: its
    // trust manager holds that host's TLSA records.
    private final ChainRecordingTrustManager unauthenticated;
    private final ChainRecordingTrustManager pkix;
    private final SSLContext unauthenticatedContext;
    private final SSLContext pkixContext;

    /** @param pkixTrust whom to trust for PKIX-verified connections */
    public SmtpClient(SmtpSettings settings, X509TrustManager pkixTrust, Clock clock) {
        this(settings, pkixTrust, clock, null);
    }

    /**
     * @param pkixTrust whom to trust for PKIX-verified connections
     * @param sessions where sessions wait for the next message of the same {@link SessionKey}, or null
     *     to end every session after its message
     */
    public SmtpClient(SmtpSettings settings, X509TrustManager pkixTrust, Clock clock, IdleSessions sessions) {
        this.sessions = sessions;
        this.settings = Objects.requireNonNull(settings, "settings");
        this.pkixTrust = Objects.requireNonNull(pkixTrust, "pkixTrust");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.unauthenticated = new ChainRecordingTrustManager(AcceptingTrustManager.INSTANCE);
        this.pkix = new ChainRecordingTrustManager(pkixTrust);
        this.unauthenticatedContext = contextFor(unauthenticated);
        this.pkixContext = contextFor(pkix);
    }

    private static SSLContext contextFor(TrustManager trustManager) {
        try {
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, new TrustManager[] {trustManager}, null);
            return context;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot set up TLS", e);
        }
    }

    public SmtpSettings settings() {
        return settings;
    }

    /** Whether sessions are kept for the next message: {@link #send} then takes a {@link SessionKey}. */
    public boolean reusesSessions() {
        return sessions != null && sessions.limits().isEnabled();
    }

    /**
     * Sends {@code content} from {@code sender} (null or empty for the null reverse-path) to {@code
     * recipients} through {@code address}, an address of {@code host}.
     */
    public DeliveryAttempt send(
            MessageContent content, String sender, List<String> recipients, MxHostPlan host, InetAddress address) {
        return send(
                content, sender, recipients, host, address, settings.limits().sessionLimit());
    }

    /**
     * {@link #send(MessageContent, String, List, MxHostPlan, InetAddress)}, ended after {@code timeLeft}
     * if the session's own limit has not ended it before: what is left of the time a whole delivery
     * may take.
     */
    public DeliveryAttempt send(
            MessageContent content,
            String sender,
            List<String> recipients,
            MxHostPlan host,
            InetAddress address,
            Duration timeLeft) {
        return send(content, sender, recipients, host, address, timeLeft, null);
    }

    /**
     * {@link #send(MessageContent, String, List, MxHostPlan, InetAddress, Duration)} on a session kept
     * for {@code key} if one waits and answers RSET, else on a new one, which is kept for the next
     * message of {@code key} if its transaction went through without a single error.
     *
     * @param key what the security of the session rests on, or null to neither take nor keep one
     */
    public DeliveryAttempt send(
            MessageContent content,
            String sender,
            List<String> recipients,
            MxHostPlan host,
            InetAddress address,
            Duration timeLeft,
            SessionKey key) {
        Objects.requireNonNull(content, "content");
        if (recipients.isEmpty()) {
            throw new IllegalArgumentException("no recipients");
        }
        long began = System.nanoTime();
        TlsRequirement requirement = requirementOf(host);
        SessionKey reuse = reusesSessions() ? key : null;
        Duration left = timeLeft;
        if (reuse != null) {
            if (!reuse.host().equals(host.host())
                    || !reuse.address().equals(address)
                    || reuse.requirement() != requirement) {
                throw new IllegalArgumentException(
                        "the session key " + reuse + " is not that of " + host + " at " + address.getHostAddress());
            }
            DeliveryAttempt onKept = onKeptSession(content, sender, recipients, host, reuse, timeLeft, began);
            if (onKept != null) {
                return onKept;
            }
            // Kept sessions that would not take the message spent some of the delivery's time.
            left = timeLeft.minusNanos(System.nanoTime() - began);
        }
        DeliveryAttempt attempt = session(content, sender, recipients, host, address, requirement, left, reuse);
        if (requirement == TlsRequirement.OPPORTUNISTIC && attempt.isPolicyFailure()) {
            // Opportunistic TLS must not keep mail from a server whose TLS is broken: plaintext it is, on a
            // session never kept (the next message tries TLS again).
            DeliveryAttempt plain =
                    session(content, sender, recipients, host, address, TlsRequirement.NO_TLS, left, null);
            return plain.outcome() == DeliveryAttempt.Outcome.DELIVERED
                    ? plain.as(
                            requirement, "TLS failed (" + attempt.detail() + "); sent in plaintext; " + plain.detail())
                    : plain;
        }
        return attempt;
    }

    /**
     * Connects to {@code address} as a delivery to {@code host} would (STARTTLS and the certificate
     * check its requirement asks for), then quits without sending: {@link DeliveryAttempt.Outcome#SECURED},
     * or the failure a delivery would have met. For the command-line {@code probe}.
     */
    public DeliveryAttempt probe(MxHostPlan host, InetAddress address) {
        return session(
                null,
                null,
                List.of(),
                host,
                address,
                requirementOf(host),
                settings.limits().sessionLimit(),
                null);
    }

    /**
     * The message on a session kept for {@code key}: each waiting one is reset with RSET (RFC 5321
     * 4.1.1.5), which must be answered 250; one that answers anything else, or nothing, is closed and
     * the next tried, and so is one that does not take MAIL FROM. That is no attempt at the recipients:
     * null when no kept session took the message, and a new connection is made. All of them together
     * spend at most {@code timeLeft}, counted from {@code began}.
     */
    private DeliveryAttempt onKeptSession(
            MessageContent content,
            String sender,
            List<String> recipients,
            MxHostPlan host,
            SessionKey key,
            Duration timeLeft,
            long began) {
        for (IdleSessions.Kept kept = sessions.take(key); kept != null; kept = sessions.take(key)) {
            SmtpConnection connection = kept.connection();
            Duration left = timeLeft.minusNanos(System.nanoTime() - began);
            if (left.isNegative() || left.isZero()) {
                // The delivery's time is spent on sessions that would not take the message.
                connection.quitAndClose();
                return null;
            }
            if (kept.authenticatedUntil().map(clock.instant()::isAfter).orElse(false)) {
                // Its chain has expired since it was checked: the message connects anew, and is checked anew.
                connection.quitAndClose();
                continue;
            }
            connection.deadlineIn(left);
            if (!reset(connection)) {
                continue;
            }
            DeliveryAttempt.Builder result =
                    DeliveryAttempt.onSessionOf(kept.first(), kept.messages()).order(recipients);
            boolean keptAgain = false;
            try {
                DeliveryAttempt attempt =
                        transaction(connection, content, sender, recipients, host.requireTls(), result);
                if (attempt.stage() == DeliveryAttempt.Stage.MAIL) {
                    // MAIL FROM not taken on a kept session: no recipient is judged by that; a new
                    // connection's answer decides.
                    continue;
                }
                kept.carried();
                keptAgain = endOrKeep(connection, attempt, key, kept);
                return attempt;
            } catch (IOException e) {
                if (result.stage() == DeliveryAttempt.Stage.MAIL) {
                    // Gone before MAIL FROM was answered: nothing of the message reached the server.
                    continue;
                }
                return failedSession(result, recipients, e);
            } finally {
                if (!keptAgain) {
                    connection.close();
                }
            }
        }
        return null;
    }

    /**
     * Until when a session's authentication holds, for keeping it: PKIX rests on the validity period
     * of the chain it validated (RFC 5280 6.1.3) and so does DANE-TA (RFC 7672 3.1.2), up to the
     * trust anchor; DANE-EE ignores it (RFC 7672 3.1.1), and an unauthenticated session never rested
     * on it (null: no bound). The validated path is not known here, so the bound is the earliest end
     * among the presented certificates valid at {@code connectedAt} (just before the handshake): one
     * that had expired by then was not on the path, and one valid but unused makes the bound early at
     * worst. With none (every one expired during the first message), the session is not reused.
     */
    private static Instant authenticatedUntil(DeliveryAttempt attempt, Instant connectedAt) {
        PeerAuthentication authentication = attempt.peerAuthentication();
        if (authentication != PeerAuthentication.PKIX && authentication != PeerAuthentication.DANE_TA) {
            return null;
        }
        Instant until = null;
        for (X509Certificate certificate : attempt.peerCertificates()) {
            Instant notAfter = certificate.getNotAfter().toInstant();
            if (notAfter.isAfter(connectedAt) && (until == null || notAfter.isBefore(until))) {
                until = notAfter;
            }
        }
        return until == null ? connectedAt : until;
    }

    // RFC 5321 4.1.1.5: RSET aborts whatever the server holds and "MUST" be answered 250.
    private static boolean reset(SmtpConnection connection) {
        if (connection.hasUnreadInput()) {
            // Spoke while idle (a 421 and gone, or worse): its next reply would not be RSET's.
            connection.quitAndClose();
            return false;
        }
        try {
            SmtpReply reply = connection.exchange("RSET", RSET_WAIT);
            if (reply.code() == 250) {
                return true;
            }
        } catch (IOException e) {
            // Gone while it waited (the server's idle timeout): a new connection it is.
        }
        connection.quitAndClose();
        return false;
    }

    /**
     * Keeps the session for the next message of {@code key} if its transaction went through whole and
     * no reply in it was a 4xx or 5xx; else QUIT. Whether it was kept.
     */
    private boolean endOrKeep(
            SmtpConnection connection, DeliveryAttempt attempt, SessionKey key, IdleSessions.Kept kept) {
        boolean clean = key != null
                && attempt.stage() == DeliveryAttempt.Stage.COMPLETE
                && attempt.outcome() == DeliveryAttempt.Outcome.DELIVERED
                && !connection.sawFailureReply()
                && attempt.recipients().stream().allMatch(one -> one.kind() == RecipientResult.Kind.ACCEPTED);
        if (clean && sessions.keep(key, kept)) {
            return true;
        }
        connection.quit(QUIT_WAIT);
        return false;
    }

    private static TlsRequirement requirementOf(MxHostPlan host) {
        return host.requirement()
                .orElseThrow(() -> new IllegalArgumentException(host.host() + " is excluded from the plan: "
                        + host.exclusion().orElse("")));
    }

    private DeliveryAttempt session(
            MessageContent content,
            String sender,
            List<String> recipients,
            MxHostPlan host,
            InetAddress address,
            TlsRequirement requirement,
            Duration timeLeft,
            SessionKey reuse) {
        DeliveryAttempt.Builder result =
                DeliveryAttempt.builder(host.host(), address, requirement).order(recipients);
        long connected = reuse == null ? 0 : sessions.now();
        SmtpConnection connection;
        try {
            connection = SmtpConnection.open(
                    new InetSocketAddress(address, settings.port()),
                    settings.bindAddress().orElse(null),
                    settings.limits(),
                    timeLeft);
        } catch (IOException e) {
            return result.failed(
                    recipients, EnhancedStatus.transientFailure(4, 1), null, false, "cannot connect: " + messageOf(e));
        }
        result.localAddress(connection.socket().getLocalAddress());
        boolean kept = false;
        try {
            // Before the handshake: what the chain is judged against when the session is kept.
            Instant connectedAt = clock.instant();
            DeliveryAttempt attempt = converse(connection, content, sender, recipients, host, requirement, result);
            kept = endOrKeep(
                    connection,
                    attempt,
                    reuse,
                    reuse == null
                            ? null
                            : new IdleSessions.Kept(
                                    connection,
                                    attempt,
                                    connected,
                                    authenticatedUntil(attempt, connectedAt),
                                    sessions.limits()));
            return attempt;
        } catch (IOException e) {
            return failedSession(result, recipients, e);
        } finally {
            if (!kept) {
                connection.close();
            }
        }
    }

    private static DeliveryAttempt failedSession(
            DeliveryAttempt.Builder result, List<String> recipients, IOException e) {
        if (e instanceof SmtpProtocolException) {
            // X.5.0: other or undefined protocol status.
            return result.failed(
                    recipients,
                    EnhancedStatus.transientFailure(5, 0),
                    null,
                    false,
                    "the server broke the protocol: " + messageOf(e));
        }
        // X.4.2: bad connection. A message whose end of DATA got no answer may have been taken: RFC
        // 5321 6.1 prefers a possible duplicate to a loss.
        return result.failed(
                recipients,
                EnhancedStatus.transientFailure(4, 2),
                null,
                false,
                "the connection failed: " + messageOf(e));
    }

    private DeliveryAttempt converse(
            SmtpConnection connection,
            MessageContent content,
            String sender,
            List<String> recipients,
            MxHostPlan host,
            TlsRequirement requirement,
            DeliveryAttempt.Builder result)
            throws IOException {
        result.stage(DeliveryAttempt.Stage.GREETING);
        SmtpReply greeting = connection.readReply();
        if (!greeting.isPositive()) {
            // A 554 greeting (RFC 5321 3.1) turns this host away, not the message: the next one is tried.
            return hostFailure(connection, result, recipients, greeting, "the server turned us away: " + greeting);
        }
        // RFC 8460 4.4 receiving-mx-helo: the name the server gives itself, its EHLO reply's if it answers one.
        result.serverName(greeting, true);
        result.stage(DeliveryAttempt.Stage.EHLO);
        SmtpReply hello = connection.exchange("EHLO " + settings.heloName());
        if (hello.isPositive()) {
            result.serverName(hello, false);
        } else {
            if (hello.isTransientFailure()) {
                return hostFailure(connection, result, recipients, hello, "EHLO: " + hello);
            }
            if (requirement.requiresTls()) {
                return noStartTls(
                        connection, result, recipients, "TLS is required, but the server refused EHLO: " + hello);
            }
            // RFC 5321 3.2: a server that does not know EHLO may know HELO; it offers no extensions.
            SmtpReply helo = connection.exchange("HELO " + settings.heloName());
            if (!helo.isPositive()) {
                return hostFailure(connection, result, recipients, helo, "HELO: " + helo);
            }
            result.serverName(helo, false);
            hello = null;
        }
        if (requirement != TlsRequirement.NO_TLS) {
            boolean offered = hello != null && hello.offers("STARTTLS");
            if (!offered) {
                if (requirement.requiresTls()) {
                    return noStartTls(connection, result, recipients, "TLS is required, but STARTTLS was not offered");
                }
            } else {
                result.stage(DeliveryAttempt.Stage.STARTTLS);
                SmtpReply startTls = connection.exchange("STARTTLS");
                if (startTls.code() != 220) {
                    // 454, or a 5xx: either way no TLS from this host now (RFC 3207 4); an attacker can
                    // send either, so neither may do more than a missing STARTTLS would.
                    return noStartTls(connection, result, recipients, "STARTTLS was refused: " + startTls);
                }
                Optional<DeliveryAttempt> tlsFailure = startTls(connection, result, recipients, host, requirement);
                if (tlsFailure.isPresent()) {
                    return tlsFailure.get();
                }
                result.stage(DeliveryAttempt.Stage.EHLO);
                hello = connection.exchange("EHLO " + settings.heloName());
                if (!hello.isPositive()) {
                    return hostFailure(connection, result, recipients, hello, "EHLO after STARTTLS: " + hello);
                }
                result.serverName(hello, false);
            }
        }
        if (host.requireTls()) {
            result.stage(DeliveryAttempt.Stage.REQUIRETLS);
            if (hello == null || !hello.offers(MessageSecurity.REQUIRETLS)) {
                // RFC 8689 4.2.1 step 5: the EHLO reply after STARTTLS must offer REQUIRETLS. X.7.30.
                return endSession(
                        connection,
                        result,
                        recipients,
                        EnhancedStatus.transientFailure(7, 30),
                        null,
                        true,
                        "the server does not offer REQUIRETLS after STARTTLS, and the message requires it"
                                + " (RFC 8689 4.2.1)");
            }
        }
        if (content == null) {
            quit(connection);
            return result.secured("probe: no message sent");
        }
        return transaction(connection, content, sender, recipients, host.requireTls(), result);
    }

    private Optional<DeliveryAttempt> startTls(
            SmtpConnection connection,
            DeliveryAttempt.Builder result,
            List<String> recipients,
            MxHostPlan host,
            TlsRequirement requirement) {
        result.stage(DeliveryAttempt.Stage.TLS);
        DaneTrustManager dane =
                requirement == TlsRequirement.DANE ? host.dane().orElseThrow().trustManager(clock) : null;
        ChainRecordingTrustManager recording = dane != null
                ? new ChainRecordingTrustManager(dane)
                : requirement == TlsRequirement.PKIX ? pkix : unauthenticated;
        SSLContext context = dane != null
                ? contextFor(recording)
                : requirement == TlsRequirement.PKIX ? pkixContext : unauthenticatedContext;
        SSLSocket socket;
        recording.takeChain();
        try {
            socket = connection.startTls(context, host.serverName(), requirement == TlsRequirement.PKIX);
        } catch (IOException e) {
            List<X509Certificate> chain = recording.takeChain();
            return Optional.of(handshakeFailure(result, recipients, e, host, requirement, dane, chain));
        }
        recording.takeChain();
        describeTls(result, socket, requirement, dane);
        result.stage(DeliveryAttempt.Stage.AUTHENTICATION);
        Optional<String> unauthenticatedWhy = authenticationFailure(socket, host, requirement, dane);
        if (unauthenticatedWhy.isPresent()) {
            connection.close();
            return Optional.of(result.failed(
                    recipients,
                    EnhancedStatus.transientFailure(7, 5),
                    requirement == TlsRequirement.DANE ? ResultType.TLSA_INVALID : ResultType.VALIDATION_FAILURE,
                    true,
                    unauthenticatedWhy.get()));
        }
        return Optional.empty();
    }

    /**
     * The session checked, after the handshake and before anything is sent, to be authenticated as
     * its requirement demands: a chain was presented over a suite that authenticates the server, and
     * for DANE the host's TLSA records matched it, for PKIX it is valid and names the host. The trust
     * managers already decided; this makes the decision explicit rather than left to JSSE defaults.
     */
    private Optional<String> authenticationFailure(
            SSLSocket socket, MxHostPlan host, TlsRequirement requirement, DaneTrustManager dane) {
        if (requirement != TlsRequirement.DANE && requirement != TlsRequirement.PKIX) {
            return Optional.empty();
        }
        SSLSession session = socket.getSession();
        String suite = session.getCipherSuite().toUpperCase(Locale.ROOT);
        if (suite.contains("_ANON_") || suite.contains("_NULL_") || suite.endsWith("_NULL")) {
            return Optional.of("the cipher suite " + suite + " does not authenticate the server");
        }
        List<X509Certificate> chain = chainOf(session);
        if (chain.isEmpty()) {
            return Optional.of("the server presented no certificate");
        }
        if (requirement == TlsRequirement.DANE) {
            boolean verified =
                    dane.verification().map(DaneVerification::isVerified).orElse(false);
            return verified
                    ? Optional.empty()
                    : Optional.of("the session was not authenticated by the host's TLSA records");
        }
        return PkixFailure.of(pkixTrust, host.serverName(), chain)
                .map(failure -> "PKIX check failed: " + failure.detail());
    }

    private static List<X509Certificate> chainOf(SSLSession session) {
        List<X509Certificate> chain = new ArrayList<>();
        try {
            for (Certificate certificate : session.getPeerCertificates()) {
                if (certificate instanceof X509Certificate) {
                    chain.add((X509Certificate) certificate);
                }
            }
        } catch (SSLPeerUnverifiedException e) {
            // An anonymous suite: no chain.
        }
        return chain;
    }

    private DeliveryAttempt handshakeFailure(
            DeliveryAttempt.Builder result,
            List<String> recipients,
            IOException e,
            MxHostPlan host,
            TlsRequirement requirement,
            DaneTrustManager dane,
            List<X509Certificate> chain) {
        EnhancedStatus status = EnhancedStatus.transientFailure(7, 5);
        DaneTrustManager.DaneCertificateException daneFailure =
                causeOfType(e, DaneTrustManager.DaneCertificateException.class);
        if (daneFailure != null) {
            DaneVerification verification = daneFailure.verification();
            return result.failed(
                    recipients,
                    status,
                    verification.failureType().orElse(ResultType.TLSA_INVALID),
                    true,
                    "TLSA records do not authenticate the server: " + verification);
        }
        if (causeOfType(e, CertificateException.class) != null && requirement == TlsRequirement.PKIX) {
            ResultType type = causeOfType(e, CertificateExpiredException.class) != null
                    ? ResultType.CERTIFICATE_EXPIRED
                    : chain.isEmpty()
                            ? ResultType.CERTIFICATE_NOT_TRUSTED
                            : PkixFailure.of(pkixTrust, host.serverName(), chain)
                                    .map(PkixFailure::type)
                                    .orElse(ResultType.CERTIFICATE_NOT_TRUSTED);
            return result.failed(
                    recipients, status, type, true, "the server's certificate failed PKIX validation: " + messageOf(e));
        }
        if (causeOfType(e, SSLException.class) != null || dane != null) {
            return result.failed(
                    recipients,
                    status,
                    ResultType.VALIDATION_FAILURE,
                    true,
                    "TLS could not be negotiated: " + messageOf(e));
        }
        // The connection failed during the handshake (reset, timeout): no verdict on the server's TLS.
        return result.failed(
                recipients,
                EnhancedStatus.transientFailure(4, 2),
                null,
                false,
                "the connection failed during the TLS handshake: " + messageOf(e));
    }

    private void describeTls(
            DeliveryAttempt.Builder result, SSLSocket socket, TlsRequirement requirement, DaneTrustManager dane) {
        SSLSession session = socket.getSession();
        result.tls(session.getProtocol(), session.getCipherSuite());
        result.peerCertificates(chainOf(session));
        if (dane != null) {
            dane.verification()
                    .ifPresent(verification -> verification
                            .method()
                            .ifPresent(method -> result.authentication(
                                    method == DaneVerification.Method.DANE_EE
                                            ? PeerAuthentication.DANE_EE
                                            : PeerAuthentication.DANE_TA,
                                    verification
                                            .matchedRecord()
                                            .map(Object::toString)
                                            .orElse(""))));
        } else if (requirement == TlsRequirement.PKIX) {
            result.authentication(PeerAuthentication.PKIX, null);
        }
    }

    private DeliveryAttempt transaction(
            SmtpConnection connection,
            MessageContent content,
            String sender,
            List<String> recipients,
            boolean requireTls,
            DeliveryAttempt.Builder result)
            throws IOException {
        result.stage(DeliveryAttempt.Stage.MAIL);
        String reversePath = sender == null ? "" : sender;
        SmtpReply mail = connection.exchange(
                "MAIL FROM:<" + reversePath + ">" + (requireTls ? " " + MessageSecurity.REQUIRETLS : ""));
        if (!mail.isPositive()) {
            // The transaction itself: a 5xx refuses it for every recipient, a 4xx defers them all.
            if (mail.isPermanentFailure()) {
                recipients.forEach(recipient ->
                        result.recipient(RecipientResult.refused(recipient, mail.status(), "MAIL FROM: " + mail)));
            }
            quit(connection);
            return result.failed(recipients, mail.status(), null, false, "MAIL FROM: " + mail);
        }
        result.stage(DeliveryAttempt.Stage.RCPT);
        List<String> accepted = new ArrayList<>();
        for (String recipient : recipients) {
            SmtpReply rcpt = connection.exchange("RCPT TO:<" + recipient + ">");
            if (rcpt.isPositive()) {
                accepted.add(recipient);
            } else if (rcpt.isPermanentFailure()) {
                result.recipient(RecipientResult.refused(recipient, rcpt.status(), "RCPT TO: " + rcpt));
            } else {
                result.recipient(RecipientResult.notSent(recipient, rcpt.status(), "RCPT TO: " + rcpt));
            }
        }
        if (accepted.isEmpty()) {
            quit(connection);
            return result.ended("no recipient was accepted");
        }
        if (accepted.size() < recipients.size() && !settings.sendPartial()) {
            // sendpartial off: all or nothing. The refused are refused; the rest wait for a later try.
            connection.exchange("RSET");
            quit(connection);
            for (String recipient : accepted) {
                result.recipient(RecipientResult.notSent(
                        recipient,
                        EnhancedStatus.TRANSIENT,
                        "not sent: the server did not take every recipient, and sendpartial is off"));
            }
            return result.ended("the server did not take every recipient; nothing sent (sendpartial is off)");
        }
        result.stage(DeliveryAttempt.Stage.DATA);
        SmtpReply data = connection.exchange("DATA");
        if (data.code() != 354) {
            transactionReply(result, accepted, data, "DATA: ");
            quit(connection);
            return result.failed(
                    recipients,
                    data.isPositive() ? EnhancedStatus.transientFailure(5, 0) : data.status(),
                    null,
                    false,
                    "DATA: " + data);
        }
        result.stage(DeliveryAttempt.Stage.MESSAGE);
        String trace = settings.traceHeader()
                .map(name -> name + ": " + result.trace() + "\r\n")
                .orElse(null);
        connection.write(out -> {
            DataStream stream = new DataStream(out);
            if (trace != null) {
                stream.write(trace.getBytes(StandardCharsets.US_ASCII));
            }
            content.writeTo(stream);
            stream.finish();
        });
        SmtpReply end = connection.readReply();
        transactionReply(result, accepted, end, "");
        // No QUIT here: a clean session may be kept for the next message (endOrKeep).
        if (!end.isPositive()) {
            return result.failed(recipients, end.status(), null, false, "end of DATA: " + end);
        }
        return result.completed(end.toString());
    }

    // The reply to DATA or its end speaks for every recipient of the transaction.
    private static void transactionReply(
            DeliveryAttempt.Builder result, List<String> accepted, SmtpReply reply, String prefix) {
        for (String recipient : accepted) {
            if (reply.isPositive() && reply.code() != 354) {
                result.recipient(RecipientResult.accepted(recipient, reply));
            } else if (reply.isPermanentFailure()) {
                result.recipient(RecipientResult.refused(recipient, reply.status(), prefix + reply));
            } else {
                result.recipient(RecipientResult.notSent(
                        recipient,
                        reply.isTransientFailure() ? reply.status() : EnhancedStatus.transientFailure(5, 0),
                        prefix + reply));
            }
        }
    }

    // The session ends before the transaction: the recipients are not sent, with this status.
    private static DeliveryAttempt endSession(
            SmtpConnection connection,
            DeliveryAttempt.Builder result,
            List<String> recipients,
            EnhancedStatus status,
            ResultType type,
            boolean policy,
            String detail) {
        quit(connection);
        return result.failed(recipients, status, type, policy, detail);
    }

    /** No TLS from this host now, where the requirement demands it: X.7.4, {@code starttls-not-supported}. */
    private static DeliveryAttempt noStartTls(
            SmtpConnection connection, DeliveryAttempt.Builder result, List<String> recipients, String detail) {
        return endSession(
                connection,
                result,
                recipients,
                EnhancedStatus.transientFailure(7, 4),
                ResultType.STARTTLS_NOT_SUPPORTED,
                true,
                detail);
    }

    /** A host that turned the session away: its reply's status, as a transient failure of the host. */
    private static DeliveryAttempt hostFailure(
            SmtpConnection connection,
            DeliveryAttempt.Builder result,
            List<String> recipients,
            SmtpReply reply,
            String detail) {
        return endSession(connection, result, recipients, reply.status().asTransient(), null, false, detail);
    }

    // RFC 5321 4.1.1.10: say goodbye; the answer does not matter, so it is not waited for long.
    private static void quit(SmtpConnection connection) {
        connection.quit(QUIT_WAIT);
    }

    private static <T extends Throwable> T causeOfType(Throwable failure, Class<T> type) {
        for (Throwable cause = failure; cause != null; cause = cause.getCause() == cause ? null : cause.getCause()) {
            if (type.isInstance(cause)) {
                return type.cast(cause);
            }
        }
        return null;
    }

    private static String messageOf(Throwable failure) {
        StringBuilder message = new StringBuilder();
        for (Throwable cause = failure;
                cause != null && message.length() < PeerText.MAX_LENGTH;
                cause = cause.getCause() == cause ? null : cause.getCause()) {
            String text = cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
            if (message.indexOf(text) < 0) {
                message.append(message.length() == 0 ? "" : ": ").append(text);
            }
        }
        return PeerText.clean(message.toString());
    }
}
