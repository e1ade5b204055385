/**
 * The one answer a delivery needs per destination domain: which MX hosts, in which order, and what
 * each connection must achieve. {@link dev.securedelivery.policy.DeliveryPolicy} combines
 * DNSSEC-aware MX resolution, DANE per MX host (RFC 7672 2.2) and MTA-STS (RFC 8461), where DANE
 * takes precedence (RFC 8461 2), then applies the administrator's per-domain overrides, and
 * explains the {@link dev.securedelivery.policy.DeliveryPlan} it reaches in one line.
 */
package dev.securedelivery.policy;
