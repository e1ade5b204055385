/**
 * The extension's configuration file: typed keys with documented defaults and ranges, read strictly
 * ({@link dev.securedelivery.configuration.ConfigurationFile}), and errors that say where (file,
 * key or line) and what is wrong in one line ({@link dev.securedelivery.configuration.ConfigurationException}),
 * so that a bad configuration stops James at start instead of surfacing as a silent downgrade later.
 */
package dev.securedelivery.configuration;
