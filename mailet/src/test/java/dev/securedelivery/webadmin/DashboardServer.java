package dev.securedelivery.webadmin;

import dev.securedelivery.dashboard.DashboardSource;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import spark.Service;

/** The dashboard route alone, in a spark Service on 127.0.0.1 (as WebAdmin serves it), for tests. */
final class DashboardServer implements AutoCloseable {
    /** The day the tests' clock shows: the day after the sample month. */
    static final Instant NOW = Instant.parse("2026-12-01T06:30:00Z");

    private final Service service;

    DashboardServer(DashboardSource source) {
        service = Service.ignite().ipAddress("127.0.0.1").port(0);
        new DashboardRoute(source, Clock.fixed(NOW, ZoneOffset.UTC)).define(service);
        service.init();
        service.awaitInitialization();
    }

    /** {@code path} on this server, e.g. {@code /secure-delivery/dashboard}. */
    String url(String path) {
        return "http://127.0.0.1:" + service.port() + path;
    }

    @Override
    public void close() {
        service.stop();
        service.awaitStop();
    }
}
