package dev.securedelivery.webadmin;

import dev.securedelivery.mailet.SecureDeliveryEngine;
import dev.securedelivery.mtasts.DomainNames;
import dev.securedelivery.mtasts.MtaStsMode;
import dev.securedelivery.owndomains.Finding;
import dev.securedelivery.owndomains.PublishedRecords;
import dev.securedelivery.owndomains.SelfCheck;
import dev.securedelivery.owndomains.SmtpServerKeystore;
import dev.securedelivery.peertext.PeerText;
import dev.securedelivery.selfcheck.OwnDomainsWatch;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.james.webadmin.utils.JsonTransformer;
import spark.Request;
import spark.Service;

/**
 * Our own domains in WebAdmin:
 *
 * <pre>
 * GET  /secure-delivery/own-domains                    the last self-check of every domain of the domain list
 * GET  /secure-delivery/own-domains/{domain}           one domain's (404 if not checked)
 * POST /secure-delivery/own-domains/check              check every domain now, then the same as GET
 * GET  /secure-delivery/own-domains/{domain}/records   what to publish (?mx=a,b, ?mode=testing|enforce)
 * </pre>
 */
final class OwnDomainsRoutes {
    static final String PATH = SecureDeliveryRoutes.BASE + "/own-domains";

    private final SecureDeliveryEngine engine;
    private final JsonTransformer json;

    OwnDomainsRoutes(SecureDeliveryEngine engine, JsonTransformer json) {
        this.engine = engine;
        this.json = json;
    }

    void define(Service service) {
        service.get(PATH, (request, response) -> all(), json);
        service.post(
                PATH + "/check",
                (request, response) -> {
                    watch().checkNow();
                    return all();
                },
                json);
        service.get(PATH + "/:domain", (request, response) -> one(domain(request)), json);
        service.get(PATH + "/:domain/records", (request, response) -> records(request), json);
    }

    private OwnDomainsWatch watch() {
        return engine.ownDomains()
                .orElseThrow(() -> SecureDeliveryRoutes.notFound("The self-check of our domains has not started"));
    }

    private Map<String, Object> all() {
        OwnDomainsWatch watch = watch();
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("checking", watch.isOn());
        List<Map<String, Object>> domains = new ArrayList<>();
        watch.results().forEach((domain, result) -> domains.add(view(domain, result)));
        view.put("domains", domains);
        return view;
    }

    private Map<String, Object> one(String domain) {
        SelfCheck.Result result = watch().results().get(domain);
        if (result == null) {
            throw SecureDeliveryRoutes.notFound("No self-check of " + domain + " (not in the domain list, or not yet)");
        }
        return view(domain, result);
    }

    static Map<String, Object> view(String domain, SelfCheck.Result result) {
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("domain", domain);
        view.put("checkedAt", result.checkedAt().toString());
        view.put("worst", result.findings().worst().label());
        view.put(
                "firstExpiry",
                result.findings().firstExpiry().map(Object::toString).orElse(null));
        List<Map<String, Object>> findings = new ArrayList<>();
        for (Finding finding : result.findings().all()) {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("severity", finding.severity().label());
            row.put("about", finding.about());
            row.put("host", finding.host().orElse(null));
            row.put(
                    "resultType",
                    finding.resultType().map(type -> type.reportName()).orElse(null));
            row.put("message", finding.message());
            row.put("fix", finding.fix().orElse(null));
            findings.add(row);
        }
        view.put("findings", findings);
        return view;
    }

    private Map<String, Object> records(Request request) {
        String domain = domain(request);
        List<X509Certificate> held;
        try {
            held = watch().heldCertificate();
        } catch (SmtpServerKeystore.UnreadableException e) {
            throw SecureDeliveryRoutes.badRequest("James's SMTP keystore cannot be read: " + e.getMessage());
        }
        List<String> mx = new ArrayList<>();
        String listed = request.queryParams("mx");
        if (listed != null && !listed.isBlank()) {
            for (String host : listed.split(",")) {
                String normalized = DomainNames.normalize(host.trim());
                if (normalized == null) {
                    throw SecureDeliveryRoutes.badRequest("mx: not a host name: " + PeerText.clean(host, 300));
                }
                mx.add(normalized);
            }
        } else {
            try {
                mx = PublishedRecords.mxHostsOf(domain, engine.policy().dns());
            } catch (IllegalArgumentException e) {
                throw SecureDeliveryRoutes.badRequest(e.getMessage() + " in ?mx=");
            }
        }
        String mode = Optional.ofNullable(request.queryParams("mode")).orElse("testing");
        if (!mode.equals("testing") && !mode.equals("enforce")) {
            throw SecureDeliveryRoutes.badRequest("mode: testing or enforce, got " + PeerText.clean(mode, 64));
        }
        PublishedRecords records = PublishedRecords.of(
                domain,
                mx,
                held.get(0),
                Optional.empty(),
                "tlsrpt@" + domain,
                mode.equals("enforce") ? MtaStsMode.ENFORCE : MtaStsMode.TESTING,
                engine.clock().instant());
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("domain", domain);
        view.put("id", records.id());
        view.put("zone", records.zoneFile());
        view.put("policy", records.policyText());
        view.put("steps", records.steps());
        view.put("keyValidUntil", held.get(0).getNotAfter().toInstant().toString());
        view.put(
                "keyValidDays",
                Duration.between(
                                engine.clock().instant(),
                                held.get(0).getNotAfter().toInstant())
                        .toDays());
        return view;
    }

    private static String domain(Request request) {
        String raw = request.params("domain");
        String domain = DomainNames.normalize(raw);
        if (domain == null) {
            throw SecureDeliveryRoutes.badRequest("Not a domain name: " + PeerText.clean(raw, 300));
        }
        return domain;
    }
}
