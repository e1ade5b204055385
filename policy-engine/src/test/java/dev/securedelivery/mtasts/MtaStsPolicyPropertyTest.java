package dev.securedelivery.mtasts;

import static org.assertj.core.api.Assertions.assertThat;

import dev.securedelivery.testing.HostileText;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * The MTA-STS policy parser under hostile input (RFC 8461 3.2): every body ends in a policy or an
 * {@link MtaStsSyntaxException}, messages and warnings are fit for a log line, a policy holds only
 * what the grammar allows, re-reads to itself from its own text and matches its own hosts; and
 * matching any MX host name, however hostile, only ever answers yes or no.
 */
class MtaStsPolicyPropertyTest {

    @Property
    void everyBodyIsAPolicyOrASyntaxError(@ForAll("bodies") String body) {
        check(body);
    }

    /** Found by everyBodyIsAPolicyOrASyntaxError: C1 controls (NEL) and bidi overrides were quoted as they came. */
    @Example
    void aSyntaxErrorQuotesC1AndFormatCharactersEscaped() {
        try {
            MtaStsPolicy.parse("\u0085version\u202e: STSv1\n");
            throw new AssertionError("parsed");
        } catch (MtaStsSyntaxException e) {
            assertThat(e.getMessage())
                    .isEqualTo("line 1: \"\\x85version\\u202e\" is not a field name"
                            + " (letters, digits, _ - . and at most 32 characters)");
        }
    }

    @Property
    void anyHostNameIsMatchedOrNot(@ForAll("policies") MtaStsPolicy policy, @ForAll("hosts") String host) {
        boolean matched = policy.matches(host);

        if (matched) {
            assertThat(policy.mxPatterns()).isNotEmpty();
        }
    }

    /**
     * What the parser promises for any body: a policy (mode, a max_age within RFC 8461 3.2's
     * limit, lower-case ASCII patterns that it matches itself, enforce and testing with at least
     * one; its text re-reads to the same policy without a warning), or a syntax error. Messages and
     * warnings are free of control characters and capped. Anything else thrown fails the caller.
     */
    static void check(String body) {
        List<String> warnings = new ArrayList<>();
        MtaStsPolicy policy;
        try {
            policy = MtaStsPolicy.parse(body, warnings);
        } catch (MtaStsSyntaxException e) {
            HostileText.assertLogSafe("the message", e.getMessage(), true);
            return;
        } finally {
            for (String warning : warnings) {
                HostileText.assertLogSafe("a warning", warning, true);
            }
        }
        assertThat(policy.mode()).isNotNull();
        assertThat(policy.maxAgeSeconds()).isBetween(0L, MtaStsPolicy.MAX_AGE_LIMIT_SECONDS);
        if (policy.mode() != MtaStsMode.NONE) {
            assertThat(policy.mxPatterns()).isNotEmpty();
        }
        for (String pattern : policy.mxPatterns()) {
            assertThat(pattern).matches("(\\*\\.)?[a-z0-9.-]+");
            String host = pattern.startsWith("*.") ? "mx7" + pattern.substring(1) : pattern;
            assertThat(policy.matches(host)).as("matches %s", host).isTrue();
            assertThat(policy.matches(host.toUpperCase(java.util.Locale.ROOT) + "."))
                    .isTrue();
        }
        List<String> again = new ArrayList<>();
        try {
            assertThat(MtaStsPolicy.parse(policy.toPolicyText(), again)).isEqualTo(policy);
        } catch (MtaStsSyntaxException e) {
            throw new AssertionError(
                    "\"" + HostileText.escaped(policy.toPolicyText()) + "\" does not re-read: " + e.getMessage(), e);
        }
        assertThat(again).isEmpty();
    }

    @Provide
    Arbitrary<String> bodies() {
        return HostileText.hostile(
                validBodies(),
                "\n",
                "\r\n",
                "mx: ",
                "mode: ",
                "max_age: ",
                "version: STSv1\n",
                ":",
                "*.",
                "xn--",
                "99999999999",
                "\r");
    }

    @Provide
    Arbitrary<MtaStsPolicy> policies() {
        return validBodies().map(body -> {
            try {
                return MtaStsPolicy.parse(body);
            } catch (MtaStsSyntaxException e) {
                throw new IllegalStateException("a valid body failed: " + body, e);
            }
        });
    }

    @Provide
    Arbitrary<String> hosts() {
        return HostileText.hostile(
                Arbitraries.oneOf(
                        host(),
                        host().map(h -> h + "."),
                        host().map(h -> "*." + h),
                        Arbitraries.of(
                                "bücher.example", "xn--bcher-kva.example", "mx.EXAMPLE.com", "192.0.2.1", ".", "")),
                ".",
                "*",
                "xn--",
                "\u3002");
    }

    private static Arbitrary<String> host() {
        Arbitrary<String> label = Arbitraries.strings()
                .alpha()
                .numeric()
                .withChars('-')
                .ofMinLength(1)
                .ofMaxLength(12)
                .filter(l -> !l.startsWith("-") && !l.endsWith("-"));
        return Combinators.combine(
                        label.list().ofMinSize(1).ofMaxSize(3),
                        Arbitraries.strings().alpha().ofMinLength(2).ofMaxLength(5))
                .as((labels, top) -> String.join(".", labels) + "." + top);
    }

    /** Bodies by the grammar: the fields in any order, LF or CRLF, spaces after the colon and at the end. */
    static Arbitrary<String> validBodies() {
        Arbitrary<String> space = Arbitraries.of("", " ", "\t", "  ");
        Arbitrary<String> pattern = Arbitraries.oneOf(host(), host().map(h -> "*." + h));
        Arbitrary<String> mode = Arbitraries.of("enforce", "testing", "none");
        Arbitrary<String> maxAge =
                Arbitraries.longs().between(0, 9_999_999_999L).map(String::valueOf);
        Arbitrary<String> extension = Combinators.combine(
                        Arbitraries.strings().alpha().ofLength(1),
                        Arbitraries.strings().alpha().numeric().withChars("_-.").ofMaxLength(20),
                        Arbitraries.strings()
                                .withCharRange(' ', '~')
                                .ofMinLength(1)
                                .ofMaxLength(20)
                                .map(String::trim)
                                .filter(value -> !value.isEmpty()))
                .as((first, rest, value) -> first + rest + ": " + value)
                .filter(line -> !line.startsWith("mx:")
                        && !line.startsWith("mode:")
                        && !line.startsWith("version:")
                        && !line.startsWith("max_age:"));
        Arbitrary<List<String>> lines = Combinators.combine(
                        mode,
                        maxAge,
                        pattern.list().ofMinSize(1).ofMaxSize(4),
                        extension.list().ofMaxSize(2))
                .as((m, age, patterns, extensions) -> {
                    List<String> all = new ArrayList<>();
                    all.add("version: STSv1");
                    all.add("mode: " + m);
                    all.add("max_age: " + age);
                    for (String p : patterns) {
                        all.add("mx: " + p);
                    }
                    all.addAll(extensions);
                    return all;
                })
                .flatMap(Arbitraries::shuffle);
        return Combinators.combine(lines, space, Arbitraries.of("\n", "\r\n"), Arbitraries.of("", "\n", "\r\n"))
                .as((list, trailing, end, last) -> {
                    StringBuilder body = new StringBuilder();
                    for (int i = 0; i < list.size(); i++) {
                        String line = list.get(i).replaceFirst(": ", ":" + trailing);
                        body.append(line).append(trailing);
                        if (i < list.size() - 1) {
                            body.append(end);
                        }
                    }
                    return body.append(last).toString();
                });
    }
}
