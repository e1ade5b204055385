package dev.securedelivery.smtp;

import dev.securedelivery.policy.MxHostPlan;
import dev.securedelivery.policy.TlsRequirement;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import javax.net.ssl.X509TrustManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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
 * DATA or the end of DATA of its transaction, refuses it; a 4xx, a reply that breaks the protocol or
 * a session that ends first leaves it not sent; a 2xx to the end of DATA, after 354 to DATA, delivers
 * it ({@link MailTransactions}). A failure before MAIL FROM (greeting, EHLO, STARTTLS) is the host's,
 * not the message's: whatever its code, the recipients are not sent, and the next host is tried
 * ({@link SessionOpening}). Nothing a session meets escapes {@link #send}: our own failure too is a
 * failure of that host.
 *
 * <p>The connection goes to the given address (resolved by the plan through the validating
 * resolver), within the bounds of {@link SmtpLimits}. SNI and the PKIX name check use the MX host
 * name or TLSA base domain. Nothing is sent before the TLS the requirement demands is in place.
 */
public final class SmtpClient {
    private static final Logger LOGGER = LoggerFactory.getLogger(SmtpClient.class);

    /** How long RSET on a kept session may take: Postfix's {@code smtp_rset_timeout}. */
    private static final Duration RSET_WAIT = Duration.ofSeconds(20);
    /** X.3.0: other or undefined mail system status; ours, not the server's. */
    static final EnhancedStatus UNEXPECTED = EnhancedStatus.transientFailure(3, 0);

    private final SmtpSettings settings;
    private final IdleSessions sessions;
    private final Clock clock;
    private final SessionOpening opening;
    private final MailTransactions transactions;

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
        this.clock = Objects.requireNonNull(clock, "clock");
        this.opening = new SessionOpening(settings, Objects.requireNonNull(pkixTrust, "pkixTrust"), clock);
        this.transactions = new MailTransactions(settings);
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
            // session never kept (the next message tries TLS again), in what is left of the time.
            DeliveryAttempt plain = session(
                    content,
                    sender,
                    recipients,
                    host,
                    address,
                    TlsRequirement.NO_TLS,
                    timeLeft.minusNanos(System.nanoTime() - began),
                    null);
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
                        transactions.run(connection, content, sender, recipients, host.requireTls(), result);
                if (!result.anyTransactionOpened()) {
                    // The first MAIL FROM not taken on a kept session: no recipient is judged by that; a
                    // new connection's answer decides.
                    continue;
                }
                kept.carried();
                keptAgain = endOrKeep(connection, attempt, key, kept);
                return attempt;
            } catch (IOException e) {
                if (!result.anyTransactionOpened()) {
                    // Gone before the first MAIL FROM was answered: nothing of the message reached the server.
                    continue;
                }
                return failedSession(result, recipients, e);
            } catch (RuntimeException e) {
                return internalFailure(result, recipients, e);
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

    // RFC 5321 4.1.1.5: RSET aborts whatever the server holds and "MUST" be answered 250. A session
    // proves it is in step first: nothing arrived while it was idle, at the TLS layer or under it.
    private static boolean reset(SmtpConnection connection) {
        if (connection.hasUnreadInput()) {
            // Spoke while idle (a 421 and gone, or worse): its next reply would not be RSET's.
            connection.quitAndClose();
            return false;
        }
        try {
            SmtpReply reply = connection.exchange("RSET", RSET_WAIT);
            if (reply.code() == 250 && !connection.hasUnreadInput()) {
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
        connection.quit();
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
                    recipients,
                    EnhancedStatus.transientFailure(4, 1),
                    null,
                    false,
                    "cannot connect: " + ExceptionText.of(e));
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
        } catch (RuntimeException e) {
            return internalFailure(result, recipients, e);
        } finally {
            if (!kept) {
                connection.close();
            }
        }
    }

    /**
     * Our own failure in a session (a bug, a name the TLS layer refuses): contained here, as a failure
     * of this host, so that the delivery goes on to the next and every recipient keeps its own result.
     * X.3.0: other or undefined mail system status.
     */
    private static DeliveryAttempt internalFailure(
            DeliveryAttempt.Builder result, List<String> recipients, RuntimeException e) {
        LOGGER.warn("secure-delivery: a session failed unexpectedly", e);
        return result.failed(
                recipients, UNEXPECTED, null, false, "the session failed unexpectedly: " + ExceptionText.of(e));
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
                    "the server broke the protocol: " + ExceptionText.of(e));
        }
        // X.4.2: bad connection. A message whose end of DATA got no answer may have been taken: RFC
        // 5321 6.1 prefers a possible duplicate to a loss.
        return result.failed(
                recipients,
                EnhancedStatus.transientFailure(4, 2),
                null,
                false,
                "the connection failed: " + ExceptionText.of(e));
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
        Optional<DeliveryAttempt> ended = opening.open(connection, recipients, host, requirement, result);
        if (ended.isPresent()) {
            return ended.get();
        }
        if (content == null) {
            connection.quit();
            return result.secured("probe: no message sent");
        }
        return transactions.run(connection, content, sender, recipients, host.requireTls(), result);
    }
}
