package dev.securedelivery.configuration;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;

/**
 * The files and directories the configuration's keys name, checked so that the error says which
 * path is wrong and how (missing, a directory where a file must be, not writable), not just the
 * JDK's exception.
 */
final class ConfiguredFiles {
    /** The largest file a key may name (trust anchors, a CA bundle: some hundred kilobytes at most). */
    static final int MAX_BYTES = 4 * 1024 * 1024;

    private ConfiguredFiles() {}

    /** The bytes of the file {@code key} names; {@code configuration} is where the key was read (null: none). */
    static byte[] read(Path configuration, String key, Path file) throws ConfigurationException {
        if (Files.isDirectory(file)) {
            throw new ConfigurationException(
                    configuration, key, "expected a file, and " + file + " is a directory", null);
        }
        try (InputStream in = Files.newInputStream(file)) {
            byte[] bytes = in.readNBytes(MAX_BYTES + 1);
            if (bytes.length > MAX_BYTES) {
                throw new ConfigurationException(
                        configuration, key, file + " is larger than " + MAX_BYTES + " bytes", null);
            }
            return bytes;
        } catch (IOException e) {
            throw new ConfigurationException(configuration, key, "cannot read " + file + ": " + describe(e), e);
        }
    }

    /**
     * Makes sure the directory {@code key} names exists (creating it and its parents) and is
     * writable.
     */
    static void prepareDirectory(Path configuration, String key, Path directory) throws ConfigurationException {
        for (Path path = directory; path != null; path = path.getParent()) {
            if (Files.exists(path) && !Files.isDirectory(path)) {
                throw new ConfigurationException(
                        configuration,
                        key,
                        "expected a directory, and " + path
                                + (path.equals(directory) ? "" : " (on the way to " + directory + ")") + " is a file",
                        null);
            }
        }
        try {
            Files.createDirectories(directory);
        } catch (IOException e) {
            throw new ConfigurationException(
                    configuration, key, "cannot create the directory " + directory + ": " + describe(e), e);
        }
        if (!Files.isWritable(directory)) {
            throw new ConfigurationException(
                    configuration, key, "the directory " + directory + " is not writable", null);
        }
    }

    /** The message of the deepest cause that has one: the parser's words, without its wrappers' class names. */
    static String innermostMessage(Throwable failure) {
        String message = failure.getClass().getSimpleName();
        Throwable cause = failure;
        // Bounded: a cause chain may loop.
        for (int depth = 0; cause != null && depth < 10; depth++, cause = cause.getCause()) {
            if (cause.getMessage() != null) {
                message = cause.getMessage();
            }
        }
        return message;
    }

    /** What went wrong, without the stack or the exception's class: for an operator. */
    static String describe(IOException e) {
        if (e instanceof NoSuchFileException) {
            return "no such file or directory";
        }
        if (e instanceof AccessDeniedException) {
            return "permission denied";
        }
        if (e instanceof NotDirectoryException) {
            return "not a directory";
        }
        if (e instanceof FileSystemException && ((FileSystemException) e).getReason() != null) {
            return ((FileSystemException) e).getReason();
        }
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }
}
