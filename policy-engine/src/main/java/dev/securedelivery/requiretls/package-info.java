/**
 * What a message itself demands of its transport, as opposed to what its destination publishes.
 *
 * <ul>
 *   <li>SMTP Require TLS Option, RFC 8689: the {@code REQUIRETLS} MAIL FROM parameter (2, 4.1), which
 *       holds the message to authenticated TLS with servers that offer REQUIRETLS on every hop
 *       (4.2.1), and the {@code TLS-Required: No} header field (3), which asks that the
 *       destination's policy be ignored (4.2.2).
 *   <li>A minimum {@link dev.securedelivery.requiretls.SecurityLevel} an administrator's rule puts
 *       on a message ({@code tls}, {@code authenticated}, {@code dane}).
 * </ul>
 *
 * {@link dev.securedelivery.requiretls.MessageSecurity} holds all three for one message;
 * {@link dev.securedelivery.policy.DeliveryPlan#forMessage} applies it to a destination's plan, the
 * one place where the stricter of the two is chosen.
 */
package dev.securedelivery.requiretls;
