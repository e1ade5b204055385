package dev.securedelivery.cli;

import dev.securedelivery.configuration.ConfigurationException;
import dev.securedelivery.configuration.PolicyEngineConfiguration;
import dev.securedelivery.mtasts.FetchListener;
import dev.securedelivery.owndomains.Fixes;
import dev.securedelivery.policy.DeliveryPlan;
import dev.securedelivery.policy.DeliveryPolicy;
import dev.securedelivery.policy.DomainName;
import dev.securedelivery.policy.MxHostPlan;
import dev.securedelivery.policy.PlanViews;
import dev.securedelivery.smtp.DeliveryAttempt;
import dev.securedelivery.smtp.SmtpClient;
import dev.securedelivery.smtp.SmtpLimits;
import dev.securedelivery.smtp.SmtpSettings;
import dev.securedelivery.tlsrpt.ResultType;
import java.io.IOException;
import java.net.InetAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import javax.net.ssl.X509TrustManager;

/** {@code check} (the plan, as the mailet would use it) and {@code probe} (the plan, then each MX). */
final class Plans {
    private static final long PLAN_TIMEOUT_SECONDS = 120;

    private Plans() {}

    static Report run(String command, String argument, PolicyEngineConfiguration configuration, int smtpPort)
            throws SecureDeliveryCli.InvalidInputException {
        String domain = SecureDeliveryCli.domainArgument(argument);
        Report report = new Report(command, domain);
        Clock clock = Clock.systemUTC();
        try (DeliveryPolicy policy = configuration.deliveryPolicy(clock, FetchListener.NONE)) {
            DeliveryPlan plan;
            try {
                plan = policy.plan(DomainName.of(domain)).get(PLAN_TIMEOUT_SECONDS, TimeUnit.SECONDS);
            } catch (ExecutionException | TimeoutException e) {
                return report.lookupFailure(domain, "no plan could be made: " + e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return report.lookupFailure(domain, "interrupted");
            }
            report.data("plan", PlanViews.plan(plan));
            describe(plan, report);
            if (command.equals("probe") && plan.outcome() == DeliveryPlan.Outcome.DELIVER) {
                probe(plan, configuration, smtpPort, clock, report);
            }
            return report;
        } catch (ConfigurationException e) {
            throw new SecureDeliveryCli.InvalidInputException(e.getMessage());
        } catch (IOException e) {
            throw new SecureDeliveryCli.InvalidInputException("cannot start the engine: " + e.getMessage());
        }
    }

    private static void describe(DeliveryPlan plan, Report report) {
        String domain = plan.domain();
        switch (plan.outcome()) {
            case DELIVER:
                report.ok("plan", plan.explain());
                break;
            case DEFER:
                if (plan.failureType().isPresent() || !plan.hosts().isEmpty()) {
                    report.problem(
                            domain,
                            "mail waits: " + plan.reason().orElse("") + " (" + plan.explain() + ")",
                            Fixes.forExclusion(plan.failureType().orElse(null)));
                } else {
                    report.lookupFailure(domain, "mail waits: " + plan.reason().orElse(""));
                }
                break;
            case NO_SUCH_DOMAIN:
                report.problem(domain, plan.reason().orElse("no such domain"), "check the domain's name");
                break;
            default:
                report.problem(domain, "accepts no mail: " + plan.reason().orElse("null MX (RFC 7505)"), null);
        }
        for (MxHostPlan host : plan.hosts()) {
            if (!host.isExcluded()) {
                report.ok(
                        host.host(),
                        "preference " + host.preference() + ", requirement "
                                + host.requirement().map(Object::toString).orElse("") + " (" + host.rule() + ")");
            } else if (host.exclusionType().isPresent()) {
                report.problem(
                        host.host(),
                        "not used: " + host.exclusion().orElse(""),
                        Fixes.forExclusion(host.exclusionType().get()));
            } else {
                report.info(host.host(), "not used: " + host.exclusion().orElse(""));
            }
        }
    }

    private static void probe(
            DeliveryPlan plan, PolicyEngineConfiguration configuration, int smtpPort, Clock clock, Report report) {
        SmtpClient client = smtpClient(configuration.pkixTrustManager(), smtpPort, clock);
        List<String> attempts = new ArrayList<>();
        for (MxHostPlan host : plan.usableHosts()) {
            for (InetAddress address : host.addresses()) {
                DeliveryAttempt attempt = client.probe(host, address);
                attempts.add(attempt.describe());
                String about = host.host() + " [" + address.getHostAddress() + "]";
                if (attempt.outcome() == DeliveryAttempt.Outcome.SECURED) {
                    report.ok(
                            about,
                            attempt.tlsProtocol()
                                            .map(protocol -> protocol + " "
                                                    + attempt.cipherSuite().orElse(""))
                                            .orElse("no TLS")
                                    + ", authenticated: "
                                    + attempt.authentication());
                } else {
                    ResultType type = attempt.resultType().orElse(null);
                    report.problem(
                            about,
                            attempt.detail() + (type == null ? "" : " (" + type.reportName() + ")"),
                            Fixes.forType(type));
                }
            }
        }
        report.data("attempts", attempts);
    }

    /** The mailet's SMTP client, as the tool connects with it: no trace header, this host's name in EHLO. */
    static SmtpClient smtpClient(X509TrustManager pkix, int smtpPort, Clock clock) {
        SmtpSettings settings = SmtpSettings.of(localName())
                .withPort(smtpPort)
                .withLimits(SmtpLimits.DEFAULT
                        .withConnectTimeout(Duration.ofSeconds(10))
                        .withReadTimeout(Duration.ofSeconds(30))
                        .withWriteTimeout(Duration.ofSeconds(30))
                        .withSessionLimit(Duration.ofMinutes(2)));
        return new SmtpClient(settings, pkix, clock);
    }

    private static String localName() {
        try {
            return InetAddress.getLocalHost().getCanonicalHostName();
        } catch (IOException e) {
            return "localhost";
        }
    }
}
