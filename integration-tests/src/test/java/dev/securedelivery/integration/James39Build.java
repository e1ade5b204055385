package dev.securedelivery.integration;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A James 3.9.0 memory server built from its source tag on this machine (docs/development.md,
 * "James 3.9"), and a Java 21 or newer to run it: {@code JAMES39_BUILD} names the source tree,
 * {@code JAVA21_HOME} the JDK. Maven Central does not serve {@code james-server-memory-app} 3.9.0,
 * and CI reaches nothing but Maven Central, so where they are not set the tests that need them
 * are skipped with {@link #whyAbsent()}.
 */
final class James39Build {
    static final String BUILD_VARIABLE = "JAMES39_BUILD";
    static final String JAVA_VARIABLE = "JAVA21_HOME";

    /** Runs a test class only where {@link #local()} finds a build; skips it naming what is missing. */
    static final class Required implements ExecutionCondition {
        @Override
        public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
            return local().isPresent()
                    ? ConditionEvaluationResult.enabled("a local James 3.9.0 build and Java 21+")
                    : ConditionEvaluationResult.disabled(whyAbsent());
        }
    }

    private final Path sourceTree;
    private final Path java;

    private James39Build(Path sourceTree, Path java) {
        this.sourceTree = sourceTree;
        this.java = java;
    }

    /** The build the environment names, if it is complete. */
    static Optional<James39Build> local() {
        return problems().isEmpty()
                ? Optional.of(new James39Build(
                        Path.of(System.getenv(BUILD_VARIABLE)), Path.of(System.getenv(JAVA_VARIABLE), "bin", "java")))
                : Optional.empty();
    }

    /** Why {@link #local()} is empty. */
    static String whyAbsent() {
        return "no local James 3.9.0 build: " + String.join("; ", problems())
                + " (Maven Central has no james-server-memory-app 3.9.0 and CI reaches no other"
                + " repository; build it from the tag james-project-3.9.0 as docs/development.md says,"
                + " then set " + BUILD_VARIABLE + " and " + JAVA_VARIABLE + ")";
    }

    private static List<String> problems() {
        List<String> problems = new ArrayList<>();
        String build = System.getenv(BUILD_VARIABLE);
        String java = System.getenv(JAVA_VARIABLE);
        if (build == null || build.isBlank()) {
            problems.add(BUILD_VARIABLE + " is not set");
        } else {
            for (Path needed : List.of(memoryApp(Path.of(build)), classPathFile(Path.of(build)))) {
                if (!Files.isRegularFile(needed)) {
                    problems.add(needed + " is missing");
                }
            }
        }
        if (java == null || java.isBlank()) {
            problems.add(JAVA_VARIABLE + " is not set");
        } else if (!Files.isExecutable(Path.of(java, "bin", "java"))) {
            problems.add(java + "/bin/java is missing");
        }
        return problems;
    }

    private static Path memoryApp(Path sourceTree) {
        return sourceTree.resolve("server/apps/memory-app/target/james-server-memory-app.jar");
    }

    // mvn dependency:build-classpath -pl server/apps/memory-app -Dmdep.outputFile=james-classpath.txt
    private static Path classPathFile(Path sourceTree) {
        return sourceTree.resolve("server/apps/memory-app/james-classpath.txt");
    }

    /** The java that runs James 3.9. */
    Path java() {
        return java;
    }

    /** James 3.9's own conf/ samples, under the files of our distribution. */
    Path sampleConfiguration() {
        return sourceTree.resolve("server/apps/memory-app/sample-configuration");
    }

    /** The memory server's jar and its dependencies. */
    String classPath() throws IOException {
        return memoryApp(sourceTree)
                + File.pathSeparator
                + Files.readString(classPathFile(sourceTree)).trim();
    }
}
