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
 * James 3.9.0's clustered server on PostgreSQL (and RabbitMQ), {@code server/apps/postgres-app},
 * built from its source tag on this machine (docs/development.md, "A James 3.9.0 cluster"): {@code
 * JAMES39_BUILD} names the source tree, {@code JAVA21_HOME} the JDK, as for {@link James39Build}.
 * Maven Central serves no {@code james-server-postgres-app}, and CI reaches nothing else, so where the
 * build is missing the tests that need it are skipped with {@link #whyAbsent()}.
 */
final class PostgresApp39 {
    private final Path sourceTree;
    private final Path java;

    private PostgresApp39(Path sourceTree, Path java) {
        this.sourceTree = sourceTree;
        this.java = java;
    }

    /** Runs a test class only where {@link #local()} finds a build; skips it naming what is missing. */
    static final class Required implements ExecutionCondition {
        @Override
        public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
            return local().isPresent()
                    ? ConditionEvaluationResult.enabled("a local James 3.9.0 postgres-app build and Java 21+")
                    : ConditionEvaluationResult.disabled(whyAbsent());
        }
    }

    static Optional<PostgresApp39> local() {
        return problems().isEmpty()
                ? Optional.of(new PostgresApp39(
                        Path.of(System.getenv(James39Build.BUILD_VARIABLE)),
                        Path.of(System.getenv(James39Build.JAVA_VARIABLE), "bin", "java")))
                : Optional.empty();
    }

    static String whyAbsent() {
        return "no local James 3.9.0 postgres-app build: " + String.join("; ", problems())
                + " (Maven Central has no james-server-postgres-app 3.9.0 and CI reaches no other repository;"
                + " build it from the tag james-project-3.9.0 as docs/development.md says, then set "
                + James39Build.BUILD_VARIABLE + " and " + James39Build.JAVA_VARIABLE + ")";
    }

    private static List<String> problems() {
        List<String> problems = new ArrayList<>();
        String build = System.getenv(James39Build.BUILD_VARIABLE);
        String java = System.getenv(James39Build.JAVA_VARIABLE);
        if (build == null || build.isBlank()) {
            problems.add(James39Build.BUILD_VARIABLE + " is not set");
        } else {
            for (Path needed : List.of(jar(Path.of(build)), classPathFile(Path.of(build)))) {
                if (!Files.isRegularFile(needed)) {
                    problems.add(needed + " is missing");
                }
            }
        }
        if (java == null || java.isBlank()) {
            problems.add(James39Build.JAVA_VARIABLE + " is not set");
        } else if (!Files.isExecutable(Path.of(java, "bin", "java"))) {
            problems.add(java + "/bin/java is missing");
        }
        return problems;
    }

    private static Path jar(Path sourceTree) {
        return sourceTree.resolve("server/apps/postgres-app/target/james-server-postgres-app.jar");
    }

    // mvn dependency:build-classpath -pl server/apps/postgres-app -Dmdep.outputFile=james-classpath.txt
    private static Path classPathFile(Path sourceTree) {
        return sourceTree.resolve("server/apps/postgres-app/james-classpath.txt");
    }

    Path java() {
        return java;
    }

    /** postgres-app's own conf/ samples. */
    Path sampleConfiguration() {
        return sourceTree.resolve("server/apps/postgres-app/sample-configuration");
    }

    /** The single-node extras: search.properties (scanning, no OpenSearch). */
    Path searchProperties() {
        return sourceTree.resolve("server/apps/postgres-app/sample-configuration-single/search.properties");
    }

    String classPath() throws IOException {
        return jar(sourceTree)
                + File.pathSeparator
                + Files.readString(classPathFile(sourceTree)).trim();
    }
}
