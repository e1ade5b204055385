package dev.securedelivery.configuration;

/** A configuration key with a value that cannot be used; the message names the key and the problem. */
public final class ConfigurationException extends Exception {
    private static final long serialVersionUID = 1L;

    private final String key;

    public ConfigurationException(String key, String problem) {
        super(key + ": " + problem);
        this.key = key;
    }

    public ConfigurationException(String key, String problem, Throwable cause) {
        super(key + ": " + problem, cause);
        this.key = key;
    }

    /** The key whose value is wrong. */
    public String key() {
        return key;
    }
}
