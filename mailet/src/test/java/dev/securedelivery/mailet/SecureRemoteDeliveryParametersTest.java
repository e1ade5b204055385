package dev.securedelivery.mailet;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import javax.mail.MessagingException;
import org.apache.mailet.base.test.FakeMailContext;
import org.apache.mailet.base.test.FakeMailetConfig;
import org.junit.jupiter.api.Test;

/**
 * RemoteDelivery's parameters that mean nothing here are refused at start with a message saying
 * why, never ignored; {@code bind} takes an address literal of this host only; the session reuse
 * parameters take what their names say.
 */
class SecureRemoteDeliveryParametersTest {
    @Test
    void theGatewayParametersAreRefused() {
        assertThatThrownBy(() -> init("gateway", "smarthost.example"))
                .isInstanceOf(MessagingException.class)
                .hasMessageContaining("gateway parameters are not supported");
        assertThatThrownBy(() -> init("gatewayPort", "587"))
                .isInstanceOf(MessagingException.class)
                .hasMessageContaining("gateway parameters are not supported");
    }

    @Test
    void startTlsOffAndImplicitTlsAreRefused() {
        assertThatThrownBy(() -> init("startTLS", "false"))
                .isInstanceOf(MessagingException.class)
                .hasMessageContaining("startTLS=false is not supported")
                .hasMessageContaining("tls-policy.<domain>=none");
        assertThatThrownBy(() -> init("sslEnable", "true"))
                .isInstanceOf(MessagingException.class)
                .hasMessageContaining("sslEnable=true");
    }

    @Test
    void james39sTrustAllCertificatesIsRefused() {
        assertThatThrownBy(() -> init("sslTrustAllCerts", "true"))
                .isInstanceOf(MessagingException.class)
                .hasMessageContaining("sslTrustAllCerts=true is not supported");
    }

    @Test
    void bindTakesOnlyAnAddressOfThisHost() {
        // A word of hex digits is no address: the JVM would look it up as a name.
        assertThatThrownBy(() -> init("bind", "cafe"))
                .isInstanceOf(MessagingException.class)
                .hasMessageContaining("bind must be an IP address of this host");
        assertThatThrownBy(() -> init("bind", "mail.example.com"))
                .isInstanceOf(MessagingException.class)
                .hasMessageContaining("bind must be an IP address of this host");
        // TEST-NET-1 (RFC 5737) is on no interface here.
        assertThatThrownBy(() -> init("bind", "192.0.2.1"))
                .isInstanceOf(MessagingException.class)
                .hasMessageContaining("is not an address of this host");
    }

    @Test
    void sessionReuseParametersMustBeMeaningful() {
        assertThatThrownBy(() -> init("sessionReuse", "sometimes"))
                .isInstanceOf(MessagingException.class)
                .hasMessageContaining("sessionReuse must be true or false");
        assertThatThrownBy(() -> init("sessionMaxMessages", "0"))
                .isInstanceOf(MessagingException.class)
                .hasMessageContaining("sessionMaxMessages must be a positive whole number");
        assertThatThrownBy(() -> init("sessionIdleSeconds", "-1"))
                .isInstanceOf(MessagingException.class)
                .hasMessageContaining("sessionIdleSeconds must be a positive whole number");
        assertThatThrownBy(() -> init("sessionMaxIdle", "many"))
                .isInstanceOf(MessagingException.class)
                .hasMessageContaining("sessionMaxIdle must be a positive whole number");
    }

    @Test
    void planAheadMustBeAPositiveNumberOfMessages() {
        assertThatThrownBy(() -> init("planAhead", "0"))
                .isInstanceOf(MessagingException.class)
                .hasMessageContaining("planAhead must be a positive whole number, got \"0\"");
    }

    // Refusals come before anything is built: no engine, queue or metrics are needed to see them.
    private static void init(String parameter, String value) throws MessagingException {
        SecureRemoteDelivery mailet = new SecureRemoteDelivery(null, null, null, null, null);
        mailet.init(FakeMailetConfig.builder()
                .mailetName("SecureRemoteDelivery")
                .mailetContext(FakeMailContext.defaultContext())
                .setProperty("heloName", "relay.example")
                .setProperty(parameter, value)
                .build());
    }
}
