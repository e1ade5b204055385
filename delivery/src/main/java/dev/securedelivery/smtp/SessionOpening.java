package dev.securedelivery.smtp;

import dev.securedelivery.dane.DaneTrustManager;
import dev.securedelivery.dane.DaneVerification;
import dev.securedelivery.policy.MxHostPlan;
import dev.securedelivery.policy.TlsRequirement;
import dev.securedelivery.requiretls.MessageSecurity;
import dev.securedelivery.tlsrpt.ResultType;
import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateExpiredException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;

/**
 * A session set up for its first transaction, held to its host's {@link TlsRequirement}: the
 * greeting, EHLO (HELO where TLS is not required and EHLO is refused), STARTTLS where the
 * requirement asks or offers it, the handshake and the check of the peer's authentication (TLSA
 * records for DANE, PKIX and the MX host name for PKIX), EHLO again, and REQUIRETLS offered where the
 * message requires it (RFC 8689 4.2.1).
 *
 * <p>A failure here is the host's, never the message's: whatever its code, the recipients are not
 * sent and the next host is tried. The greeting and EHLO must be answered 2xx (220 expected, RFC 5321
 * 4.3.2), STARTTLS exactly 220 (RFC 3207 4); a 3xx, or a 1xx, breaks the protocol.
 */
final class SessionOpening {
    private final SmtpSettings settings;
    private final X509TrustManager pkixTrust;
    private final Clock clock;
    // Shared, so that TLS sessions resume across connections. DANE gets a context per connection: its
    // trust manager holds that host's TLSA records.
    private final ChainRecordingTrustManager unauthenticated;
    private final ChainRecordingTrustManager pkix;
    private final SSLContext unauthenticatedContext;
    private final SSLContext pkixContext;

    SessionOpening(SmtpSettings settings, X509TrustManager pkixTrust, Clock clock) {
        this.settings = settings;
        this.pkixTrust = pkixTrust;
        this.clock = clock;
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

    /**
     * Sets the session up; empty when it is ready for MAIL FROM, else the attempt it ended as, every
     * recipient not sent.
     */
    Optional<DeliveryAttempt> open(
            SmtpConnection connection,
            List<String> recipients,
            MxHostPlan host,
            TlsRequirement requirement,
            DeliveryAttempt.Builder result)
            throws IOException {
        result.stage(DeliveryAttempt.Stage.GREETING);
        SmtpReply greeting = connection.readReply();
        if (!greeting.isPositiveCompletion()) {
            expectFailure("the greeting", greeting);
            // A 554 greeting (RFC 5321 3.1) turns this host away, not the message: the next one is tried.
            return Optional.of(
                    hostFailure(connection, result, recipients, greeting, "the server turned us away: " + greeting));
        }
        // RFC 8460 4.4 receiving-mx-helo: the name the server gives itself, its EHLO reply's if it answers one.
        result.serverName(greeting, true);
        result.stage(DeliveryAttempt.Stage.EHLO);
        SmtpReply hello = connection.exchange("EHLO " + settings.heloName());
        if (hello.isPositiveCompletion()) {
            result.serverName(hello, false);
        } else {
            expectFailure("EHLO", hello);
            if (hello.isTransientFailure()) {
                return Optional.of(hostFailure(connection, result, recipients, hello, "EHLO: " + hello));
            }
            if (requirement.requiresTls()) {
                return Optional.of(noStartTls(
                        connection, result, recipients, "TLS is required, but the server refused EHLO: " + hello));
            }
            // RFC 5321 3.2: a server that does not know EHLO may know HELO; it offers no extensions.
            SmtpReply helo = connection.exchange("HELO " + settings.heloName());
            if (!helo.isPositiveCompletion()) {
                expectFailure("HELO", helo);
                return Optional.of(hostFailure(connection, result, recipients, helo, "HELO: " + helo));
            }
            result.serverName(helo, false);
            hello = null;
        }
        if (requirement != TlsRequirement.NO_TLS) {
            boolean offered = hello != null && hello.offers("STARTTLS");
            if (!offered) {
                if (requirement.requiresTls()) {
                    return Optional.of(noStartTls(
                            connection, result, recipients, "TLS is required, but STARTTLS was not offered"));
                }
            } else {
                result.stage(DeliveryAttempt.Stage.STARTTLS);
                SmtpReply startTls = connection.exchange("STARTTLS");
                if (startTls.code() != 220) {
                    // 454, or a 5xx: either way no TLS from this host now (RFC 3207 4); an attacker can
                    // send either, so neither may do more than a missing STARTTLS would.
                    return Optional.of(noStartTls(connection, result, recipients, "STARTTLS was refused: " + startTls));
                }
                Optional<DeliveryAttempt> tlsFailure = startTls(connection, result, recipients, host, requirement);
                if (tlsFailure.isPresent()) {
                    return tlsFailure;
                }
                result.stage(DeliveryAttempt.Stage.EHLO);
                hello = connection.exchange("EHLO " + settings.heloName());
                if (!hello.isPositiveCompletion()) {
                    expectFailure("EHLO after STARTTLS", hello);
                    return Optional.of(
                            hostFailure(connection, result, recipients, hello, "EHLO after STARTTLS: " + hello));
                }
                result.serverName(hello, false);
            }
        }
        if (host.requireTls()) {
            result.stage(DeliveryAttempt.Stage.REQUIRETLS);
            if (hello == null || !hello.offers(MessageSecurity.REQUIRETLS)) {
                // RFC 8689 4.2.1 step 5: the EHLO reply after STARTTLS must offer REQUIRETLS. X.7.30.
                return Optional.of(endSession(
                        connection,
                        result,
                        recipients,
                        EnhancedStatus.transientFailure(7, 30),
                        null,
                        true,
                        "the server does not offer REQUIRETLS after STARTTLS, and the message requires it"
                                + " (RFC 8689 4.2.1)"));
            }
        }
        return Optional.empty();
    }

    // Where a 2xx is due, only a 4xx or 5xx is an answer; a 3xx breaks the protocol.
    private static void expectFailure(String what, SmtpReply reply) throws SmtpProtocolException {
        if (!reply.isTransientFailure() && !reply.isPermanentFailure()) {
            throw new SmtpProtocolException(what + ": " + reply + " where a 2xx was due");
        }
    }

    private Optional<DeliveryAttempt> startTls(
            SmtpConnection connection,
            DeliveryAttempt.Builder result,
            List<String> recipients,
            MxHostPlan host,
            TlsRequirement requirement)
            throws SmtpProtocolException {
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
        } catch (SmtpProtocolException e) {
            // Out of step before the handshake began: the protocol's failure, not the TLS's.
            throw e;
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
                ExceptionText.causeOfType(e, DaneTrustManager.DaneCertificateException.class);
        if (daneFailure != null) {
            DaneVerification verification = daneFailure.verification();
            return result.failed(
                    recipients,
                    status,
                    verification.failureType().orElse(ResultType.TLSA_INVALID),
                    true,
                    "TLSA records do not authenticate the server: " + verification);
        }
        if (ExceptionText.causeOfType(e, CertificateException.class) != null && requirement == TlsRequirement.PKIX) {
            ResultType type = ExceptionText.causeOfType(e, CertificateExpiredException.class) != null
                    ? ResultType.CERTIFICATE_EXPIRED
                    : chain.isEmpty()
                            ? ResultType.CERTIFICATE_NOT_TRUSTED
                            : PkixFailure.of(pkixTrust, host.serverName(), chain)
                                    .map(PkixFailure::type)
                                    .orElse(ResultType.CERTIFICATE_NOT_TRUSTED);
            return result.failed(
                    recipients,
                    status,
                    type,
                    true,
                    "the server's certificate failed PKIX validation: " + ExceptionText.of(e));
        }
        if (ExceptionText.causeOfType(e, SSLException.class) != null || dane != null) {
            return result.failed(
                    recipients,
                    status,
                    ResultType.VALIDATION_FAILURE,
                    true,
                    "TLS could not be negotiated: " + ExceptionText.of(e));
        }
        // The connection failed during the handshake (reset, timeout): no verdict on the server's TLS.
        return result.failed(
                recipients,
                EnhancedStatus.transientFailure(4, 2),
                null,
                false,
                "the connection failed during the TLS handshake: " + ExceptionText.of(e));
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

    // The session ends before the transaction: the recipients are not sent, with this status.
    private static DeliveryAttempt endSession(
            SmtpConnection connection,
            DeliveryAttempt.Builder result,
            List<String> recipients,
            EnhancedStatus status,
            ResultType type,
            boolean policy,
            String detail) {
        connection.quit();
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
}
