package dev.securedelivery.integration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.securedelivery.testing.PostgresServer;
import dev.securedelivery.testing.RabbitMqServer;
import dev.securedelivery.testing.StartTlsStrippingProxy;
import dev.securedelivery.testing.TestSmtpServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two nodes of James 3.9.0's clustered server, postgres-app, on one PostgreSQL and one RabbitMQ of
 * Debian's, both with the James 3.9 extension jar and the shared store in James's own database. The
 * mail queue is RabbitMQ's, which drops delays: a message submitted to the first node to a
 * destination that defers is retried on schedule by whichever node takes it, and delivered once when
 * the destination recovers; DANE, MTA-STS (an attacker stripping STARTTLS included) and REQUIRETLS hold
 * on both nodes; posture and TLS-RPT counts are the cluster's on either node. Needs a local
 * postgres-app build ({@link PostgresApp39}); skipped, saying why, where there is none, as in CI.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@ExtendWith(PostgresApp39.Required.class)
class PostgresAppClusterTest {
    private static final Duration START = Duration.ofSeconds(180);
    private static final Path JAR = Path.of(System.getProperty("secure-delivery.james39-jar"));
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String SCHEDULE = "<outgoing>outgoing</outgoing><delayTime>4000, 6000, 6000</delayTime>"
            + "<maxRetries>3</maxRetries><deliveryThreads>4</deliveryThreads><bounceProcessor>bounces</bounceProcessor>"
            + "<sendpartial>true</sendpartial>";

    private final Destinations world = new Destinations();
    private PostgresServer postgres;
    private RabbitMqServer rabbit;
    private JamesProcess first;
    private JamesProcess second;

    @BeforeAll
    void start(@TempDir Path directory) throws Exception {
        PostgresApp39 build = PostgresApp39.local().orElseThrow();
        assertThat(JAR).as("the James 3.9 jar (run mvn verify, not mvn test)").isRegularFile();
        postgres = PostgresServer.start();
        String database = postgres.createDatabase();
        rabbit = RabbitMqServer.start();

        ProcessDeliveries.destinations(world);
        world.mx(
                world.zone("later.test", false), "mx.later.test", 10, world.ca().issue("mx.later.test"));
        world.server("mx.later.test").defer("user@later.test");
        TestSmtpServer behindProxy = world.server("mx.stripped.test", world.ca().issue("mx.stripped.test"));
        StartTlsStrippingProxy proxy = world.proxyFor(
                "mx.stripped.test",
                world.zone("stripped.test", true),
                behindProxy,
                StartTlsStrippingProxy.Variant.HIDE);
        world.enforce("stripped.test", "1", "mx.stripped.test");
        world.start();

        Map<String, String> jamesDatabase = Map.of(
                "database.name",
                database,
                "database.schema",
                "public",
                "database.host",
                postgres.host(),
                "database.port",
                String.valueOf(postgres.port()),
                "database.username",
                PostgresServer.SUPERUSER,
                "database.password",
                PostgresServer.PASSWORD,
                "row.level.security.enabled",
                "false",
                "ssl.mode",
                "disable");
        // One after the other: the first creates James's tables, which two nodes starting at once would race for.
        first = launch(directory.resolve("first"), "first", build, jamesDatabase)
                .awaitStarted(START);
        second = launch(directory.resolve("second"), "second", build, jamesDatabase)
                .awaitStarted(START);
        assertThat(proxy).isNotNull();
    }

    private JamesProcess launch(Path home, String node, PostgresApp39 build, Map<String, String> database)
            throws Exception {
        Properties configuration = world.reportingConfiguration(home.resolveSibling(node + "-files"), "1d");
        configuration.setProperty("tls-reports.node-name", node);
        configuration.setProperty("store.kind", "postgres");
        configuration.setProperty("store.node-name", node);
        configuration.setProperty("store.cluster-name", "postgresapp");
        configuration.setProperty("store.flush-interval", "1s");
        configuration.setProperty(
                "store.postgres.james-configuration",
                home.resolve("conf/postgres.properties").toString());
        return JamesProcess.launchPostgresApp(
                home,
                configuration,
                world.smtpPort(),
                build,
                JAR,
                database,
                rabbit.amqpUri(),
                rabbit.managementUri(),
                SCHEDULE);
    }

    @AfterAll
    void stop() throws Exception {
        for (JamesProcess node : new JamesProcess[] {first, second}) {
            if (node != null) {
                node.close();
            }
        }
        world.close();
        if (rabbit != null) {
            rabbit.close();
        }
        if (postgres != null) {
            postgres.close();
        }
    }

    @Test
    void bothNodesRunOnRabbitMqAndKeepDeferredMailInTheWaitingRoom() throws Exception {
        for (JamesProcess node : new JamesProcess[] {first, second}) {
            assertThat(node.output())
                    .contains("Loading custom classpath resource")
                    .contains("extensions-jars/" + JAR.getFileName())
                    .contains("the queue (org.apache.james.queue.rabbitmq.RabbitMQMailQueue) drops delays: deferred"
                            + " mail waits in the waiting room postgres://var/mail/secure-delivery-waiting");
        }
    }

    @Test
    void aDeferredMessageIsRetriedOnScheduleByEitherNodeAndDeliveredOnce() throws Exception {
        first.send(Destinations.SENDER, "user@later.test", "later", "Deferred, then delivered.");
        TestSmtpServer mx = world.server("mx.later.test");
        await().atMost(Duration.ofSeconds(60))
                .until(() -> mx.recipientAttempts().size() >= 2);
        mx.accept("user@later.test");
        await().atMost(Duration.ofSeconds(60)).until(() -> mx.received().size() == 1);
        Thread.sleep(8_000);

        List<Instant> attempts =
                mx.recipientAttempts().stream().map(attempt -> attempt.at).collect(Collectors.toList());
        assertThat(mx.received()).hasSize(1);
        assertThat(attempts).hasSizeBetween(3, 4);
        assertThat(Duration.between(attempts.get(0), attempts.get(1))).isGreaterThanOrEqualTo(Duration.ofMillis(4000));
        for (int i = 2; i < attempts.size(); i++) {
            assertThat(Duration.between(attempts.get(i - 1), attempts.get(i)))
                    .isGreaterThanOrEqualTo(Duration.ofMillis(6000));
        }
        String logs = first.output() + second.output();
        assertThat(logs).contains("back in the queue outgoing for later.test");
        // RabbitMQ was never trusted with a delay.
        assertThat(logs).doesNotContain("Ignored delay upon enqueue of");
    }

    @Test
    void daneMtaStsAndRequireTlsHoldOnBothNodesAndTheCountsAreTheClusters() throws Exception {
        first.send(Destinations.SENDER, "one@pinned.test", "dane 1", "Pinned by TLSA.");
        second.send(Destinations.SENDER, "two@pinned.test", "dane 2", "Pinned by TLSA.");
        first.send(Destinations.SENDER, "one@policy.test", "sts 1", "Under an enforce policy.");
        second.send(Destinations.SENDER, "two@policy.test", "sts 2", "Under an enforce policy.");
        first.send(Destinations.SENDER, "one@stripped.test", "stripped 1", "Never in the clear.");
        second.send(Destinations.SENDER, "two@stripped.test", "stripped 2", "Never in the clear.");
        for (JamesProcess node : new JamesProcess[] {first, second}) {
            node.send(
                    true,
                    Destinations.SENDER,
                    "user@requiretls.test",
                    "requiretls",
                    "Only over DANE.",
                    Map.of("mail.smtp.mailextension", "REQUIRETLS"));
        }

        await().atMost(Duration.ofSeconds(90))
                .until(() -> world.server("mx.pinned.test").received().size() == 2
                        && world.server("mx.policy.test").received().size() == 2
                        && world.server("mx.requiretls.test").received().size() == 2);
        assertThat(world.server("mx.pinned.test").received())
                .allSatisfy(mail -> assertThat(mail.data).contains("authentication=DANE-EE"));
        assertThat(world.server("mx.policy.test").received())
                .allSatisfy(mail -> assertThat(mail.data).contains("authentication=PKIX"));
        assertThat(world.server("mx.requiretls.test").received()).allSatisfy(mail -> {
            assertThat(mail.mailParameters).isEqualTo("REQUIRETLS");
            assertThat(mail.data).contains("authentication=DANE-EE");
        });
        Thread.sleep(5_000);
        assertThat(world.server("mx.stripped.test").received()).isEmpty();

        String today = LocalDate.now(ZoneOffset.UTC).toString();
        for (JamesProcess node : new JamesProcess[] {first, second}) {
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                JsonNode posture = get(node, "/secure-delivery/posture?from=" + today + "&to=" + today);
                assertThat(posture.at("/totals/delivered/dane").asLong()).isEqualTo(4);
                assertThat(posture.at("/totals/delivered/mta-sts").asLong()).isEqualTo(2);
                assertThat(posture.at("/nodes/first/delivered/dane").asLong()).isEqualTo(2);
                assertThat(posture.at("/nodes/second/delivered/dane").asLong()).isEqualTo(2);
                JsonNode reports = get(node, "/secure-delivery/tls-reports");
                assertThat(successes(reports, "policy.test")).isEqualTo(2);
            });
        }
    }

    private static long successes(JsonNode view, String domain) {
        for (JsonNode entry : view.get("domains")) {
            if (entry.get("policy-domain").asText().equals(domain)) {
                long sum = 0;
                for (JsonNode policy : entry.get("policies")) {
                    sum += policy.at("/summary/total-successful-session-count").asLong();
                }
                return sum;
            }
        }
        return 0;
    }

    private static JsonNode get(JamesProcess james, String path) throws Exception {
        HttpResponse<String> response = HttpClient.newHttpClient()
                .send(
                        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + james.webAdminPort() + path))
                                .timeout(Duration.ofSeconds(30))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(path + ": " + response.body()).isEqualTo(200);
        return JSON.readTree(response.body());
    }
}
