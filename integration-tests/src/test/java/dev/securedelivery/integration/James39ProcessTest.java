package dev.securedelivery.integration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.securedelivery.testing.StartTlsStrippingProxy;
import dev.securedelivery.testing.TestSmtpServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real James 3.9.0 (Jakarta Mail, Guice 7, Java 21) running the James 3.9 extension jar from
 * {@code extensions-jars/}, through the deliveries {@link JamesProcessTest} makes with James 3.8.1:
 * DANE, MTA-STS, an MTA-STS destination behind an attacker stripping STARTTLS, and REQUIRETLS
 * received and passed on. Needs a local James 3.9.0 build ({@link James39Build}); skipped, saying
 * why, where there is none, as in CI.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@ExtendWith(James39Build.Required.class)
class James39ProcessTest {
    private static final Duration START = Duration.ofSeconds(90);
    private static final String SECRET = "the-secret-body-";
    private static final Path JAR = Path.of(System.getProperty("secure-delivery.james39-jar"));

    private final Destinations world = new Destinations();
    private StartTlsStrippingProxy strippingProxy;
    private JamesProcess james;

    @BeforeAll
    void start(@TempDir Path directory) throws Exception {
        James39Build build = James39Build.local().orElseThrow();
        // Made at package: under mvn test the path names the module's classes directory.
        assertThat(JAR).as("the James 3.9 jar (run mvn verify, not mvn test)").isRegularFile();

        ProcessDeliveries.destinations(world);
        TestSmtpServer behindProxy = world.server("mx.stripped.test", world.ca().issue("mx.stripped.test"));
        strippingProxy = world.proxyFor(
                "mx.stripped.test",
                world.zone("stripped.test", true),
                behindProxy,
                StartTlsStrippingProxy.Variant.HIDE);
        world.enforce("stripped.test", "1", "mx.stripped.test");
        world.start();
        james = JamesProcess.launchJames39(
                        directory.resolve("james"), world.configuration(directory), world.smtpPort(), build, JAR)
                .awaitStarted(START);
    }

    @AfterAll
    void stop() throws Exception {
        if (james != null) {
            james.close();
        }
        world.close();
    }

    @Test
    void theJames39JarIsLoadedFromExtensionsJars() throws Exception {
        assertThat(james.output())
                .contains("extensions-jars/secure-delivery-james39-extension.jar")
                .contains("Loading WebAdmin route extension dev.securedelivery.webadmin.SecureDeliveryRoutes")
                .contains("SecureRemoteDelivery: ");
        // A WebAdmin route of the jar, answering through James 3.9's WebAdmin.
        HttpResponse<String> plan = HttpClient.newHttpClient()
                .send(
                        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + james.webAdminPort()
                                        + "/secure-delivery/plans/pinned.test"))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
        assertThat(plan.statusCode()).isEqualTo(200);
        JsonNode host = new ObjectMapper().readTree(plan.body()).get("hosts").get(0);
        assertThat(host.get("host").asText()).isEqualTo("mx.pinned.test");
        assertThat(host.get("requirement").asText()).isEqualTo("dane");
    }

    @Test
    void deliversToADaneDestinationWithDane() throws Exception {
        ProcessDeliveries.deliversWithDane(james, world);
    }

    @Test
    void deliversToAnMtaStsDestinationWithPkix() throws Exception {
        ProcessDeliveries.deliversWithPkixUnderMtaSts(james, world);
    }

    @Test
    void anMtaStsDestinationWhoseStartTlsIsStrippedGetsNothing() throws Exception {
        james.send(Destinations.SENDER, "user@stripped.test", "stripped", SECRET + "stripped");

        // RFC 8461 5: no STARTTLS, no delivery; the message waits for its next attempt.
        await().atMost(Duration.ofSeconds(60))
                .until(() -> james.output()
                        .lines()
                        .anyMatch(line -> line.contains("stripped.test") && line.contains("deferred")));
        assertThat(world.server("mx.stripped.test").received()).isEmpty();
        assertThat(strippingProxy.seenFromClients()).doesNotContain(SECRET).doesNotContain("RCPT TO");
    }

    @Test
    void receivesRequireTlsOverStartTlsAndDeliversItWithTheParameter() throws Exception {
        ProcessDeliveries.receivesRequireTlsAndPassesItOn(james, world);
    }
}
