package dev.securedelivery.smtp;

import com.sun.mail.smtp.SMTPAddressFailedException;
import com.sun.mail.smtp.SMTPSendFailedException;
import com.sun.mail.smtp.SMTPTransport;
import com.sun.mail.util.MailConnectException;
import dev.securedelivery.dane.DaneTrustManager;
import dev.securedelivery.dane.DaneVerification;
import dev.securedelivery.policy.MxHostPlan;
import dev.securedelivery.policy.TlsRequirement;
import dev.securedelivery.requiretls.MessageSecurity;
import dev.securedelivery.tlsrpt.ResultType;
import java.net.InetAddress;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateExpiredException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import javax.mail.Address;
import javax.mail.MessagingException;
import javax.mail.SendFailedException;
import javax.mail.Session;
import javax.mail.internet.AddressException;
import javax.mail.internet.InternetAddress;
import javax.mail.internet.MimeMessage;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.X509TrustManager;

/**
 * Sends one message over one SMTP connection to one address of an MX host, held to that host's
 * {@link TlsRequirement}:
 * <ul>
 *   <li>{@code dane}, {@code pkix}, {@code encrypt}: STARTTLS is required; a server that does not
 *       offer it, or refuses it (454), gets no mail (RFC 7672 2.2, RFC 8461 5). The chain is held
 *       to the host's TLSA records, to PKIX and the MX host name, or to nothing.
 *   <li>{@code opportunistic}: STARTTLS when offered, any certificate; when TLS cannot be
 *       negotiated the same address is tried once more in plaintext, as Postfix does.
 *   <li>{@code none}: no STARTTLS.
 * </ul>
 * A host that {@linkplain MxHostPlan#requireTls() requires REQUIRETLS} must offer it in its EHLO
 * reply after STARTTLS, and MAIL FROM then carries the parameter (RFC 8689 4.2.1).
 * The connection goes to the given address (resolved by the plan through the validating resolver,
 * never by the JVM's own lookups); SNI and the PKIX name check use the MX host name or TLSA base
 * domain. Nothing is sent before the TLS the requirement demands is in place.
 */
public final class SmtpClient {
    private final Properties baseProperties;
    private final int port;
    private final Clock clock;
    private final String traceHeader;
    // Shared, so that sessions resume across connections as they do for javax.mail's default factory.
    // DANE gets a context per connection: its trust manager holds that host's TLSA records.
    private final SSLContext unauthenticated;
    private final SSLContext pkix;

    /**
     * @param baseProperties javax.mail settings every connection shares: {@code mail.smtp.timeout},
     *     {@code mail.smtp.connectiontimeout}, {@code mail.smtp.localhost} (the HELO name),
     *     {@code mail.smtp.sendpartial}...
     * @param port the SMTP port of MX hosts: 25, but for tests
     * @param pkixTrust whom to trust for PKIX-verified connections
     * @param traceHeader a header to stamp each message with, once the connection is secured as
     *     far as it will be, saying how it leaves; null for none
     */
    public SmtpClient(Properties baseProperties, int port, X509TrustManager pkixTrust, Clock clock,
            String traceHeader) {
        this.baseProperties = new Properties();
        this.baseProperties.putAll(baseProperties);
        this.port = port;
        this.clock = Objects.requireNonNull(clock, "clock");
        this.traceHeader = traceHeader;
        this.unauthenticated = StartTlsSocketFactory.contextFor(AcceptingTrustManager.INSTANCE);
        this.pkix = StartTlsSocketFactory.contextFor(Objects.requireNonNull(pkixTrust, "pkixTrust"));
    }

    /**
     * Sends {@code message} from {@code sender} (null for the null reverse-path) to {@code
     * recipients} through {@code address}, an address of {@code host}.
     */
    public DeliveryAttempt send(MimeMessage message, String sender, List<String> recipients, MxHostPlan host,
            InetAddress address) {
        TlsRequirement requirement = host.requirement().orElseThrow(() ->
                new IllegalArgumentException(host.host() + " is excluded from the plan: " + host.exclusion().orElse("")));
        DeliveryAttempt attempt = attempt(message, sender, recipients, host, address, requirement);
        if (requirement == TlsRequirement.OPPORTUNISTIC && attempt.isPolicyFailure()) {
            // Opportunistic TLS must not keep mail from a server whose TLS is broken: plaintext it is.
            DeliveryAttempt plain = attempt(message, sender, recipients, host, address, TlsRequirement.NO_TLS);
            return plain.outcome() == DeliveryAttempt.Outcome.DELIVERED
                    ? plain.as(requirement, "TLS failed (" + attempt.detail() + "); sent in plaintext; " + plain.detail())
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
        TlsRequirement requirement = host.requirement().orElseThrow(() ->
                new IllegalArgumentException(host.host() + " is excluded from the plan: " + host.exclusion().orElse("")));
        return attempt(null, null, List.of(), host, address, requirement);
    }

    private DeliveryAttempt attempt(MimeMessage message, String sender, List<String> recipients, MxHostPlan host,
            InetAddress address, TlsRequirement requirement) {
        DeliveryAttempt.Builder result = DeliveryAttempt.builder(host.host(), address, requirement);
        DaneTrustManager dane = requirement == TlsRequirement.DANE ? host.dane().orElseThrow().trustManager(clock) : null;
        SSLContext context = dane != null ? StartTlsSocketFactory.contextFor(dane)
                : requirement == TlsRequirement.PKIX ? pkix : unauthenticated;
        StartTlsSocketFactory tls = new StartTlsSocketFactory(context, host.serverName(),
                requirement == TlsRequirement.PKIX);

        Properties properties = new Properties();
        properties.putAll(baseProperties);
        properties.put("mail.smtp.starttls.enable", String.valueOf(requirement != TlsRequirement.NO_TLS));
        properties.put("mail.smtp.starttls.required", String.valueOf(requirement.requiresTls()));
        // An object, not a class name: javax.mail looks it up with Properties.get at STARTTLS.
        properties.put("mail.smtp.ssl.socketFactory", tls);
        properties.put("mail.smtp.ssl.checkserveridentity", "false");
        properties.put("mail.smtp.from", sender == null || sender.isEmpty() ? "<>" : sender);
        if (host.requireTls()) {
            // RFC 8689 4.2.1: the message is sent with the REQUIRETLS option on MAIL FROM.
            properties.put("mail.smtp.mailextension", MessageSecurity.REQUIRETLS);
        }
        Session session = Session.getInstance(properties);

        try (SMTPTransport transport = (SMTPTransport) session.getTransport("smtp")) {
            try {
                // The address itself: javax.mail would otherwise resolve the name with the JVM's lookups.
                transport.connect(address.getHostAddress(), port, null, null);
            } catch (MessagingException e) {
                return connectFailure(result, e, requirement, dane);
            }
            describeTls(result, tls.socket(), requirement, dane);
            if (requirement.requiresTls() && tls.socket() == null) {
                // javax.mail enforces starttls.required; this is the belt to its braces.
                return result.detail("no TLS was negotiated").failed(DeliveryAttempt.Outcome.TEMPORARY_FAILURE,
                        "4.7.4", ResultType.STARTTLS_NOT_SUPPORTED, true);
            }
            if (host.requireTls() && !transport.supportsExtension(MessageSecurity.REQUIRETLS)) {
                // RFC 8689 4.2.1 step 5: the EHLO reply after STARTTLS must offer REQUIRETLS.
                return result.detail("the server does not offer REQUIRETLS after STARTTLS, and the message requires it"
                        + " (RFC 8689 4.2.1)").failed(DeliveryAttempt.Outcome.TEMPORARY_FAILURE, "4.7.30", null, true);
            }
            if (message == null) {
                return result.detail("probe: no message sent").secured();
            }
            if (traceHeader != null) {
                try {
                    message.setHeader(traceHeader, result.trace());
                } catch (MessagingException e) {
                    return result.detail("cannot stamp the trace header: " + e.getMessage())
                            .failed(DeliveryAttempt.Outcome.TEMPORARY_FAILURE, "4.3.0", null, false);
                }
            }
            return sendOver(transport, message, recipients, result);
        } catch (MessagingException e) {
            return result.detail("closing the connection failed: " + e.getMessage())
                    .failed(DeliveryAttempt.Outcome.TEMPORARY_FAILURE, "4.4.2", null, false);
        }
    }

    private static DeliveryAttempt sendOver(SMTPTransport transport, MimeMessage message, List<String> recipients,
            DeliveryAttempt.Builder result) {
        Address[] addresses;
        try {
            addresses = internetAddresses(recipients);
        } catch (AddressException e) {
            return result.detail("invalid recipient: " + e.getMessage())
                    .failed(DeliveryAttempt.Outcome.PERMANENT_FAILURE, "5.1.3", null, false);
        }
        try {
            transport.sendMessage(message, addresses);
            return result.detail(transport.getLastServerResponse()).delivered();
        } catch (SendFailedException e) {
            return sendFailure(result, e, transport);
        } catch (MessagingException e) {
            return result.detail(e.getMessage()).failed(DeliveryAttempt.Outcome.TEMPORARY_FAILURE, "4.4.2", null, false);
        }
    }

    // What the server said of each recipient decides; with mail.smtp.sendpartial some may have been
    // sent, and then every other recipient is either refused for good (5xx) or not sent yet.
    private static DeliveryAttempt sendFailure(DeliveryAttempt.Builder result, SendFailedException e,
            SMTPTransport transport) {
        Map<String, SMTPAddressFailedException> failures = new LinkedHashMap<>();
        for (Exception next = e; next != null; next = next instanceof MessagingException
                ? ((MessagingException) next).getNextException() : null) {
            if (next instanceof SMTPAddressFailedException) {
                SMTPAddressFailedException failed = (SMTPAddressFailedException) next;
                failures.put(failed.getAddress().getAddress(), failed);
            }
        }
        int code = e instanceof SMTPSendFailedException ? ((SMTPSendFailedException) e).getReturnCode() : -1;
        Address[] sent = e.getValidSentAddresses();
        boolean anySent = sent != null && sent.length > 0;
        boolean permanent = code >= 500 || (!anySent && !failures.isEmpty()
                && failures.values().stream().allMatch(failure -> failure.getReturnCode() >= 500));
        StringBuilder detail = new StringBuilder(String.valueOf(e.getMessage()).trim());
        failures.forEach((address, failure) -> detail.append("; ").append(address).append(": ")
                .append(String.valueOf(failure.getMessage()).trim()));
        result.detail(detail.toString());
        if (anySent) {
            failures.forEach((address, failure) -> {
                if (failure.getReturnCode() >= 500) {
                    result.refused(address, String.valueOf(failure.getMessage()).trim());
                } else {
                    result.unsent(address);
                }
            });
            Address[] unsent = e.getValidUnsentAddresses();
            if (unsent != null) {
                for (Address address : unsent) {
                    result.unsent(((InternetAddress) address).getAddress());
                }
            }
            return result.delivered();
        }
        return permanent
                ? result.failed(DeliveryAttempt.Outcome.PERMANENT_FAILURE, statusOf(transport, "5.0.0"), null, false)
                : result.failed(DeliveryAttempt.Outcome.TEMPORARY_FAILURE, statusOf(transport, "4.0.0"), null, false);
    }

    private static String statusOf(SMTPTransport transport, String fallback) {
        String response = transport.getLastServerResponse();
        if (response != null) {
            java.util.regex.Matcher matcher = java.util.regex.Pattern.compile("^\\d{3}[ -]([245]\\.\\d{1,3}\\.\\d{1,3})")
                    .matcher(response);
            if (matcher.find()) {
                return matcher.group(1);
            }
        }
        return fallback;
    }

    private static Address[] internetAddresses(List<String> recipients) throws AddressException {
        List<Address> addresses = new ArrayList<>();
        for (String recipient : recipients) {
            addresses.add(new InternetAddress(recipient, false));
        }
        return addresses.toArray(new Address[0]);
    }

    private void describeTls(DeliveryAttempt.Builder result, SSLSocket socket, TlsRequirement requirement,
            DaneTrustManager dane) {
        if (socket == null) {
            return;
        }
        SSLSession session = socket.getSession();
        result.tls(session.getProtocol(), session.getCipherSuite());
        try {
            List<X509Certificate> chain = new ArrayList<>();
            for (Certificate certificate : session.getPeerCertificates()) {
                chain.add((X509Certificate) certificate);
            }
            result.peerCertificates(chain);
        } catch (SSLPeerUnverifiedException e) {
            // An anonymous suite: no chain to keep.
        }
        if (dane != null) {
            dane.verification().flatMap(DaneVerification::method).ifPresent(method -> result.authentication(
                    method + " " + dane.verification().get().matchedRecord().map(Object::toString).orElse("")));
        } else if (requirement == TlsRequirement.PKIX) {
            result.authentication("PKIX");
        }
    }

    private DeliveryAttempt connectFailure(DeliveryAttempt.Builder result, MessagingException e,
            TlsRequirement requirement, DaneTrustManager dane) {
        String message = String.valueOf(e.getMessage());
        DaneTrustManager.DaneCertificateException daneFailure =
                causeOfType(e, DaneTrustManager.DaneCertificateException.class);
        if (daneFailure != null) {
            DaneVerification verification = daneFailure.verification();
            return result.detail("TLSA records do not authenticate the server: " + verification)
                    .failed(DeliveryAttempt.Outcome.TEMPORARY_FAILURE, "4.7.5",
                            verification.failureType().orElse(ResultType.TLSA_INVALID), true);
        }
        CertificateException certificate = causeOfType(e, CertificateException.class);
        if (certificate != null) {
            ResultType type = causeOfType(e, CertificateExpiredException.class) != null
                    ? ResultType.CERTIFICATE_EXPIRED
                    : isNameMismatch(certificate) ? ResultType.CERTIFICATE_HOST_MISMATCH
                    : ResultType.CERTIFICATE_NOT_TRUSTED;
            return result.detail("the server's certificate failed PKIX validation: " + rootMessage(e))
                    .failed(DeliveryAttempt.Outcome.TEMPORARY_FAILURE, "4.7.5", type, true);
        }
        if (causeOfType(e, SSLException.class) != null) {
            return result.detail("TLS could not be negotiated: " + rootMessage(e))
                    .failed(DeliveryAttempt.Outcome.TEMPORARY_FAILURE, "4.7.5", ResultType.VALIDATION_FAILURE, true);
        }
        if (message.contains("STARTTLS") || message.startsWith("454")) {
            // "STARTTLS is required but host does not support STARTTLS", or STARTTLS answered 454.
            return result.detail("TLS is required, but was not offered: " + message.trim())
                    .failed(DeliveryAttempt.Outcome.TEMPORARY_FAILURE, "4.7.4", ResultType.STARTTLS_NOT_SUPPORTED,
                            requirement != TlsRequirement.NO_TLS);
        }
        if (e instanceof MailConnectException) {
            return result.detail("cannot connect: " + rootMessage(e))
                    .failed(DeliveryAttempt.Outcome.TEMPORARY_FAILURE, "4.4.1", null, false);
        }
        boolean permanent = message.startsWith("5");
        return result.detail(message.trim()).failed(permanent ? DeliveryAttempt.Outcome.PERMANENT_FAILURE
                : DeliveryAttempt.Outcome.TEMPORARY_FAILURE, permanent ? "5.0.0" : "4.4.2", null, false);
    }

    private static boolean isNameMismatch(CertificateException certificate) {
        String message = String.valueOf(certificate.getMessage());
        return message.contains("No subject alternative") || message.contains("No name matching");
    }

    private static <T extends Throwable> T causeOfType(Throwable failure, Class<T> type) {
        for (Throwable cause = failure; cause != null; cause = next(cause)) {
            if (type.isInstance(cause)) {
                return type.cast(cause);
            }
        }
        return null;
    }

    // javax.mail chains exceptions through getNextException as well as getCause.
    private static Throwable next(Throwable failure) {
        if (failure.getCause() != null) {
            return failure.getCause();
        }
        return failure instanceof MessagingException ? ((MessagingException) failure).getNextException() : null;
    }

    private static String rootMessage(Throwable failure) {
        Throwable root = failure;
        while (next(root) != null && next(root) != root) {
            root = next(root);
        }
        return root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
    }
}
