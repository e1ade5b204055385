/**
 * Real peers for tests: a certificate authority that issues chains with Bouncy Castle, an HTTPS
 * server on loopback, an in-JVM DNS upstream with controllable failures, and a clock tests move.
 *
 * <p>Nothing here is shipped; every module uses it at test scope only.
 */
package dev.securedelivery.testing;
