package dev.securedelivery.james39;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.objectweb.asm.ClassReader;
import org.objectweb.asm.ClassVisitor;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;
import org.objectweb.asm.Type;

/**
 * The James 3.9 jar, class by class, against James 3.9.0's API jars from Maven Central on this
 * Java 21+: the Eclipse Transformer left no javax.mail, javax.activation or javax.inject name, kept
 * every class of the 3.8 jar, and every class loads, its members' types resolve, and every method
 * and field it calls or reads exists in 3.9 with the same descriptor.
 */
class ExtensionJar39Test {
    private static final Path JAR = Path.of(System.getProperty("secure-delivery.james39-jar"));
    private static final Path JAR38 = Path.of(System.getProperty("secure-delivery.james38-jar"));

    // Classes James 3.9.0 has but Maven Central does not serve at 3.9.0 (james-server-webadmin-core,
    // james-server-protocols-smtp, and what they bring): references to them are checked by the real
    // James 3.9.0 run (integration-tests, James39ProcessTest), not here.
    private static final List<String> NOT_ON_CENTRAL = List.of(
            "org/apache/james/webadmin/", "org/apache/james/smtpserver/", "org/apache/james/protocols/", "spark/");
    // The classes of ours that use them: the WebAdmin routes and the SMTP server's REQUIRETLS handler.
    private static final List<String> USERS_OF_WHAT_IS_NOT_ON_CENTRAL =
            List.of("dev/securedelivery/webadmin/", "dev/securedelivery/smtpserver/");

    // Optional dependencies of the libraries we ship relocated, used only where present: JNA and
    // Android (dnsjava's Windows and Android resolver configuration), the Java 8 name service SPI
    // (dnsjava's), Brotli, Zstandard, Commons Compress and Conscrypt (HttpClient 5's codecs and TLS
    // provider). The 3.8 jar has the same classes; neither James brings these libraries.
    private static final List<String> OPTIONAL_LIBRARIES = List.of(
            "android/",
            "com/sun/jna/",
            "sun/net/spi/nameservice/",
            "com/aayushatharva/brotli4j/",
            "com/github/luben/zstd/",
            "org/apache/commons/compress/",
            "org/conscrypt/");

    @BeforeAll
    static void theJarIsBuilt() {
        // Made at package (module james39): under mvn test the path names its classes directory.
        assertThat(JAR).as("the James 3.9 jar (run mvn verify, not mvn test)").isRegularFile();
    }

    @Test
    void theJarNamesNoJavaxMailActivationOrInjectAnyMore() throws IOException {
        List<String> javax = new ArrayList<>();
        int jakarta = 0;
        for (Map.Entry<String, byte[]> entry : classes(JAR).entrySet()) {
            // Class names in the constant pool are modified UTF-8: ASCII for these.
            String constants = new String(entry.getValue(), StandardCharsets.ISO_8859_1);
            if (constants.contains("javax/mail")
                    || constants.contains("javax/activation")
                    || constants.contains("javax/inject")) {
                javax.add(entry.getKey());
            }
            if (constants.contains("jakarta/mail/")) {
                jakarta++;
            }
        }

        assertThat(javax).isEmpty();
        assertThat(jakarta).isGreaterThan(5);
    }

    @Test
    void theJarHoldsEveryClassOfTheJames38Jar() throws IOException {
        assertThat(classes(JAR).keySet())
                .hasSizeGreaterThan(1000)
                .isEqualTo(classes(JAR38).keySet());
    }

    @Test
    void everyClassLinksAgainstJames39() throws IOException {
        ClassLoader loader = getClass().getClassLoader();
        Map<String, String> broken = new TreeMap<>();
        Set<String> unverifiable = new TreeSet<>();
        Set<String> optional = new TreeSet<>();
        int members = 0;
        for (Map.Entry<String, byte[]> entry : classes(JAR).entrySet()) {
            String internalName = entry.getKey().replaceFirst("\\.class$", "");
            List<String> problems = new ArrayList<>();
            try {
                Class<?> type = Class.forName(internalName.replace('/', '.'), false, loader);
                // Resolves every type in the class's own signatures.
                members += type.getDeclaredMethods().length
                        + type.getDeclaredFields().length
                        + type.getDeclaredConstructors().length;
            } catch (LinkageError | ClassNotFoundException e) {
                problems.add(e.toString());
            }
            if (problems.isEmpty()) {
                problems.addAll(unresolvedReferences(entry.getValue(), loader));
            }
            if (problems.isEmpty()) {
                continue;
            }
            if (USERS_OF_WHAT_IS_NOT_ON_CENTRAL.stream().anyMatch(internalName::startsWith)
                    && problems.stream().allMatch(problem -> names(problem, NOT_ON_CENTRAL))) {
                unverifiable.add(internalName);
            } else if (internalName.startsWith("dev/securedelivery/shaded/")
                    && problems.stream().allMatch(problem -> names(problem, OPTIONAL_LIBRARIES))) {
                optional.add(internalName);
            } else {
                broken.put(internalName, String.join("; ", problems));
            }
        }

        assertThat(broken).isEmpty();
        assertThat(members).isGreaterThan(10_000);
        assertThat(optional).hasSizeLessThan(60);
        // Only the WebAdmin routes and the REQUIRETLS handler are left to the real James 3.9.0 run.
        assertThat(unverifiable)
                .allMatch(name -> USERS_OF_WHAT_IS_NOT_ON_CENTRAL.stream().anyMatch(name::startsWith))
                .contains("dev/securedelivery/smtpserver/RequireTlsHandler");
    }

    private static boolean names(String problem, List<String> packages) {
        String slashed = problem.replace('.', '/');
        return packages.stream().anyMatch(slashed::contains);
    }

    // Every method called and field read by the class, looked up in what the loader finds.
    private static List<String> unresolvedReferences(byte[] bytes, ClassLoader loader) {
        List<String> problems = new ArrayList<>();
        new ClassReader(bytes)
                .accept(
                        new ClassVisitor(Opcodes.ASM9) {
                            @Override
                            public MethodVisitor visitMethod(
                                    int access, String name, String descriptor, String signature, String[] exceptions) {
                                return new MethodVisitor(Opcodes.ASM9) {
                                    @Override
                                    public void visitMethodInsn(
                                            int opcode, String owner, String member, String desc, boolean itf) {
                                        check(owner, member, desc, true, loader, problems);
                                    }

                                    @Override
                                    public void visitFieldInsn(int opcode, String owner, String member, String desc) {
                                        check(owner, member, desc, false, loader, problems);
                                    }
                                };
                            }
                        },
                        ClassReader.SKIP_DEBUG | ClassReader.SKIP_FRAMES);
        return problems;
    }

    private static void check(
            String owner, String member, String descriptor, boolean method, ClassLoader loader, List<String> problems) {
        if (owner.startsWith("[")) {
            return; // clone() and length of arrays
        }
        try {
            Class<?> type = Class.forName(owner.replace('/', '.'), false, loader);
            if (!declares(type, member, descriptor, method)) {
                problems.add("no " + owner + "." + member + descriptor);
            }
        } catch (LinkageError | ClassNotFoundException e) {
            problems.add(owner + ": " + e);
        }
    }

    // The member in the type or its supertypes, as the JVM's resolution looks for it (JVMS 5.4.3.3-4).
    private static boolean declares(Class<?> type, String member, String descriptor, boolean method) {
        if (type == null) {
            return false;
        }
        if (method) {
            if (member.equals("<init>")) {
                for (Constructor<?> constructor : type.getDeclaredConstructors()) {
                    if (Type.getConstructorDescriptor(constructor).equals(descriptor)) {
                        return true;
                    }
                }
                return false;
            }
            for (Method candidate : type.getDeclaredMethods()) {
                if (candidate.getName().equals(member)
                        && (Type.getMethodDescriptor(candidate).equals(descriptor)
                                || signaturePolymorphic(candidate))) {
                    return true;
                }
            }
        } else {
            for (Field candidate : type.getDeclaredFields()) {
                if (candidate.getName().equals(member)
                        && Type.getDescriptor(candidate.getType()).equals(descriptor)) {
                    return true;
                }
            }
        }
        for (Class<?> parent : type.getInterfaces()) {
            if (declares(parent, member, descriptor, method)) {
                return true;
            }
        }
        return declares(type.getSuperclass(), member, descriptor, method)
                || (type.isInterface() && method && declares(Object.class, member, descriptor, true));
    }

    // MethodHandle.invoke and friends take any descriptor (JVMS 2.9.3).
    private static boolean signaturePolymorphic(Method method) {
        return (method.getDeclaringClass().getName().equals("java.lang.invoke.MethodHandle")
                        || method.getDeclaringClass().getName().equals("java.lang.invoke.VarHandle"))
                && method.isVarArgs()
                && Modifier.isNative(method.getModifiers());
    }

    private static Map<String, byte[]> classes(Path jarPath) throws IOException {
        Map<String, byte[]> classes = new LinkedHashMap<>();
        try (JarFile jar = new JarFile(jarPath.toFile())) {
            for (Enumeration<JarEntry> entries = jar.entries(); entries.hasMoreElements(); ) {
                JarEntry entry = entries.nextElement();
                if (entry.getName().endsWith(".class")) {
                    try (InputStream in = jar.getInputStream(entry)) {
                        classes.put(entry.getName(), in.readAllBytes());
                    }
                }
            }
        }
        return classes.entrySet().stream()
                .collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue, (a, b) -> a, TreeMap::new));
    }
}
