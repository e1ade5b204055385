package dev.securedelivery.smtp;

import static org.assertj.core.api.Assertions.assertThat;

import dev.securedelivery.peertext.PeerText;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Replies read once into values: the code decides, the enhanced status is the server's only where it agrees. */
class SmtpReplyTest {
    @Test
    void theEnhancedStatusIsReadFromTheFirstLine() {
        SmtpReply reply = SmtpReply.of(550, List.of("5.1.1 no such user"));

        assertThat(reply.status()).isEqualTo(EnhancedStatus.permanentFailure(1, 1));
        assertThat(reply.isPermanentFailure()).isTrue();
        assertThat(reply.toString()).isEqualTo("550 5.1.1 no such user");
    }

    @Test
    void aStatusWhoseClassDisagreesWithTheCodeIsReplacedByTheCodesClass() {
        // RFC 3463 2: the class of the enhanced code must agree with the reply code's.
        assertThat(SmtpReply.of(550, List.of("4.2.2 mailbox full")).status()).isEqualTo(EnhancedStatus.PERMANENT);
        assertThat(SmtpReply.of(451, List.of("try later")).status()).isEqualTo(EnhancedStatus.TRANSIENT);
        assertThat(SmtpReply.of(250, List.of("ok")).status()).isEqualTo(EnhancedStatus.DELIVERED);
    }

    @Test
    void onlyAWellFormedCodeAtTheStartIsAStatus() {
        assertThat(EnhancedStatus.parse("5.7.1 refused")).contains(EnhancedStatus.permanentFailure(7, 1));
        assertThat(EnhancedStatus.parse("4.7.30")).contains(EnhancedStatus.transientFailure(7, 30));
        assertThat(EnhancedStatus.parse("3.1.1 no")).isEmpty();
        assertThat(EnhancedStatus.parse("5.1.1234 no")).isEmpty();
        assertThat(EnhancedStatus.parse("5.1.1x")).isEmpty();
        assertThat(EnhancedStatus.parse("refused 5.1.1")).isEmpty();
        // Digits of other scripts are not digits here.
        assertThat(EnhancedStatus.parse("5.\u0661.1 no")).isEmpty();
    }

    @Test
    void peerTextLosesItsControlCharactersAndIsCapped() {
        SmtpReply reply = SmtpReply.of(250, List.of("ok\r\nInjected: header\u0000\u001b[31m", "x".repeat(2000)));

        assertThat(reply.lines().get(0)).isEqualTo("ok Injected: header [31m");
        assertThat(reply.lines().get(1)).hasSize(PeerText.MAX_LENGTH).endsWith("\u2026");
    }

    @Test
    void extensionsAreOfferedCaseInsensitivelyAndNeverByTheGreetingLine() {
        SmtpReply ehlo = SmtpReply.of(250, List.of("STARTTLS.example says hello", "8BITMIME", "starttls", "SIZE 100"));

        assertThat(ehlo.offers("STARTTLS")).isTrue();
        assertThat(ehlo.offers("REQUIRETLS")).isFalse();
        assertThat(SmtpReply.of(250, List.of("STARTTLS")).offers("STARTTLS")).isFalse();
    }
}
