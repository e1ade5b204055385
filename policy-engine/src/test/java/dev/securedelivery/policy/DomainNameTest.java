package dev.securedelivery.policy;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** A destination domain normalised once: lower-case A-labels, its U-label form for people. */
class DomainNameTest {
    @Test
    void namesAreComparedAsLowerCaseALabelsWithoutTheTrailingDot() {
        assertThat(DomainName.of("Example.TEST.")).isEqualTo(DomainName.of("example.test"));
        assertThat(DomainName.of("Bücher.example").asciiName()).isEqualTo("xn--bcher-kva.example");
        assertThat(DomainName.of("xn--bcher-kva.example").unicodeName()).isEqualTo("bücher.example");
        assertThat(DomainName.of("example.test").isHostName()).isTrue();
    }

    @Test
    void anAddressLiteralIsKeptButIsNoHostName() {
        DomainName literal = DomainName.of("[192.0.2.1]");

        assertThat(literal.isHostName()).isFalse();
        assertThat(literal.asciiName()).isEqualTo("[192.0.2.1]");
        assertThat(literal.unicodeName()).isEqualTo("[192.0.2.1]");
    }
}
