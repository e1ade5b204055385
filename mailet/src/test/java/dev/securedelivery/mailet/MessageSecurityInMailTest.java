package dev.securedelivery.mailet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.common.collect.ImmutableMap;
import dev.securedelivery.policy.TlsRequirement;
import dev.securedelivery.requiretls.SecurityLevel;
import dev.securedelivery.smtp.DeliveryAttempts;
import dev.securedelivery.smtp.PeerAuthentication;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import javax.mail.MessagingException;
import javax.mail.internet.MimeMessage;
import javax.mail.internet.MimeMultipart;
import org.apache.james.core.MailAddress;
import org.apache.james.core.MaybeSender;
import org.apache.james.core.builder.MimeMessageBuilder;
import org.apache.mailet.Attribute;
import org.apache.mailet.AttributeValue;
import org.apache.mailet.DsnParameters;
import org.apache.mailet.Mail;
import org.apache.mailet.base.test.FakeMail;
import org.apache.mailet.base.test.FakeMailetConfig;
import org.junit.jupiter.api.Test;

/**
 * How a message's demands travel through James (attributes, the TLS-Required header), the
 * RequireTransportSecurity mailet, the bounce of a REQUIRETLS message, and the success notice.
 */
class MessageSecurityInMailTest {
    private static final String BODY = "the body, not for a bounce";

    private static FakeMail mail(String sender, Attribute... attributes) throws MessagingException {
        FakeMail.Builder builder = FakeMail.builder()
                .name("mail")
                .recipient("user@example.test")
                .mimeMessage(MimeMessageBuilder.mimeMessageBuilder()
                        .setSubject("the subject")
                        .setText(BODY)
                        .addHeader("Message-ID", "<original@sender.test>"));
        builder = sender == null ? builder.sender(MaybeSender.nullSender()) : builder.sender(sender);
        for (Attribute attribute : attributes) {
            builder = builder.attribute(attribute);
        }
        return builder.build();
    }

    private static RequireTransportSecurity mailet(String level) throws MessagingException {
        RequireTransportSecurity mailet = new RequireTransportSecurity();
        FakeMailetConfig.Builder config = FakeMailetConfig.builder().mailetName("RequireTransportSecurity");
        if (level != null) {
            config.setProperty("level", level);
        }
        mailet.init(config.build());
        return mailet;
    }

    @Test
    void theMailetRefusesAMissingOrUnknownLevelAtStart() {
        assertThatThrownBy(() -> mailet(null))
                .isInstanceOf(MessagingException.class)
                .hasMessageContaining("level parameter is required");
        assertThatThrownBy(() -> mailet("pkix"))
                .isInstanceOf(MessagingException.class)
                .hasMessageContaining("level must be tls, authenticated or dane, got \"pkix\"");
    }

    @Test
    void whereSeveralRulesMatchTheStrictestLevelHolds() throws Exception {
        FakeMail mail = mail("sender@sender.test");

        mailet("dane").service(mail);
        mailet("tls").service(mail);

        assertThat(MessageSecurityAttributes.of(mail).level()).contains(SecurityLevel.DANE);
        assertThat(mail.getAttribute(MessageSecurityAttributes.MINIMUM_LEVEL)
                        .map(Attribute::getValue)
                        .map(value -> (Object) value.value()))
                .contains("dane");
    }

    @Test
    void aLevelNoOneCanReadIsTheStrictestNeverNone() throws Exception {
        FakeMail mail = mail(
                "sender@sender.test",
                new Attribute(MessageSecurityAttributes.MINIMUM_LEVEL, AttributeValue.of("very-secure")));

        assertThat(MessageSecurityAttributes.of(mail).level()).contains(SecurityLevel.DANE);
    }

    @Test
    void requireTlsIsReadFromTheHandlersBooleanAndFromSetMailAttributesString() throws Exception {
        assertThat(MessageSecurityAttributes.of(mail(
                                "sender@sender.test",
                                new Attribute(MessageSecurityAttributes.REQUIRETLS, AttributeValue.of(true))))
                        .requireTls())
                .isTrue();
        assertThat(MessageSecurityAttributes.of(mail(
                                "sender@sender.test",
                                new Attribute(MessageSecurityAttributes.REQUIRETLS, AttributeValue.of("true"))))
                        .requireTls())
                .isTrue();
        assertThat(MessageSecurityAttributes.of(mail(
                                "sender@sender.test",
                                new Attribute(MessageSecurityAttributes.REQUIRETLS, AttributeValue.of("no"))))
                        .requireTls())
                .isFalse();
    }

    @Test
    void mailFromTheNullReversePathTaggedRequireTlsIsHeldToIt() throws Exception {
        // RFC 8689 4.1: MAIL FROM:<> REQUIRETLS is tagged, and the tag is honoured like any other.
        FakeMail tagged = mail(null, new Attribute(MessageSecurityAttributes.REQUIRETLS, AttributeValue.of(true)));
        FakeMail untagged = mail(null);

        assertThat(MessageSecurityAttributes.of(tagged).requireTls()).isTrue();
        assertThat(MessageSecurityAttributes.of(tagged).level()).contains(SecurityLevel.AUTHENTICATED);
        assertThat(MessageSecurityAttributes.of(untagged).requireTls()).isFalse();
    }

    @Test
    void tlsRequiredNoIsReadFromTheHeaderAndIgnoredUnderRequireTls() throws Exception {
        FakeMail optional = mail("sender@sender.test");
        optional.getMessage().setHeader("TLS-Required", "No");
        FakeMail both = mail(
                "sender@sender.test", new Attribute(MessageSecurityAttributes.REQUIRETLS, AttributeValue.of(true)));
        both.getMessage().setHeader("TLS-Required", "No");

        assertThat(MessageSecurityAttributes.of(optional).tlsOptional()).isTrue();
        // RFC 8689 4.1: with the REQUIRETLS parameter, the header field is ignored.
        assertThat(MessageSecurityAttributes.of(both).tlsOptional()).isFalse();
        assertThat(MessageSecurityAttributes.of(both).requireTls()).isTrue();
    }

    @Test
    void theBounceOfARequireTlsMessageKeepsTheHeaderLosesTheBodyAndTheTags() throws Exception {
        FakeMail mail = mail(
                "sender@sender.test",
                new Attribute(MessageSecurityAttributes.REQUIRETLS, AttributeValue.of(true)),
                new Attribute(MessageSecurityAttributes.MINIMUM_LEVEL, AttributeValue.of("dane")));

        MailFates.redactForBounce(mail);

        String bounced = text(mail.getMessage());
        assertThat(bounced)
                .contains("Subject: the subject")
                .contains("Message-ID: <original@sender.test>")
                .doesNotContain(BODY);
        assertThat(mail.getAttribute(MessageSecurityAttributes.REQUIRETLS)).isEmpty();
        assertThat(mail.getAttribute(MessageSecurityAttributes.MINIMUM_LEVEL)).isEmpty();
    }

    @Test
    void theBounceOfAMessageWithOnlyALevelKeepsItsBodyButNotTheLevel() throws Exception {
        FakeMail mail = mail(
                "sender@sender.test",
                new Attribute(MessageSecurityAttributes.MINIMUM_LEVEL, AttributeValue.of("authenticated")));

        MailFates.redactForBounce(mail);

        assertThat(text(mail.getMessage())).contains(BODY);
        assertThat(mail.getAttribute(MessageSecurityAttributes.MINIMUM_LEVEL)).isEmpty();
    }

    @Test
    void aSuccessNoticeGoesOnlyForTheRecipientsThatAskedForOne() throws Exception {
        MailAddress asked = new MailAddress("asked@example.test");
        MailAddress silent = new MailAddress("silent@example.test");
        FakeMail mail = mail("sender@sender.test");
        mail.setDsnParameters(DsnParameters.of(
                        Optional.empty(),
                        Optional.empty(),
                        ImmutableMap.of(
                                asked,
                                        DsnParameters.RecipientDsnParameters.of(
                                                EnumSet.of(DsnParameters.Notify.SUCCESS)),
                                silent,
                                        DsnParameters.RecipientDsnParameters.of(
                                                EnumSet.of(DsnParameters.Notify.FAILURE))))
                .orElseThrow());

        assertThat(SuccessNotification.requestedBy(mail, List.of(asked, silent)))
                .containsExactly(asked);
        assertThat(SuccessNotification.requestedBy(mail(null), List.of(asked))).isEmpty();
    }

    @Test
    void theSuccessNoticeIsADeliveryStatusReportWithTheTraceAndTheHeaderOnly() throws Exception {
        Mail mail = mail("sender@sender.test");
        MimeMessage notice = SuccessNotification.build(
                mail.getMessage(),
                new MailAddress("sender@sender.test"),
                List.of(new MailAddress("user@example.test")),
                DeliveryAttempts.delivered(
                        "mx.example.test", TlsRequirement.DANE, PeerAuthentication.DANE_EE, "3 1 1 abcd"),
                "james.sender.test",
                Instant.parse("2026-11-22T10:00:00Z"));

        assertThat(notice.getContentType()).startsWith("multipart/report").contains("delivery-status");
        MimeMultipart parts = (MimeMultipart) notice.getContent();
        assertThat(parts.getCount()).isEqualTo(3);
        assertThat(parts.getBodyPart(1).getContentType()).startsWith("message/delivery-status");
        assertThat(parts.getBodyPart(2).getContentType()).startsWith("text/rfc822-headers");
        String text = text(notice);
        assertThat(text)
                .contains("Reporting-MTA: dns; james.sender.test")
                .contains("Final-Recipient: rfc822; user@example.test")
                .contains("Action: relayed")
                .contains("Status: 2.0.0")
                .contains("Remote-MTA: dns; mx.example.test")
                .contains("X-Secure-Delivery-Trace: mx=mx.example.test; ip=127.0.0.1; requirement=dane;"
                        + " tls=TLSv1.3; cipher=TLS_AES_128_GCM_SHA256; authentication=DANE-EE 3 1 1 abcd")
                .contains("Subject: the subject")
                .doesNotContain(BODY);
        assertThat(notice.getHeader("To")).containsExactly("sender@sender.test");
    }

    private static String text(MimeMessage message) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        message.writeTo(out);
        return out.toString(StandardCharsets.UTF_8);
    }
}
