package dev.securedelivery.cli;

import dev.securedelivery.configuration.ConfigurationException;
import dev.securedelivery.configuration.PolicyEngineConfiguration;
import dev.securedelivery.dns.DnsResolver;
import dev.securedelivery.owndomains.DomainCheck;
import dev.securedelivery.owndomains.Finding;
import dev.securedelivery.owndomains.Findings;
import java.time.Clock;

/**
 * {@code verify DOMAIN}: the domain owner's view of their set-up, as senders will see it ({@link
 * DomainCheck}): the {@code _mta-sts} record (RFC 8461 3.1), the policy fetch and its validity (3.2,
 * 3.3) and its host's certificate, every MX covered by the policy (4.1), each MX's certificate (name,
 * chain, expiry, PKIX), its TLSA records against what it presents (RFC 7672 3), and the {@code
 * _smtp._tls} records (RFC 8460 3). A warning (a certificate about to expire) counts as a problem in
 * the exit code: it will be one.
 */
final class Verify {
    private Verify() {}

    static Report run(String argument, PolicyEngineConfiguration configuration, int smtpPort)
            throws SecureDeliveryCli.InvalidInputException {
        String domain = SecureDeliveryCli.domainArgument(argument);
        Clock clock = Clock.systemUTC();
        DnsResolver dns;
        try {
            dns = configuration.dnsResolver(clock);
        } catch (ConfigurationException e) {
            throw new SecureDeliveryCli.InvalidInputException(e.getMessage());
        }
        DomainCheck check = DomainCheck.builder(
                        dns,
                        configuration.mtaStsFetcher(dns),
                        configuration.pkixTrustManager(),
                        Plans.smtpClient(configuration.pkixTrustManager(), smtpPort, clock))
                .clock(clock)
                .build();
        return report("verify", check.check(domain));
    }

    /** {@code findings} as the command line's report. */
    static Report report(String command, Findings findings) {
        Report report = new Report(command, findings.domain());
        for (Finding finding : findings.all()) {
            String fix = finding.fix().orElse(null);
            switch (finding.severity()) {
                case OK:
                    report.ok(finding.about(), finding.message());
                    break;
                case INFO:
                    report.info(finding.about(), finding.message(), fix);
                    break;
                case WARNING:
                    report.warning(finding.about(), finding.message(), fix);
                    break;
                case PROBLEM:
                    report.problem(finding.about(), finding.message(), fix);
                    break;
                default:
                    report.lookupFailure(finding.about(), finding.message());
            }
        }
        return report;
    }
}
