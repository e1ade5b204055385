package dev.securedelivery.integration;

import com.google.inject.Module;
import com.google.inject.multibindings.Multibinder;
import com.sun.mail.smtp.SMTPTransport;
import dev.securedelivery.testing.IssuedCertificate;
import dev.securedelivery.testing.LoopbackPorts;
import dev.securedelivery.testing.TestCertificateAuthority;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import javax.mail.Message;
import javax.mail.MessagingException;
import javax.mail.Session;
import javax.mail.Transport;
import javax.mail.internet.InternetAddress;
import javax.mail.internet.MimeMessage;
import org.apache.james.GuiceJamesServer;
import org.apache.james.MemoryJamesConfiguration;
import org.apache.james.MemoryJamesServerMain;
import org.apache.james.mailrepository.api.MailRepositoryUrl;
import org.apache.james.utils.GuiceProbe;
import org.apache.james.utils.MailRepositoryProbeImpl;

/**
 * A real James 3.8.1 memory server in this JVM, configured as an administrator would: its own
 * {@code conf/} directory, the delivery mailet in {@code mailetcontainer.xml} in place of
 * RemoteDelivery, the Guice module in {@code extensions.properties}, and
 * {@code secure-delivery.properties}. Only SMTP is enabled, on 127.0.0.1.
 */
final class JamesUnderTest implements AutoCloseable {
    private static final String KEYSTORE_SECRET = "james72laBalle";
    private static final IssuedCertificate SMTP_CERTIFICATE =
            TestCertificateAuthority.root("James SMTP Test Root").issue("localhost");

    /** conf/keystore, which James's SMTP server reads for STARTTLS (a certificate for localhost). */
    static void writeSmtpKeyStore(Path conf) throws IOException {
        SMTP_CERTIFICATE.writePkcs12(conf.resolve("keystore"), KEYSTORE_SECRET);
    }

    private final GuiceJamesServer server;
    private final int smtpPort;
    private final int webAdminPort;

    private JamesUnderTest(GuiceJamesServer server, int smtpPort, int webAdminPort) {
        this.server = server;
        this.smtpPort = smtpPort;
        this.webAdminPort = webAdminPort;
    }

    /**
     * @param mailetParameters the delivery mailet's parameters, written into mailetcontainer.xml
     * @param secureDelivery the lines of conf/secure-delivery.properties
     */
    static JamesUnderTest start(Path workingDirectory, Map<String, String> mailetParameters, Properties secureDelivery)
            throws Exception {
        return start(workingDirectory, mailetParameters, secureDelivery, null, null, List.of(), "");
    }

    /**
     * As {@link #start(Path, Map, Properties)}, with {@code relayMailets} (mailetcontainer.xml
     * elements) in the relay processor before the delivery mailet, as an administrator adds DKIMSign.
     */
    static JamesUnderTest startWithRelayMailets(
            Path workingDirectory, Map<String, String> mailetParameters, Properties secureDelivery, String relayMailets)
            throws Exception {
        return start(workingDirectory, mailetParameters, secureDelivery, null, null, List.of(), relayMailets);
    }

    /**
     * As {@link #start(Path, Map, Properties)}, with James's persistent ActiveMQ mail queue in place of
     * the memory one: what was queued in {@code workingDirectory} is there again after a restart.
     */
    static JamesUnderTest startWithPersistentQueue(
            Path workingDirectory, Map<String, String> mailetParameters, Properties secureDelivery) throws Exception {
        return start(
                workingDirectory,
                mailetParameters,
                secureDelivery,
                null,
                null,
                List.of(new PersistentMailQueueModule()),
                "");
    }

    /** As {@link #start(Path, Map, Properties)}, with Guice modules overriding James's own bindings. */
    static JamesUnderTest startWithOverrides(
            Path workingDirectory, Map<String, String> mailetParameters, Properties secureDelivery, Module... overrides)
            throws Exception {
        return start(workingDirectory, mailetParameters, secureDelivery, null, null, List.of(overrides), "");
    }

    /**
     * As {@link #start(Path, Map, Properties)}, and mail for {@code stockDomain} goes through James's
     * stock RemoteDelivery instead, with STARTTLS, to the gateway {@code stockGateway} (host:port):
     * the same James compares both.
     */
    static JamesUnderTest start(
            Path workingDirectory,
            Map<String, String> mailetParameters,
            Properties secureDelivery,
            String stockDomain,
            String stockGateway)
            throws Exception {
        return start(workingDirectory, mailetParameters, secureDelivery, stockDomain, stockGateway, List.of(), "");
    }

    /**
     * As {@link #start(Path, Map, Properties)}, with {@code transportMailets} (mailetcontainer.xml
     * elements) first in the transport processor, before local delivery, and {@code processors} of the
     * test's own; WebAdmin on with secure-delivery's routes, on 127.0.0.1:{@link #webAdminPort()}.
     */
    static JamesUnderTest startWithTransportMailets(
            Path workingDirectory, Properties secureDelivery, String transportMailets, String processors)
            throws Exception {
        return start(
                workingDirectory,
                Map.of(),
                secureDelivery,
                null,
                null,
                List.of(),
                "",
                transportMailets,
                processors,
                true);
    }

    private static JamesUnderTest start(
            Path workingDirectory,
            Map<String, String> mailetParameters,
            Properties secureDelivery,
            String stockDomain,
            String stockGateway,
            List<Module> overrides,
            String relayMailets)
            throws Exception {
        return start(
                workingDirectory,
                mailetParameters,
                secureDelivery,
                stockDomain,
                stockGateway,
                overrides,
                relayMailets,
                "",
                "",
                false);
    }

    private static JamesUnderTest start(
            Path workingDirectory,
            Map<String, String> mailetParameters,
            Properties secureDelivery,
            String stockDomain,
            String stockGateway,
            List<Module> overrides,
            String relayMailets,
            String transportMailets,
            String processors,
            boolean webAdmin)
            throws Exception {
        return start(
                workingDirectory,
                mailetParameters,
                secureDelivery,
                stockDomain,
                stockGateway,
                overrides,
                relayMailets,
                transportMailets,
                processors,
                webAdmin,
                null);
    }

    /** How a James that receives for a domain of its own differs: its SMTP port, certificate and domain. */
    static final class Receiving {
        final int smtpPort;
        final IssuedCertificate certificate;
        final String domain;

        Receiving(int smtpPort, IssuedCertificate certificate, String domain) {
            this.smtpPort = smtpPort;
            this.certificate = certificate;
            this.domain = domain;
        }
    }

    /**
     * A James that receives mail for {@code receiving.domain} on 127.0.0.1:{@code receiving.smtpPort},
     * its STARTTLS key store holding {@code receiving.certificate}; WebAdmin on with secure-delivery's
     * routes. Its {@code conf/} is written before it starts (see {@link #writeSmtpServer}).
     */
    static JamesUnderTest startReceiving(Path workingDirectory, Properties secureDelivery, Receiving receiving)
            throws Exception {
        return start(workingDirectory, Map.of(), secureDelivery, null, null, List.of(), "", "", "", true, receiving);
    }

    private static JamesUnderTest start(
            Path workingDirectory,
            Map<String, String> mailetParameters,
            Properties secureDelivery,
            String stockDomain,
            String stockGateway,
            List<Module> overrides,
            String relayMailets,
            String transportMailets,
            String processors,
            boolean webAdmin,
            Receiving receiving)
            throws Exception {
        Path conf = Files.createDirectories(workingDirectory.resolve("conf"));
        int smtpPort =
                receiving != null ? receiving.smtpPort : LoopbackPorts.freeTcpPort(InetAddress.getLoopbackAddress());
        // The files a local James of the distribution has (bin/james), as they are.
        for (String file : List.of(
                "domainlist.xml",
                "dnsservice.xml",
                "usersrepository.xml",
                "mailrepositorystore.xml",
                "pop3server.xml",
                "lmtpserver.xml",
                "managesieveserver.xml",
                "jmap.properties",
                "jmx.properties",
                "extensions.properties")) {
            Files.copy(
                    JamesProcess.DISTRIBUTION_CONF.resolve(file),
                    conf.resolve(file),
                    StandardCopyOption.REPLACE_EXISTING);
        }
        writeSmtpServer(conf, smtpPort, receiving == null ? SMTP_CERTIFICATE : receiving.certificate);
        if (receiving != null) {
            write(
                    conf,
                    "domainlist.xml",
                    "<domainlist>\n  <autodetect>false</autodetect>\n  <autodetectIP>false</autodetectIP>\n"
                            + "  <defaultDomain>localhost</defaultDomain>\n  <domainnames>\n    <domainname>"
                            + receiving.domain + "</domainname>\n  </domainnames>\n</domainlist>\n");
        }
        write(conf, "imapserver.xml", "<imapservers>\n  <imapserver enabled=\"false\"/>\n</imapservers>\n");
        int webAdminPort = webAdmin ? LoopbackPorts.freeTcpPort(InetAddress.getLoopbackAddress()) : -1;
        write(
                conf,
                "webadmin.properties",
                webAdmin
                        ? "enabled=true\nport=" + webAdminPort + "\nhost=127.0.0.1\nhttps.enabled=false\n"
                                + "extensions.routes=dev.securedelivery.webadmin.SecureDeliveryRoutes\n"
                        : "enabled=false\n");
        write(
                conf,
                "mailetcontainer.xml",
                mailetContainer(mailetParameters, stockDomain, stockGateway, relayMailets)
                        .replace(TRANSPORT_START, TRANSPORT_START + transportMailets)
                        .replace(PROCESSORS_END, processors + PROCESSORS_END));
        try (var out = Files.newBufferedWriter(conf.resolve("secure-delivery.properties"), StandardCharsets.UTF_8)) {
            secureDelivery.store(out, "written by JamesUnderTest");
        }

        MemoryJamesConfiguration configuration = MemoryJamesConfiguration.builder()
                .workingDirectory(workingDirectory.toFile())
                .build();
        GuiceJamesServer server = MemoryJamesServerMain.createServer(configuration)
                .combineWith(binder -> {
                    Multibinder<GuiceProbe> probes = Multibinder.newSetBinder(binder, GuiceProbe.class);
                    probes.addBinding().to(MetricsProbe.class);
                    probes.addBinding().to(MailRepositoryProbeImpl.class);
                })
                .overrideWith(overrides.toArray(new Module[0]));
        server.start();
        return new JamesUnderTest(server, smtpPort, webAdminPort);
    }

    /**
     * conf/smtpserver.xml as these tests' James has it: SMTP on 127.0.0.1:{@code smtpPort}, STARTTLS
     * with conf/keystore holding {@code certificate}, DSN and REQUIRETLS handlers.
     */
    static void writeSmtpServer(Path conf, int smtpPort, IssuedCertificate certificate) throws IOException {
        write(
                conf,
                "smtpserver.xml",
                "<smtpservers>\n  <smtpserver enabled=\"true\">\n"
                        + "    <jmxName>smtpserver</jmxName>\n"
                        + "    <bind>127.0.0.1:" + smtpPort + "</bind>\n"
                        // STARTTLS with a key store, as a server that receives REQUIRETLS must have.
                        + "    <tls socketTLS=\"false\" startTLS=\"true\">\n"
                        + "      <keystore>file://conf/keystore</keystore>\n"
                        + "      <keystoreType>PKCS12</keystoreType>\n"
                        + "      <secret>" + KEYSTORE_SECRET + "</secret>\n"
                        + "      <provider>org.bouncycastle.jce.provider.BouncyCastleProvider</provider>\n"
                        + "      <algorithm>SunX509</algorithm>\n"
                        + "    </tls>\n"
                        + "    <connectiontimeout>360</connectiontimeout>\n"
                        + "    <auth><announce>never</announce><requireSSL>false</requireSSL></auth>\n"
                        + "    <authorizedAddresses>127.0.0.0/8</authorizedAddresses>\n"
                        + "    <verifyIdentity>false</verifyIdentity>\n"
                        + "    <maxmessagesize>0</maxmessagesize>\n"
                        + "    <handlerchain>\n"
                        // DSN (RFC 3461) as James documents it, and REQUIRETLS (RFC 8689) from the extension.
                        + "      <handler class=\"org.apache.james.smtpserver.dsn.DSNEhloHook\"/>\n"
                        + "      <handler class=\"org.apache.james.smtpserver.dsn.DSNMailParameterHook\"/>\n"
                        + "      <handler class=\"org.apache.james.smtpserver.dsn.DSNRcptParameterHook\"/>\n"
                        + "      <handler class=\"org.apache.james.smtpserver.dsn.DSNMessageHook\"/>\n"
                        + "      <handler class=\"dev.securedelivery.smtpserver.RequireTlsHandler\"/>\n"
                        + "      <handler class=\"org.apache.james.smtpserver.CoreCmdHandlerLoader\"/>\n"
                        + "    </handlerchain>\n  </smtpserver>\n</smtpservers>\n");
        certificate.writePkcs12(conf.resolve("keystore"), KEYSTORE_SECRET);
    }

    private static final String TRANSPORT_START = "    <processor state=\"transport\" enableJmx=\"false\">\n";
    private static final String PROCESSORS_END = "  </processors>\n";

    // A stock-like container: relay from 127.0.0.0/8, the delivery mailet in the relay processor,
    // DSNs from the bounces processor.
    private static String mailetContainer(
            Map<String, String> parameters, String stockDomain, String stockGateway, String relayMailets) {
        String stockRoute = stockDomain == null
                ? ""
                : "      <mailet match=\"HostIs=" + stockDomain
                        + "\" class=\"ToProcessor\"><processor>relay-stock</processor></mailet>\n";
        String stockProcessor = stockDomain == null
                ? ""
                : "    <processor state=\"relay-stock\" enableJmx=\"false\">\n"
                        + "      <mailet match=\"All\" class=\"RemoteDelivery\">\n"
                        + "        <outgoing>outgoing-stock</outgoing>\n"
                        + "        <gateway>" + stockGateway.substring(0, stockGateway.lastIndexOf(':'))
                        + "</gateway>\n"
                        + "        <gatewayPort>" + stockGateway.substring(stockGateway.lastIndexOf(':') + 1)
                        + "</gatewayPort>\n"
                        + "        <startTLS>true</startTLS>\n"
                        + "        <mail.smtp.ssl.trust>*</mail.smtp.ssl.trust>\n"
                        + "        <verifyServerIdentity>false</verifyServerIdentity>\n"
                        + "        <deliveryThreads>" + parameters.getOrDefault("deliveryThreads", "1")
                        + "</deliveryThreads>\n"
                        + "        <delayTime>" + parameters.getOrDefault("delayTime", "5000") + "</delayTime>\n"
                        + "        <maxRetries>" + parameters.getOrDefault("maxRetries", "3") + "</maxRetries>\n"
                        + "        <bounceProcessor>bounces</bounceProcessor>\n"
                        + "      </mailet>\n"
                        + "    </processor>\n";
        StringBuilder mailet = new StringBuilder();
        parameters.forEach((name, value) -> mailet.append("        <")
                .append(name)
                .append('>')
                .append(value)
                .append("</")
                .append(name)
                .append(">\n"));
        return "<mailetcontainer enableJmx=\"false\">\n"
                + "  <context><postmaster>postmaster@localhost</postmaster></context>\n"
                + "  <spooler><threads>4</threads><errorRepository>memory://var/mail/error/</errorRepository></spooler>\n"
                + "  <processors>\n"
                + "    <processor state=\"root\" enableJmx=\"false\">\n"
                + "      <mailet match=\"All\" class=\"ToProcessor\"><processor>transport</processor></mailet>\n"
                + "    </processor>\n"
                + "    <processor state=\"error\" enableJmx=\"false\">\n"
                + "      <mailet match=\"All\" class=\"ToRepository\">\n"
                + "        <repositoryPath>memory://var/mail/error/</repositoryPath>\n"
                + "      </mailet>\n"
                + "    </processor>\n"
                + "    <processor state=\"transport\" enableJmx=\"false\">\n"
                // James refuses to start without it: Bcc must not leave the server.
                + "      <mailet match=\"All\" class=\"RemoveMimeHeader\"><name>bcc</name></mailet>\n"
                + "      <mailet match=\"RecipientIsLocal\" class=\"ToProcessor\"><processor>local</processor></mailet>\n"
                + stockRoute
                + "      <mailet match=\"SMTPIsAuthNetwork\" class=\"ToProcessor\"><processor>relay</processor></mailet>\n"
                + "      <mailet match=\"SentByMailet\" class=\"ToProcessor\"><processor>relay</processor></mailet>\n"
                + "      <mailet match=\"All\" class=\"ToRepository\">\n"
                + "        <repositoryPath>memory://var/mail/relay-denied/</repositoryPath>\n"
                + "      </mailet>\n"
                + "    </processor>\n"
                + "    <processor state=\"local\" enableJmx=\"false\">\n"
                + "      <mailet match=\"All\" class=\"ToRepository\">\n"
                + "        <repositoryPath>memory://var/mail/local/</repositoryPath>\n"
                + "      </mailet>\n"
                + "    </processor>\n"
                + "    <processor state=\"relay\" enableJmx=\"false\">\n"
                + relayMailets
                + "      <mailet match=\"All\" class=\"dev.securedelivery.mailet.SecureRemoteDelivery\">\n"
                + mailet
                + "      </mailet>\n"
                + "    </processor>\n"
                + stockProcessor
                + "    <processor state=\"bounces\" enableJmx=\"false\">\n"
                + "      <mailet match=\"All\" class=\"DSNBounce\"><passThrough>false</passThrough></mailet>\n"
                + "    </processor>\n"
                + "  </processors>\n"
                + "</mailetcontainer>\n";
    }

    /** WebAdmin's port on 127.0.0.1, where started with it. */
    int webAdminPort() {
        return webAdminPort;
    }

    /** Hands {@code message} to James's SMTP server, as a mail client on the allowed network would. */
    void send(MimeMessage message) throws MessagingException {
        submit(smtpPort, message);
    }

    /** Hands {@code message} to the SMTP server on 127.0.0.1:{@code port}. */
    static void submit(int port, MimeMessage message) throws MessagingException {
        Session session = Session.getInstance(clientProperties(port, false, Map.of()));
        try (Transport transport = session.getTransport("smtp")) {
            transport.connect();
            transport.sendMessage(message, message.getAllRecipients());
        }
    }

    /** The count of the counter {@code name} in James's MetricFactory. */
    long counter(String name) {
        return server.getProbe(MetricsProbe.class).count(name);
    }

    /** The mails in the repository at {@code url}, e.g. {@code memory://var/mail/error/}. */
    long mailsIn(String url) throws Exception {
        return server.getProbe(MailRepositoryProbeImpl.class).getRepositoryMailCount(MailRepositoryUrl.from(url));
    }

    /** Hands a message to James's SMTP server, as a mail client on the allowed network would. */
    void send(String from, String to, String subject, String body) throws MessagingException {
        send(from, List.of(to), subject, body);
    }

    /** Hands one message for several recipients to James's SMTP server. */
    void send(String from, List<String> to, String subject, String body) throws MessagingException {
        submit(smtpPort, from, to, subject, body);
    }

    /** Hands a message to the SMTP server on 127.0.0.1:{@code port}, as a mail client on this machine would. */
    static void submit(int port, String from, List<String> to, String subject, String body) throws MessagingException {
        submit(port, false, from, to, subject, body, Map.of(), Map.of());
    }

    /**
     * Hands a message to the SMTP server on 127.0.0.1:{@code port} as a mail client that asks for
     * more would: over STARTTLS or not, with javax.mail session properties {@code smtp}
     * ({@code mail.smtp.mailextension=REQUIRETLS}, {@code mail.smtp.dsn.notify=SUCCESS}) and extra
     * header fields ({@code TLS-Required: No}).
     */
    static void submit(
            int port,
            boolean startTls,
            String from,
            List<String> to,
            String subject,
            String body,
            Map<String, String> smtp,
            Map<String, String> headers)
            throws MessagingException {
        Session session = Session.getInstance(clientProperties(port, startTls, smtp));
        MimeMessage message = new MimeMessage(session);
        message.setFrom(new InternetAddress(from));
        for (String recipient : to) {
            message.addRecipient(Message.RecipientType.TO, new InternetAddress(recipient));
        }
        message.setSubject(subject);
        message.setText(body);
        for (Map.Entry<String, String> header : headers.entrySet()) {
            message.addHeader(header.getKey(), header.getValue());
        }
        Transport.send(message);
    }

    /** As {@link #submit(int, boolean, String, List, String, String, Map, Map)}, to this James. */
    void send(
            boolean startTls,
            String from,
            String to,
            String subject,
            String body,
            Map<String, String> smtp,
            Map<String, String> headers)
            throws MessagingException {
        submit(smtpPort, startTls, from, List.of(to), subject, body, smtp, headers);
    }

    /** Whether the SMTP server on 127.0.0.1:{@code port} lists {@code keyword} in its EHLO reply, over STARTTLS or not. */
    static boolean offers(int port, String keyword, boolean startTls) throws MessagingException {
        try (SMTPTransport transport = (SMTPTransport)
                Session.getInstance(clientProperties(port, startTls, Map.of())).getTransport("smtp")) {
            transport.connect();
            return transport.supportsExtension(keyword);
        }
    }

    boolean offers(String keyword, boolean startTls) throws MessagingException {
        return offers(smtpPort, keyword, startTls);
    }

    private static Properties clientProperties(int port, boolean startTls, Map<String, String> smtp) {
        Properties properties = new Properties();
        properties.setProperty("mail.smtp.host", "127.0.0.1");
        properties.setProperty("mail.smtp.port", String.valueOf(port));
        properties.setProperty("mail.smtp.localhost", "client.test");
        if (startTls) {
            properties.setProperty("mail.smtp.starttls.enable", "true");
            properties.setProperty("mail.smtp.starttls.required", "true");
            // James's certificate is a test one: trusted by address.
            properties.setProperty("mail.smtp.ssl.trust", "127.0.0.1");
        }
        properties.putAll(smtp);
        return properties;
    }

    /** Hands {@code count} messages to James over one SMTP connection. */
    void sendMany(String from, String to, int count) throws MessagingException {
        Properties properties = new Properties();
        properties.setProperty("mail.smtp.localhost", "client.test");
        Session session = Session.getInstance(properties);
        try (Transport transport = session.getTransport("smtp")) {
            transport.connect("127.0.0.1", smtpPort, null, null);
            for (int i = 0; i < count; i++) {
                MimeMessage message = new MimeMessage(session);
                message.setFrom(new InternetAddress(from));
                message.setRecipient(Message.RecipientType.TO, new InternetAddress(to));
                message.setSubject("message " + i);
                message.setText("Message " + i + " of " + count + ".");
                message.saveChanges();
                transport.sendMessage(message, message.getAllRecipients());
            }
        }
    }

    private static void write(Path conf, String name, String content) throws IOException {
        Files.writeString(
                conf.resolve(name),
                "<?xml version=\"1.0\"?>\n".repeat(name.endsWith(".xml") ? 1 : 0) + content,
                StandardCharsets.UTF_8);
    }

    @Override
    public void close() {
        server.stop();
    }
}
