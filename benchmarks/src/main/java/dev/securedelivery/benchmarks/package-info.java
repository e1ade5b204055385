/**
 * JMH benchmarks of the engine's hot paths, against the same loopback peers the tests use: an
 * in-JVM DNS upstream and a real HTTPS policy host. docs/benchmarks.md gives the commands and the results.
 */
package dev.securedelivery.benchmarks;
