package dev.securedelivery.smtp;

import static org.assertj.core.api.Assertions.assertThat;

import dev.securedelivery.peertext.PeerText;
import dev.securedelivery.testing.HostileText;
import java.util.List;
import java.util.Optional;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;

/**
 * An SMTP server's reply text into values under hostile input: {@link EnhancedStatus#parse} of any
 * text finds a well-formed status or none, and {@link SmtpReply#of} of any lines keeps a status
 * whose class agrees with the code and only text fit for a log line.
 */
class SmtpReplyPropertyTest {

    @Property
    void everyTextHasAWellFormedStatusOrNone(@ForAll("replyTexts") String text) {
        checkStatus(text);
    }

    @Property
    void everyReplyKeepsAnAgreeingStatusAndCleanText(
            @ForAll("codes") int code, @ForAll("replyLines") List<String> lines, @ForAll("replyTexts") String keyword) {
        check(code, lines, keyword);
    }

    /** {@link EnhancedStatus#parse}: none, or a status of class 2, 4 or 5 that its own text parses back to. */
    static void checkStatus(String text) {
        Optional<EnhancedStatus> status = EnhancedStatus.parse(text);
        if (status.isPresent()) {
            assertThat(status.get().statusClass()).isIn(2, 4, 5);
            assertThat(status.get().subject()).isBetween(0, 999);
            assertThat(status.get().detail()).isBetween(0, 999);
            assertThat(EnhancedStatus.parse(status.get().toString())).isEqualTo(status);
            assertThat(EnhancedStatus.parse(status.get() + " " + text)).isEqualTo(status);
        }
    }

    /**
     * {@link SmtpReply#of}: any code outside 200..599 is an IllegalArgumentException; else a reply
     * whose status class agrees with the code (RFC 3463 2), whose lines and text are free of
     * control characters and at most {@link PeerText#MAX_LENGTH} long, and which answers whether it
     * offers any keyword.
     */
    static void check(int code, List<String> lines, String keyword) {
        SmtpReply reply;
        try {
            reply = SmtpReply.of(code, lines);
        } catch (IllegalArgumentException e) {
            assertThat(code < 200 || code > 599).as("refused code %d", code).isTrue();
            return;
        }
        assertThat(code).isBetween(200, 599);
        int replyClass = code / 100;
        assertThat(reply.status().statusClass()).isEqualTo(replyClass == 3 ? 2 : replyClass);
        // Exactly one class: 2xx done, 3xx intermediate (354 the only one we act on), 4xx, 5xx.
        assertThat(reply.isPositiveCompletion()).isEqualTo(replyClass == 2);
        assertThat(reply.isStartMailInput()).isEqualTo(code == 354);
        assertThat(reply.isTransientFailure()).isEqualTo(replyClass == 4);
        assertThat(reply.isPermanentFailure()).isEqualTo(replyClass == 5);
        assertThat(reply.lines()).hasSameSizeAs(lines);
        for (String line : reply.lines()) {
            HostileText.assertLogSafe("a line", line, false);
            assertThat(line.length()).isLessThanOrEqualTo(PeerText.MAX_LENGTH);
        }
        HostileText.assertLogSafe("the reply", reply.toString(), false);
        assertThat(reply.toString().length()).isLessThanOrEqualTo(PeerText.MAX_LENGTH);
        reply.offers(keyword);
    }

    @Provide
    Arbitrary<Integer> codes() {
        return Arbitraries.frequencyOf(
                Tuple.of(
                        8,
                        Arbitraries.of(
                                220, 221, 250, 251, 334, 354, 421, 450, 451, 452, 500, 501, 530, 550, 552, 553, 554)),
                Tuple.of(2, Arbitraries.integers().between(200, 599)),
                Tuple.of(1, Arbitraries.integers().between(-1, 1000)));
    }

    @Provide
    Arbitrary<String> replyTexts() {
        return HostileText.hostile(validTexts(), ".", "5.", "4.7.", "2.0.0 ", "0", "999", "1234", "\u0661", "\u0665");
    }

    @Provide
    Arbitrary<List<String>> replyLines() {
        return replyTexts().list().ofMaxSize(6);
    }

    static Arbitrary<String> validTexts() {
        Arbitrary<String> status = Combinators.combine(
                        Arbitraries.of(2, 4, 5),
                        Arbitraries.integers().between(0, 999),
                        Arbitraries.integers().between(0, 999))
                .as((c, s, d) -> c + "." + s + "." + d);
        Arbitrary<String> words = Arbitraries.of(
                "OK",
                "mx.example.test ESMTP ready",
                "Requested action taken",
                "No such user here",
                "STARTTLS",
                "SIZE 35882577",
                "8BITMIME",
                "REQUIRETLS",
                "try again later");
        return Arbitraries.oneOf(words, Combinators.combine(status, words).as((s, w) -> s + " " + w), status);
    }
}
