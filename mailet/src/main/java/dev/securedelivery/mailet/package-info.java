/**
 * The delivery mailet for James 3.8.1 ({@link dev.securedelivery.mailet.SecureRemoteDelivery}), a
 * replacement for RemoteDelivery that delivers every message exactly as securely as its
 * destination asks (MTA-STS, DANE, local overrides) and never less, and the Guice module
 * ({@link dev.securedelivery.mailet.SecureDeliveryModule}) that builds the shared engine from
 * {@code conf/secure-delivery.properties}.
 */
package dev.securedelivery.mailet;
