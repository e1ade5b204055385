package dev.securedelivery.delivery;

import java.time.Duration;
import java.util.Objects;

/**
 * How much one delivery of one message may try, whatever the destination's DNS names: whoever controls
 * a recipient domain chooses its MX hosts and their addresses, and 100 MX hosts of 50 black-holed
 * addresses each would otherwise hold a delivery thread for days.
 *
 * <ul>
 *   <li>{@code addressLimit}: the most MX host addresses connected to (Postfix's
 *       {@code smtp_mx_address_limit}, default 5 there and here);</li>
 *   <li>{@code sessionLimit}: the most sessions in which a server greeted us (Postfix's
 *       {@code smtp_mx_session_limit}, default 2 there and here): addresses that did not answer do not
 *       count, servers that answered and took nothing do;</li>
 *   <li>{@code timeBudget}: no connection is begun once this much time has passed since the delivery
 *       began, and a session running then ends at the budget (default 15 minutes: five unanswered
 *       connections at James's 60 s connect timeout fit in it twice, one slow but working session too).</li>
 * </ul>
 * Recipients left when a limit is reached are deferred, as if the hosts not tried had not answered:
 * the next attempt starts again from the most preferred host (RFC 5321 5.1).
 */
public final class DeliveryLimits {
    public static final DeliveryLimits DEFAULT = new DeliveryLimits(5, 2, Duration.ofMinutes(15));

    private final int addressLimit;
    private final int sessionLimit;
    private final Duration timeBudget;

    private DeliveryLimits(int addressLimit, int sessionLimit, Duration timeBudget) {
        if (addressLimit < 1 || sessionLimit < 1) {
            throw new IllegalArgumentException("a delivery must be allowed at least one address and one session, got "
                    + addressLimit + " and " + sessionLimit);
        }
        Objects.requireNonNull(timeBudget, "timeBudget");
        if (timeBudget.isNegative() || timeBudget.isZero()) {
            throw new IllegalArgumentException("the time budget must be positive, got " + timeBudget);
        }
        this.addressLimit = addressLimit;
        this.sessionLimit = sessionLimit;
        this.timeBudget = timeBudget;
    }

    public static DeliveryLimits of(int addressLimit, int sessionLimit, Duration timeBudget) {
        return new DeliveryLimits(addressLimit, sessionLimit, timeBudget);
    }

    public int addressLimit() {
        return addressLimit;
    }

    public int sessionLimit() {
        return sessionLimit;
    }

    public Duration timeBudget() {
        return timeBudget;
    }

    @Override
    public String toString() {
        return "at most " + addressLimit + " addresses, " + sessionLimit + " sessions, " + timeBudget.toSeconds()
                + " s";
    }
}
