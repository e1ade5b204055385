package dev.securedelivery.integration;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Enumeration;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The one jar an administrator drops into {@code extensions-jars/}: only our classes, the libraries
 * we ship relocated under {@code dev.securedelivery.shaded}, and an engine that runs in a class
 * loader whose parent holds James 3.8.1's own, older dnsjava, HttpClient 5 and Bouncy Castle, as
 * James's parent-first {@code ExtendedClassLoader} arranges it.
 */
class ExtensionJarTest {
    private static final Path JAR = Path.of(System.getProperty("secure-delivery.extension-jar"));
    private static final Path REPOSITORY = JamesProcess.REPOSITORY;
    private static final Path OLDER_LIBRARIES = Path.of(System.getProperty("secure-delivery.james-older-libraries"));

    private static final Destinations WORLD = new Destinations();

    @TempDir
    static Path directory;

    @BeforeAll
    static void declareTheWorld() throws Exception {
        WORLD.daneDomain("pinned.test", "mx.pinned.test");
        WORLD.mx(
                WORLD.zone("policy.test", false),
                "mx.policy.test",
                10,
                WORLD.ca().issue("mx.policy.test"));
        WORLD.enforce("policy.test", "20261122", "mx.policy.test");
        WORLD.start();
    }

    @AfterAll
    static void stopTheWorld() throws Exception {
        WORLD.close();
    }

    @Test
    void theJarHoldsOurClassesAndRelocatedLibrariesOnly() throws IOException {
        List<String> classes = new ArrayList<>();
        try (JarFile jar = new JarFile(JAR.toFile())) {
            for (Enumeration<JarEntry> entries = jar.entries(); entries.hasMoreElements(); ) {
                String name = entries.nextElement().getName();
                if (name.endsWith(".class")) {
                    classes.add(name);
                }
            }
        }

        assertThat(classes)
                .allMatch(name -> name.startsWith("dev/securedelivery/"), "under dev/securedelivery/")
                .contains(
                        "dev/securedelivery/mailet/SecureRemoteDelivery.class",
                        "dev/securedelivery/mailet/SecureDeliveryModule.class",
                        "dev/securedelivery/shaded/dnsjava/dnssec/ValidatingResolver.class",
                        "dev/securedelivery/shaded/hc/client5/http/impl/classic/CloseableHttpClient.class");
    }

    @Test
    void ourClassesInTheJarAreTheOnesJustBuilt() throws IOException {
        List<Path> builds = List.of(
                        "peer-text",
                        "tlsrpt",
                        "dane",
                        "policy-engine",
                        "delivery",
                        "cluster-store",
                        "own-domains",
                        "mailet")
                .stream()
                .map(module -> REPOSITORY.resolve(module).resolve("target/classes"))
                .collect(Collectors.toList());
        List<String> stale = new ArrayList<>();
        int compared = 0;
        try (JarFile jar = new JarFile(JAR.toFile())) {
            for (Enumeration<JarEntry> entries = jar.entries(); entries.hasMoreElements(); ) {
                JarEntry entry = entries.nextElement();
                if (!entry.getName().endsWith(".class") || entry.getName().startsWith("dev/securedelivery/shaded/")) {
                    continue;
                }
                Path built = builds.stream()
                        .map(classes -> classes.resolve(entry.getName()))
                        .filter(Files::exists)
                        .findFirst()
                        .orElse(null);
                if (built == null) {
                    stale.add(entry.getName() + " (no such class in the modules)");
                    continue;
                }
                try (InputStream in = jar.getInputStream(entry)) {
                    // Relocation rewrites references to the libraries: compare only classes without any.
                    byte[] inJar = in.readAllBytes();
                    byte[] fresh = Files.readAllBytes(built);
                    if (!new String(inJar, StandardCharsets.ISO_8859_1).contains("dev/securedelivery/shaded/")) {
                        compared++;
                        if (!Arrays.equals(inJar, fresh)) {
                            stale.add(entry.getName());
                        }
                    }
                }
            }
        }

        assertThat(compared).isGreaterThan(20);
        assertThat(stale).isEmpty();
    }

    @Test
    void noClassInTheJarStillNamesAnUnrelocatedLibrary() throws IOException {
        List<String> offenders = new ArrayList<>();
        try (JarFile jar = new JarFile(JAR.toFile())) {
            for (Enumeration<JarEntry> entries = jar.entries(); entries.hasMoreElements(); ) {
                JarEntry entry = entries.nextElement();
                if (!entry.getName().endsWith(".class")) {
                    continue;
                }
                try (InputStream in = jar.getInputStream(entry)) {
                    // Class names in the constant pool are modified UTF-8: ASCII for these.
                    String constants = new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
                    if (constants.contains("org/xbill/DNS")
                            || constants.contains("org/apache/hc/")
                            || constants.contains("org/bouncycastle/")) {
                        offenders.add(entry.getName());
                    }
                }
            }
        }

        assertThat(offenders).isEmpty();
    }

    @Test
    void theEngineRunsBesideJamesOwnOlderLibraries() throws Exception {
        try (URLClassLoader james = new URLClassLoader(jamesClassPath(), ClassLoader.getPlatformClassLoader());
                URLClassLoader extension =
                        new URLClassLoader(new URL[] {JAR.toUri().toURL()}, james)) {
            // The parent really holds other versions of the same libraries.
            assertThat(source(james, "org.xbill.DNS.Record")).contains("dnsjava-3.5.2");
            assertThat(source(james, "org.apache.hc.client5.http.impl.classic.CloseableHttpClient"))
                    .contains("httpclient5-5.1.3");
            assertThat(source(james, "org.bouncycastle.jce.provider.BouncyCastleProvider"))
                    .contains("bcprov-jdk15on-1.70");
            // The mailet links against James's API from the parent, and against our own libraries.
            Class<?> mailet = extension.loadClass("dev.securedelivery.mailet.SecureRemoteDelivery");
            assertThat(mailet.getSuperclass().getClassLoader()).isSameAs(james);
            assertThat(extension
                            .loadClass("dev.securedelivery.shaded.dnsjava.Record")
                            .getClassLoader())
                    .isSameAs(extension);

            Object engine = engineIn(extension);
            try {
                // DNSSEC validation and DANE through the relocated dnsjava...
                assertThat(plan(engine, "pinned.test"))
                        .contains("mx.pinned.test")
                        .contains("dane");
                // ...and an MTA-STS fetch through the relocated HttpClient 5.
                assertThat(plan(engine, "policy.test"))
                        .contains("mx.policy.test")
                        .contains("pkix")
                        .contains("mta-sts enforce id 20261122");
            } finally {
                ((AutoCloseable) engine).close();
            }
        }
    }

    // SecureDeliveryEngine.from(PolicyEngineConfiguration.from(properties), Clock, FetchListener.NONE, no mail
    // submission: TLS reports are off), in the loader.
    private static Object engineIn(ClassLoader extension) throws Exception {
        Properties properties = WORLD.configuration(directory);
        // Without a base directory a relative default would land where the test runs.
        properties.setProperty("posture.directory", directory.resolve("posture").toString());
        Class<?> configurationType = extension.loadClass("dev.securedelivery.configuration.PolicyEngineConfiguration");
        Object configuration =
                configurationType.getMethod("from", Properties.class).invoke(null, properties);
        Class<?> engineType = extension.loadClass("dev.securedelivery.mailet.SecureDeliveryEngine");
        Method from = Stream.of(engineType.getMethods())
                .filter(method -> method.getName().equals("from"))
                .findFirst()
                .orElseThrow();
        Object noListener = extension
                .loadClass("dev.securedelivery.mtasts.FetchListener")
                .getField("NONE")
                .get(null);
        return from.invoke(null, configuration, Clock.systemUTC(), noListener, null);
    }

    private static String plan(Object engine, String domain) throws Exception {
        Object policy = engine.getClass().getMethod("policy").invoke(engine);
        ClassLoader extension = engine.getClass().getClassLoader();
        Class<?> domainNameType = extension.loadClass("dev.securedelivery.policy.DomainName");
        Object name = domainNameType.getMethod("of", String.class).invoke(null, domain);
        CompletableFuture<?> plan = (CompletableFuture<?>)
                policy.getClass().getMethod("plan", domainNameType).invoke(policy, name);
        Object done = plan.get(30, TimeUnit.SECONDS);
        return (String) done.getClass().getMethod("explain").invoke(done);
    }

    private static String source(ClassLoader loader, String className) throws ClassNotFoundException {
        return loader.loadClass(className)
                .getProtectionDomain()
                .getCodeSource()
                .getLocation()
                .toString();
    }

    // James's class path as bin/james runs it, plus the HttpClient 5 James 3.8.1 pins elsewhere.
    private static URL[] jamesClassPath() throws IOException {
        List<URL> urls = new ArrayList<>();
        String classPath = Files.readString(REPOSITORY.resolve("james-runtime/target/james-classpath.txt"))
                .trim();
        for (String entry : classPath.split(File.pathSeparator)) {
            urls.add(Path.of(entry).toUri().toURL());
        }
        try (Stream<Path> jars = Files.list(OLDER_LIBRARIES)) {
            for (Path jar : (Iterable<Path>) jars::iterator) {
                urls.add(jar.toUri().toURL());
            }
        }
        return urls.toArray(new URL[0]);
    }
}
