package dev.securedelivery.waitingroom;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.james.domainlist.api.DomainList;
import org.apache.james.transport.mailets.remote.delivery.RemoteDeliveryConfiguration;
import org.apache.mailet.base.test.FakeMailetConfig;
import org.junit.jupiter.api.Test;

/**
 * The retry schedule of the sample {@code mailetcontainer.xml}, read as James reads it
 * ({@link RemoteDeliveryConfiguration}): about five days, like Postfix's {@code maximal_queue_lifetime},
 * with back-off from 5 minutes to Postfix's {@code maximal_backoff_time} (4000 s), never shorter.
 */
class SampleScheduleTest {
    private static final Path SAMPLE = Path.of("..", "james-conf", "src", "main", "conf", "mailetcontainer.xml");
    private static final Pattern DELIVERY = Pattern.compile(
            "class=\"dev\\.securedelivery\\.mailet\\.SecureRemoteDelivery\">.*?<delayTime>([^<]*)</delayTime>\\s*"
                    + "<maxRetries>(\\d+)</maxRetries>",
            Pattern.DOTALL);

    @Test
    void theSampleRetriesForFiveDaysWithBackOff() throws Exception {
        Matcher mailet = DELIVERY.matcher(Files.readString(SAMPLE));
        assertThat(mailet.find())
                .as("the SecureRemoteDelivery mailet of the sample")
                .isTrue();
        DomainList domains = (DomainList) java.lang.reflect.Proxy.newProxyInstance(
                DomainList.class.getClassLoader(), new Class<?>[] {DomainList.class}, (proxy, method, args) -> {
                    throw new UnsupportedOperationException(method.getName());
                });
        RemoteDeliveryConfiguration configuration = new RemoteDeliveryConfiguration(
                FakeMailetConfig.builder()
                        .mailetName("SecureRemoteDelivery")
                        .setProperty("heloName", "sample.test")
                        .setProperty("delayTime", mailet.group(1))
                        .setProperty("maxRetries", mailet.group(2))
                        .build(),
                domains);

        List<Duration> delays = configuration.getDelayTimes();
        int retries = configuration.getMaxRetries();
        Duration total = Duration.ZERO;
        for (int retry = 0; retry < retries; retry++) {
            total = total.plus(delays.get(Math.min(retry, delays.size() - 1)));
        }
        assertThat(total).isBetween(Duration.ofDays(5), Duration.ofDays(5).plusHours(2));
        assertThat(delays.get(0)).isEqualTo(Duration.ofMinutes(5));
        assertThat(delays).allSatisfy(delay -> assertThat(delay).isLessThanOrEqualTo(Duration.ofSeconds(4000)));
        for (int i = 1; i < delays.size(); i++) {
            assertThat(delays.get(i)).isGreaterThanOrEqualTo(delays.get(i - 1));
        }
    }
}
