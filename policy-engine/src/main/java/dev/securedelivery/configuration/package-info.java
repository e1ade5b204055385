/**
 * The extension's configuration file: typed keys with documented defaults, and errors that name
 * the key and say what is wrong, so that a bad configuration stops James at start instead of
 * surfacing as a silent downgrade later.
 */
package dev.securedelivery.configuration;
