package dev.securedelivery.mtasts;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The policies kept on disk stay within their bound in bytes, however many domains are fetched. */
class PolicyStoreTest {
    private static final long MIB = 1024 * 1024;

    @TempDir
    Path directory;

    @Test
    void theFilesFetchedLongestAgoGoOnceTheBoundIsReached() throws IOException {
        PolicyStore store = new PolicyStore(directory, MIB);
        // A 60 KiB policy, fifteen 4 KiB blocks on disk: about seventeen fit in 1 MiB.
        StringBuilder policy = new StringBuilder("version: STSv1\nmode: enforce\nmax_age: 86400\n");
        for (int i = 0; policy.length() < 60 * 1024; i++) {
            policy.append("mx: mx").append(i).append(".example.test\n");
        }
        for (int i = 0; i < 100; i++) {
            store.save("domain" + i + ".test", "1", System.currentTimeMillis(), policy.toString());
        }

        assertThat(store.bytes()).isLessThanOrEqualTo(MIB);
        assertThat(onDisk()).isLessThanOrEqualTo(MIB);
        assertThat(store.load("domain99.test")).isNotNull();
        assertThat(store.load("domain0.test")).isNull();
    }

    @Test
    void aDirectoryOverTheBoundAtStartIsBroughtUnderIt() throws IOException {
        PolicyStore large = new PolicyStore(directory, 16 * MIB);
        for (int i = 0; i < 600; i++) {
            large.save(
                    "domain" + i + ".test",
                    "1",
                    System.currentTimeMillis(),
                    "version: STSv1\nmode: testing\nmx: mx.example.test\nmax_age: 86400\n");
        }
        assertThat(large.bytes()).isEqualTo(600 * 4096L);

        PolicyStore small = new PolicyStore(directory, MIB);

        assertThat(small.bytes()).isLessThanOrEqualTo(MIB);
        assertThat(onDisk()).isLessThanOrEqualTo(MIB);
    }

    // What the files take, counted as the store counts them: whole 4 KiB blocks.
    private long onDisk() throws IOException {
        try (Stream<Path> files = Files.list(directory)) {
            return files.filter(Files::isRegularFile)
                    .mapToLong(file -> {
                        try {
                            return (Files.size(file) + 4095) / 4096 * 4096;
                        } catch (IOException e) {
                            throw new IllegalStateException(e);
                        }
                    })
                    .sum();
        }
    }
}
