package dev.securedelivery.testing;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.xbill.DNS.DClass;
import org.xbill.DNS.ExtendedFlags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.Type;

/**
 * Real DNS servers from Debian for the tests, on 127.0.0.1: knot as the authoritative server that
 * signs the zones (ECDSA P-256, NSEC3), and unbound as the validating recursive resolver with the
 * test tree's trust anchor. Each zone is given as zone-file text; a zone is signed, delegated
 * with its DS, delegated without DS (insecure) or delegated with a wrong DS (bogus).
 *
 * <p>{@link #unavailableReason()} says why the servers cannot run here (a binary is missing), so
 * that tests can be skipped with that reason; {@code .ci/run} installs them.
 */
public final class KnotAndUnbound implements AutoCloseable {
    /** Set to {@code required} (as {@code .ci/run} does) to fail instead of skipping when they are missing. */
    public static final String REQUIRED_PROPERTY = "secure-delivery.real-dns";

    private static final String KNOTD = "/usr/sbin/knotd";
    private static final String KEYMGR = "/usr/sbin/keymgr";
    private static final String UNBOUND = "/usr/sbin/unbound";

    /** How a zone hangs in the tree. */
    public enum Delegation {
        SIGNED,
        INSECURE,
        BOGUS
    }

    private final Path directory;
    private final int knotPort;
    private final InetSocketAddress unbound;
    private final String trustAnchor;
    private final List<Process> processes = new ArrayList<>();

    private KnotAndUnbound(Path directory, int knotPort, InetSocketAddress unbound, String trustAnchor) {
        this.directory = directory;
        this.knotPort = knotPort;
        this.unbound = unbound;
        this.trustAnchor = trustAnchor;
    }

    /** Why the servers cannot run here, or empty if they can. */
    public static Optional<String> unavailableReason() {
        for (String binary : List.of(KNOTD, KEYMGR, UNBOUND)) {
            if (!Files.isExecutable(Path.of(binary))) {
                return Optional.of(
                        binary + " is not installed (Debian packages knot and unbound;" + " .ci/run installs them)");
            }
        }
        return Optional.empty();
    }

    /** Whether missing servers must fail the tests rather than skip them. */
    public static boolean required() {
        return "required".equals(System.getProperty(REQUIRED_PROPERTY, System.getenv("SECURE_DELIVERY_REAL_DNS")));
    }

    /** A zone below {@code test.} and how it is delegated. */
    public static final class Zone {
        final String origin;
        final Delegation delegation;
        final String records;

        private Zone(String origin, Delegation delegation, String records) {
            this.origin = origin;
            this.delegation = delegation;
            this.records = records;
        }

        /**
         * @param origin e.g. {@code example.test.}
         * @param records zone-file lines relative to the origin, without SOA and NS (added here)
         */
        public static Zone of(String origin, Delegation delegation, String records) {
            return new Zone(origin, delegation, records);
        }
    }

    /** Starts knot with {@code test.} (signed) and {@code zones} below it, then unbound in front. */
    public static KnotAndUnbound start(Path directory, Zone... zones) throws IOException, InterruptedException {
        return start(
                directory,
                new InetSocketAddress(InetAddress.getLoopbackAddress(), LoopbackPorts.freeUdpAndTcpPort()),
                zones);
    }

    /**
     * As {@link #start(Path, Zone...)}, unbound listening on {@code resolverAt}: 127.0.0.53:53 for a
     * program that reads its resolver from resolv.conf, which names no port (Postfix).
     */
    public static KnotAndUnbound start(Path directory, InetSocketAddress resolverAt, Zone... zones)
            throws IOException, InterruptedException {
        Files.createDirectories(directory.resolve("zones"));
        Files.createDirectories(directory.resolve("db"));
        Files.createDirectories(directory.resolve("run"));
        int knotPort = LoopbackPorts.freeUdpAndTcpPort();
        Path knotConf = directory.resolve("knot.conf");
        Files.writeString(knotConf, knotConfiguration(directory, knotPort, zones));

        Map<String, String> ds = new LinkedHashMap<>();
        for (String origin : signedOrigins(zones)) {
            run(
                    directory,
                    KEYMGR,
                    "-c",
                    knotConf.toString(),
                    origin,
                    "generate",
                    "algorithm=ecdsap256sha256",
                    "ksk=yes",
                    "zsk=yes");
            ds.put(origin, sha256Ds(run(directory, KEYMGR, "-c", knotConf.toString(), origin, "ds")));
        }
        StringBuilder tld = new StringBuilder(zoneHeader("test."));
        for (Zone zone : zones) {
            String label = zone.origin.substring(0, zone.origin.length() - "test.".length() - 1);
            tld.append(label)
                    .append(" NS ns.")
                    .append(label)
                    .append('\n')
                    .append("ns.")
                    .append(label)
                    .append(" A 127.0.0.1\n");
            if (zone.delegation == Delegation.SIGNED) {
                tld.append(ds.get(zone.origin)).append('\n');
            } else if (zone.delegation == Delegation.BOGUS) {
                // A DS for a key the zone does not use: everything below it is bogus.
                String wrong = ds.get(zone.origin)
                        .replaceFirst(
                                " [0-9a-f]{64}$", " 0000000000000000000000000000000000000000000000000000000000000000");
                tld.append(wrong).append('\n');
            }
            Files.writeString(
                    directory.resolve("zones").resolve(zone.origin + "zone"),
                    zoneHeader(zone.origin) + zone.records + "\n");
        }
        Files.writeString(directory.resolve("zones").resolve("test.zone"), tld.toString());
        String anchor = ds.get("test.");
        Files.writeString(directory.resolve("anchor.ds"), anchor + "\n");
        Files.writeString(
                directory.resolve("unbound.conf"), unboundConfiguration(directory, resolverAt, knotPort, zones));

        KnotAndUnbound servers = new KnotAndUnbound(directory, knotPort, resolverAt, anchor);
        try {
            servers.launch(KNOTD, "-c", knotConf.toString());
            servers.awaitSigned(knotPort, zones);
            servers.launch(
                    UNBOUND, "-d", "-c", directory.resolve("unbound.conf").toString());
            servers.awaitAnswer(resolverAt);
        } catch (IOException | InterruptedException | RuntimeException e) {
            servers.close();
            throw e;
        }
        return servers;
    }

    /** The authoritative server: knot, for every zone of the tree. */
    public InetSocketAddress knot() {
        return new InetSocketAddress(InetAddress.getLoopbackAddress(), knotPort);
    }

    /** The validating recursive resolver: unbound. */
    public InetSocketAddress unbound() {
        return unbound;
    }

    /** The running servers, knot and unbound: for a benchmark that counts their processor time. */
    public List<ProcessHandle> processes() {
        List<ProcessHandle> handles = new ArrayList<>();
        for (Process process : processes) {
            handles.add(process.toHandle());
        }
        return handles;
    }

    /** The DS record of {@code test.}, the tree's trust anchor, in zone-file syntax. */
    public String trustAnchor() {
        return trustAnchor;
    }

    @Override
    public void close() {
        for (Process process : processes) {
            process.destroy();
        }
        for (Process process : processes) {
            try {
                if (!process.waitFor(5, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                }
            } catch (InterruptedException e) {
                process.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
    }

    private void launch(String... command) throws IOException {
        String name = Path.of(command[0]).getFileName().toString();
        processes.add(new ProcessBuilder(command)
                .directory(directory.toFile())
                .redirectErrorStream(true)
                .redirectOutput(directory.resolve(name + ".log").toFile())
                .start());
    }

    /** Waits until knot answers every signed zone's DNSKEY query with a signature. */
    private void awaitSigned(int port, Zone[] zones) throws IOException, InterruptedException {
        for (String origin : signedOrigins(zones)) {
            awaitRecord(port, origin, Type.RRSIG, Type.DNSKEY, "knot to sign " + origin);
        }
    }

    private void awaitAnswer(InetSocketAddress server) throws IOException, InterruptedException {
        awaitRecord(server, "test.", Type.SOA, Type.SOA, "unbound to answer");
    }

    private void awaitRecord(int port, String owner, int wantedType, int queryType, String what)
            throws IOException, InterruptedException {
        awaitRecord(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), owner, wantedType, queryType, what);
    }

    private void awaitRecord(InetSocketAddress server, String owner, int wantedType, int queryType, String what)
            throws IOException, InterruptedException {
        SimpleResolver resolver = new SimpleResolver(server);
        resolver.setTimeout(Duration.ofMillis(500));
        resolver.setEDNS(0, 1232, ExtendedFlags.DO, List.of());
        Instant deadline = Instant.now().plusSeconds(20);
        while (Instant.now().isBefore(deadline)) {
            for (Process process : processes) {
                if (!process.isAlive()) {
                    throw new IOException("a DNS server exited early: " + logs());
                }
            }
            try {
                Message response =
                        resolver.send(Message.newQuery(Record.newRecord(Name.fromString(owner), queryType, DClass.IN)));
                for (Record record : response.getSection(Section.ANSWER)) {
                    if (record.getType() == wantedType) {
                        return;
                    }
                }
            } catch (IOException e) {
                // not listening yet
            }
            Thread.sleep(100);
        }
        throw new IOException("timed out waiting for " + what + ": " + logs());
    }

    private String logs() {
        StringBuilder text = new StringBuilder();
        for (String name : List.of("knotd.log", "unbound.log")) {
            Path log = directory.resolve(name);
            try {
                if (Files.exists(log)) {
                    text.append('\n').append(name).append(":\n").append(Files.readString(log));
                }
            } catch (IOException e) {
                text.append('\n').append(name).append(": unreadable");
            }
        }
        return text.toString();
    }

    private static List<String> signedOrigins(Zone[] zones) {
        List<String> origins = new ArrayList<>();
        origins.add("test.");
        for (Zone zone : zones) {
            if (zone.delegation != Delegation.INSECURE) {
                origins.add(zone.origin);
            }
        }
        return origins;
    }

    private static String zoneHeader(String origin) {
        return "$ORIGIN " + origin + "\n$TTL 300\n@ SOA ns." + origin + " admin." + origin
                + " 1 3600 600 86400 60\n@ NS ns\nns A 127.0.0.1\n";
    }

    private static String knotConfiguration(Path directory, int port, Zone[] zones) {
        StringBuilder conf = new StringBuilder()
                .append("server:\n    listen: 127.0.0.1@")
                .append(port)
                .append('\n')
                .append("    rundir: ")
                .append(directory.resolve("run"))
                .append('\n')
                .append("database:\n    storage: ")
                .append(directory.resolve("db"))
                .append('\n')
                .append("log:\n  - target: stderr\n    any: info\n")
                // Keys come from keymgr before the start, so the DS records are known up front.
                .append("policy:\n  - id: test\n    manual: on\n    algorithm: ecdsap256sha256\n")
                .append("    nsec3: on\n    nsec3-iterations: 0\n")
                .append("template:\n  - id: default\n    storage: ")
                .append(directory.resolve("zones"))
                .append('\n')
                .append("    file: \"%s.zone\"\n    zonefile-sync: -1\n    journal-content: none\n")
                .append("zone:\n  - domain: test.\n    dnssec-signing: on\n    dnssec-policy: test\n");
        for (Zone zone : zones) {
            conf.append("  - domain: ").append(zone.origin).append('\n');
            if (zone.delegation != Delegation.INSECURE) {
                conf.append("    dnssec-signing: on\n    dnssec-policy: test\n");
            }
        }
        return conf.toString();
    }

    private static String unboundConfiguration(
            Path directory, InetSocketAddress resolverAt, int knotPort, Zone[] zones) {
        StringBuilder conf = new StringBuilder()
                .append("server:\n")
                .append("    interface: ")
                .append(resolverAt.getAddress().getHostAddress())
                .append('@')
                .append(resolverAt.getPort())
                .append('\n')
                .append("    port: ")
                .append(resolverAt.getPort())
                .append('\n')
                .append("    do-ip6: no\n    do-not-query-localhost: no\n")
                // Its random query ports stay in the ephemeral range, clear of the ports tests pick
                // below it for servers that bind later (LoopbackPorts).
                .append(
                        LoopbackPorts.ephemeralLow() > 1024
                                ? "    outgoing-port-avoid: 0-" + (LoopbackPorts.ephemeralLow() - 1) + "\n"
                                : "")
                .append("    username: \"\"\n    chroot: \"\"\n")
                .append("    directory: \"")
                .append(directory)
                .append("\"\n")
                .append("    pidfile: \"")
                .append(directory.resolve("unbound.pid"))
                .append("\"\n")
                .append("    use-syslog: no\n    logfile: \"\"\n    verbosity: 1\n    val-log-level: 2\n")
                .append("    trust-anchor-file: \"")
                .append(directory.resolve("anchor.ds"))
                .append("\"\n")
                // Without it unbound answers NXDOMAIN for the private tree itself.
                .append("    local-zone: \"test.\" nodefault\n")
                .append("    module-config: \"validator iterator\"\n")
                .append("    access-control: 127.0.0.0/8 allow\n")
                .append("    ede: yes\n    qname-minimisation: no\n")
                .append("stub-zone:\n    name: \"test.\"\n    stub-addr: 127.0.0.1@")
                .append(knotPort)
                .append('\n');
        for (Zone zone : zones) {
            conf.append("stub-zone:\n    name: \"")
                    .append(zone.origin)
                    .append("\"\n    stub-addr: 127.0.0.1@")
                    .append(knotPort)
                    .append('\n');
        }
        return conf.append("remote-control:\n    control-enable: no\n").toString();
    }

    private static String sha256Ds(String keymgrOutput) throws IOException {
        for (String line : keymgrOutput.split("\n")) {
            if (line.matches(".* DS \\d+ \\d+ 2 [0-9a-fA-F]{64}")) {
                return line.trim();
            }
        }
        throw new IOException("keymgr printed no SHA-256 DS record: " + keymgrOutput);
    }

    private static String run(Path directory, String... command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command)
                .directory(directory.toFile())
                .redirectErrorStream(true)
                .start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(30, TimeUnit.SECONDS) || process.exitValue() != 0) {
            throw new IOException(String.join(" ", command) + " failed: " + output);
        }
        return output;
    }
}
