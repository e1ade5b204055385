package dev.securedelivery.mailet;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.File;
import java.io.FileNotFoundException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.james.filesystem.api.FileSystem;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SecureDeliveryModuleTest {
    @TempDir
    Path james;

    @Test
    void aBadValueStopsTheStartWithOneLineNamingTheFileAndTheKey() throws Exception {
        write("dns.timeout = 5s\nmta-sts.refresh-interval = 1000000000000d\n".getBytes(StandardCharsets.UTF_8));

        assertThatThrownBy(this::startEngine)
                .isInstanceOf(IllegalStateException.class)
                .hasNoCause()
                .hasMessage("secure-delivery: bad configuration in conf/secure-delivery.properties:"
                        + " mta-sts.refresh-interval: expected a duration from 1ms to 366d, got \"1000000000000d\"");
    }

    @Test
    void aFileThatIsNotUtf8NamesItsLine() throws Exception {
        write("tls-reports.organization-name = Soci\u00e9t\u00e9\n".getBytes(StandardCharsets.ISO_8859_1));

        assertThatThrownBy(this::startEngine)
                .hasMessage("secure-delivery: bad configuration in conf/secure-delivery.properties: line 1: not UTF-8:"
                        + " byte 37 of the line (0xE9) begins no valid UTF-8 character; save the file as UTF-8");
    }

    @Test
    void aReportDirectoryThatIsAFileIsNamedWithTheFile() throws Exception {
        Files.writeString(james.resolve("reports"), "");
        write(("tls-reports.enabled = true\ntls-reports.organization-name = Example Inc.\n"
                        + "tls-reports.contact-info = tlsrpt@example.com\ntls-reports.sender = tlsrpt@example.com\n"
                        + "tls-reports.directory = reports\n")
                .getBytes(StandardCharsets.UTF_8));

        assertThatThrownBy(this::startEngine)
                .hasMessage("secure-delivery: bad configuration in conf/secure-delivery.properties:"
                        + " tls-reports.directory: expected a directory, and " + james.resolve("reports")
                        + " is a file");
    }

    private void write(byte[] content) throws Exception {
        Files.write(Files.createDirectories(james.resolve("conf")).resolve("secure-delivery.properties"), content);
    }

    // The configuration fails before the metrics, the domain list or the mailet context are used.
    private void startEngine() throws Exception {
        SecureDeliveryModule module = new SecureDeliveryModule();
        JamesFiles files = new JamesFiles(james);
        module.engine(files, module.configuration(files), null, null, null, null)
                .close();
    }

    /** James's file system as its file:// URLs see it: relative to the working directory. */
    private static final class JamesFiles implements FileSystem {
        private final Path base;

        JamesFiles(Path base) {
            this.base = base;
        }

        @Override
        public InputStream getResource(String url) throws FileNotFoundException {
            throw new FileNotFoundException(url);
        }

        @Override
        public File getFile(String fileURL) {
            return base.resolve(fileURL.substring("file://".length())).toFile();
        }

        @Override
        public File getBasedir() {
            return base.toFile();
        }
    }
}
