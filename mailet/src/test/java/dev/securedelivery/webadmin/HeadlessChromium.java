package dev.securedelivery.webadmin;

import static org.assertj.core.api.Assertions.fail;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.logging.Level;
import org.junit.jupiter.api.Assumptions;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;

/**
 * Debian's {@code chromium}, headless, driven through {@code chromedriver} (package {@code
 * chromium-driver}) by Selenium, with its console and network logs kept: what the browser tests of
 * the dashboard open pages in. Where chromium or chromedriver is not installed, the test is skipped,
 * saying why, unless {@code SECURE_DELIVERY_BROWSER=required} (as {@code .ci/run} sets), where that
 * fails instead.
 */
final class HeadlessChromium implements AutoCloseable {
    private static final Path CHROMIUM = Paths.get("/usr/bin/chromium");
    private static final Path CHROMEDRIVER = Paths.get("/usr/bin/chromedriver");
    private static final String REQUIRED_PROPERTY = "secure-delivery.browser";

    final ChromeDriver browser;
    private final ChromeDriverService service;

    private HeadlessChromium(ChromeDriver browser, ChromeDriverService service) {
        this.browser = browser;
        this.service = service;
    }

    /** A browser, or the test skipped (or failed where the browser is required) when there is none. */
    static HeadlessChromium start() {
        boolean installed = Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER);
        if (!installed && required()) {
            fail("SECURE_DELIVERY_BROWSER=required but " + CHROMIUM + " or " + CHROMEDRIVER + " is missing");
        }
        Assumptions.assumeTrue(
                installed,
                "No " + CHROMIUM + " or " + CHROMEDRIVER + " (Debian packages chromium and chromium-driver):"
                        + " the dashboard's browser test does not run here");
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(CHROMEDRIVER.toFile())
                .usingAnyFreePort()
                .build();
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM.toFile());
        // As root in a container: no sandbox; /dev/shm may be small.
        options.addArguments(
                "--headless=new",
                "--no-sandbox",
                "--disable-dev-shm-usage",
                "--disable-gpu",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--window-size=1440,900",
                "--hide-scrollbars");
        LoggingPreferences logging = new LoggingPreferences();
        logging.enable(LogType.BROWSER, Level.ALL);
        logging.enable(LogType.PERFORMANCE, Level.ALL);
        options.setCapability("goog:loggingPrefs", logging);
        ChromeDriver browser = new ChromeDriver(service, options);
        browser.manage().timeouts().pageLoadTimeout(Duration.ofSeconds(30));
        return new HeadlessChromium(browser, service);
    }

    private static boolean required() {
        return "required".equals(System.getProperty(REQUIRED_PROPERTY, System.getenv("SECURE_DELIVERY_BROWSER")));
    }

    @Override
    public void close() {
        browser.quit();
        service.stop();
    }
}
