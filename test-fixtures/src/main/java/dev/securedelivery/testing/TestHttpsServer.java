package dev.securedelivery.testing;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import javax.net.ssl.SSLContext;

/**
 * An HTTPS server on a loopback address (the JDK's own {@code HttpsServer}), answering every
 * request with the current {@link Responder}, and counting the requests it saw.
 */
public final class TestHttpsServer implements AutoCloseable {
    /** How the server answers a request. */
    @FunctionalInterface
    public interface Responder {
        void respond(HttpExchange exchange) throws IOException;
    }

    private final HttpsServer server;
    private final ExecutorService executor;
    private final AtomicReference<Responder> responder = new AtomicReference<>(notFound());
    private final AtomicInteger requests = new AtomicInteger();
    private final AtomicReference<String> lastPath = new AtomicReference<>();
    private final AtomicReference<String> lastHost = new AtomicReference<>();
    private final AtomicReference<Map<String, List<String>>> lastHeaders = new AtomicReference<>(Map.of());
    private final AtomicReference<String> lastMethod = new AtomicReference<>();
    private final AtomicReference<byte[]> lastBody = new AtomicReference<>(new byte[0]);

    private TestHttpsServer(HttpsServer server, ExecutorService executor) {
        this.server = server;
        this.executor = executor;
    }

    /** Starts a server on {@code address}, on an ephemeral port, presenting {@code tls}'s certificate. */
    public static TestHttpsServer start(InetAddress address, SSLContext tls) {
        return start(address, 0, tls);
    }

    /**
     * Starts a server on {@code address} and {@code port} (0: an ephemeral one): two loopback
     * addresses on one port are the two addresses of one name.
     */
    public static TestHttpsServer start(InetAddress address, int port, SSLContext tls) {
        try {
            HttpsServer server = HttpsServer.create(new InetSocketAddress(address, port), 50);
            server.setHttpsConfigurator(new HttpsConfigurator(tls));
            ExecutorService executor = Executors.newCachedThreadPool(runnable -> {
                Thread thread = new Thread(runnable, "test-https-server");
                thread.setDaemon(true);
                return thread;
            });
            server.setExecutor(executor);
            TestHttpsServer testServer = new TestHttpsServer(server, executor);
            server.createContext("/", exchange -> {
                testServer.lastPath.set(exchange.getRequestURI().getPath());
                testServer.lastHost.set(exchange.getRequestHeaders().getFirst("Host"));
                testServer.lastHeaders.set(Map.copyOf(exchange.getRequestHeaders()));
                testServer.lastMethod.set(exchange.getRequestMethod());
                // Read before the answer: the request counts as seen only with its body.
                testServer.lastBody.set(exchange.getRequestBody().readAllBytes());
                testServer.requests.incrementAndGet();
                try {
                    testServer.responder.get().respond(exchange);
                } finally {
                    exchange.close();
                }
            });
            server.start();
            return testServer;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public int port() {
        return server.getAddress().getPort();
    }

    public void respondWith(Responder next) {
        responder.set(next);
    }

    /** Requests seen since the start. */
    public int requestCount() {
        return requests.get();
    }

    public String lastPath() {
        return lastPath.get();
    }

    public String lastHostHeader() {
        return lastHost.get();
    }

    /** The last request's headers, names as the JDK server normalises them ("Cookie", "User-agent"). */
    public Map<String, List<String>> lastRequestHeaders() {
        return lastHeaders.get();
    }

    /** The last request's method (GET, POST, ...). */
    public String lastMethod() {
        return lastMethod.get();
    }

    /** The last request's body, as received (empty for none). */
    public byte[] lastRequestBody() {
        return lastBody.get().clone();
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }

    // ---- responders ----

    /** 200 with a Content-Length. */
    public static Responder ok(String contentType, String body) {
        return status(200, contentType, body);
    }

    /** {@code status} with a Content-Length. */
    public static Responder status(int status, String contentType, String body) {
        return exchange -> {
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            if (contentType != null) {
                exchange.getResponseHeaders().set("Content-Type", contentType);
            }
            exchange.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        };
    }

    /** 200 sent with chunked transfer coding, {@code chunkSize} bytes at a time. */
    public static Responder chunked(String contentType, byte[] body, int chunkSize) {
        return exchange -> {
            exchange.getResponseHeaders().set("Content-Type", contentType);
            exchange.sendResponseHeaders(200, 0);
            try (OutputStream out = exchange.getResponseBody()) {
                for (int offset = 0; offset < body.length; offset += chunkSize) {
                    out.write(body, offset, Math.min(chunkSize, body.length - offset));
                    out.flush();
                }
            }
        };
    }

    /** A redirect to {@code location}. */
    public static Responder redirect(int status, String location) {
        return exchange -> {
            exchange.getResponseHeaders().set("Location", location);
            exchange.sendResponseHeaders(status, -1);
        };
    }

    /** Sends nothing at all for {@code stall}, then 404. */
    public static Responder stallBeforeHeaders(Duration stall) {
        return exchange -> {
            sleep(stall);
            exchange.sendResponseHeaders(404, -1);
        };
    }

    /** Sends headers and then one byte of a valid-looking body every {@code interval}, forever. */
    public static Responder drip(String contentType, Duration interval) {
        return exchange -> {
            exchange.getResponseHeaders().set("Content-Type", contentType);
            exchange.sendResponseHeaders(200, 0);
            try (OutputStream out = exchange.getResponseBody()) {
                byte[] line = "version: STSv1\n".getBytes(StandardCharsets.US_ASCII);
                for (int i = 0; ; i = (i + 1) % line.length) {
                    out.write(line[i]);
                    out.flush();
                    sleep(interval);
                }
            }
        };
    }

    /** {@code status}, then a body that never ends, as fast as the client reads it; over when the client hangs up. */
    public static Responder endlessBody(int status, String contentType) {
        return exchange -> {
            exchange.getResponseHeaders().set("Content-Type", contentType);
            exchange.sendResponseHeaders(status, 0);
            byte[] chunk = new byte[8192];
            Arrays.fill(chunk, (byte) 'x');
            try (OutputStream out = exchange.getResponseBody()) {
                while (!Thread.currentThread().isInterrupted()) {
                    out.write(chunk);
                }
            }
        };
    }

    /** A 200 that also sets a cookie, to see whether the client sends it back. */
    public static Responder withCookie(Responder responder) {
        return exchange -> {
            exchange.getResponseHeaders().add("Set-Cookie", "session=tracked; Path=/; Secure");
            responder.respond(exchange);
        };
    }

    /** Closes the connection without any response. */
    public static Responder hangUp() {
        return exchange -> {
            throw new IOException("hanging up on purpose");
        };
    }

    /**
     * One server as the MTA-STS policy host of many domains: the answer for the domain whose
     * {@code mta-sts.<domain>} the request's Host header names, as {@code policies} gives it.
     */
    public static Responder byPolicyDomain(Function<String, Responder> policies) {
        return exchange -> {
            String host = exchange.getRequestHeaders().getFirst("Host").replaceFirst(":\\d+$", "");
            policies.apply(host.substring("mta-sts.".length())).respond(exchange);
        };
    }

    public static Responder notFound() {
        return status(404, "text/plain", "not found");
    }

    private static void sleep(Duration duration) {
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new UncheckedIOException(new IOException("server stopped"));
        }
    }
}
