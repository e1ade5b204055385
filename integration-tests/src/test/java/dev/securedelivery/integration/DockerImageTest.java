package dev.securedelivery.integration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.ComposeContainer;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.images.builder.ImageFromDockerfile;

/**
 * {@code james-conf/Dockerfile} and {@code james-conf/docker-compose.yml}: James 3.8.1's image with
 * the extension starts (and {@code james39/Dockerfile}: James 3.9.0's image with the 3.9 jar), loads the module and the mailet, and answers on SMTP and WebAdmin. Needs a
 * Docker engine: where there is none (our CI machines), the tests are skipped and say why.
 */
class DockerImageTest {
    private static final Path REPOSITORY = JamesProcess.REPOSITORY;
    private static final Duration START = Duration.ofMinutes(3);

    @BeforeEach
    void needsDocker() {
        boolean docker;
        try {
            docker = DockerClientFactory.instance().isDockerAvailable();
        } catch (RuntimeException e) {
            docker = false;
        }
        String reason = "Skipped: no Docker engine reachable here (Testcontainers found none), so the image"
                + " built from james-conf/Dockerfile cannot be run; JamesProcessTest runs the same jar and"
                + " configuration layout as a plain process.";
        if (!docker) {
            // Printed on the build's console as well: surefire keeps an assumption's message in its
            // report files only, and redirects System.err to them.
            new PrintStream(new FileOutputStream(FileDescriptor.err), true, StandardCharsets.UTF_8)
                    .println(DockerImageTest.class.getSimpleName() + " " + reason);
        }
        assumeTrue(docker, reason);
    }

    @Test
    void theImageStartsJamesWithTheExtension() throws Exception {
        startsJamesWithTheExtension("james-conf/Dockerfile", "james-conf/target/secure-delivery-james-extension.jar");
    }

    @Test
    void theJames39ImageStartsJames39WithItsJar() throws Exception {
        startsJamesWithTheExtension("james39/Dockerfile", "james39/target/secure-delivery-james39-extension.jar");
    }

    private static void startsJamesWithTheExtension(String dockerfile, String jar) throws Exception {
        ImageFromDockerfile image = new ImageFromDockerfile("secure-delivery/james-test", false)
                // The build context as docker build sees it from the repository root.
                .withFileFromPath("Dockerfile", REPOSITORY.resolve(dockerfile))
                .withFileFromPath(jar, REPOSITORY.resolve(jar))
                .withFileFromPath("james-conf/src/main/conf", REPOSITORY.resolve("james-conf/src/main/conf"));
        try (GenericContainer<?> james = new GenericContainer<>(image)
                .withExposedPorts(25, 8000)
                .waitingFor(Wait.forLogMessage(".*JAMES server started.*", 1).withStartupTimeout(START))) {
            james.start();

            assertThat(james.getLogs())
                    .contains("Loading custom classpath resource /root/extensions-jars/"
                            + Path.of(jar).getFileName())
                    .contains("Mailet dev.securedelivery.mailet.SecureRemoteDelivery instantiated");
            assertThat(healthCheck(james.getHost(), james.getMappedPort(8000))).isEqualTo(200);
        }
    }

    @Test
    void composeStartsTheSameImage() throws Exception {
        File compose = REPOSITORY.resolve("james-conf/docker-compose.yml").toFile();
        try (ComposeContainer environment = new ComposeContainer(compose)
                .withBuild(true)
                .withExposedService(
                        "james",
                        8000,
                        Wait.forLogMessage(".*JAMES server started.*", 1).withStartupTimeout(START))) {
            environment.start();

            assertThat(healthCheck(
                            environment.getServiceHost("james", 8000), environment.getServicePort("james", 8000)))
                    .isEqualTo(200);
        }
    }

    private static int healthCheck(String host, int port) throws Exception {
        HttpResponse<String> response = HttpClient.newHttpClient()
                .send(
                        HttpRequest.newBuilder(URI.create("http://" + host + ":" + port + "/healthcheck"))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
        return response.statusCode();
    }
}
