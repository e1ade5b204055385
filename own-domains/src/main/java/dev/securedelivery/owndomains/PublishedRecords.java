package dev.securedelivery.owndomains;

import dev.securedelivery.dane.TlsaRecord;
import dev.securedelivery.dns.DnsAnswer;
import dev.securedelivery.dns.DnsResolver;
import dev.securedelivery.dns.DnsStatus;
import dev.securedelivery.mtasts.DomainNames;
import dev.securedelivery.mtasts.MtaStsFetcher;
import dev.securedelivery.mtasts.MtaStsMode;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.xbill.DNS.MXRecord;
import org.xbill.DNS.Type;

/**
 * What a domain must publish for senders to protect the mail they send it, from its MX host names
 * and the certificate its SMTP server presents: the MTA-STS record with a fresh {@code id} and the
 * policy text (RFC 8461 3.1, 3.2), {@code testing} first; a TLSA {@code 3 1 1} record per MX host
 * (RFC 7672 3.1.1), for the current key and, during a key change, the next one beside it; and the
 * TLS-RPT record (RFC 8460 3) asking for reports by mail. The records are in zone-file syntax, to be
 * pasted as they are.
 */
public final class PublishedRecords {
    /** The TTL the records are written with: an hour, so that a mistake lasts an hour at most. */
    public static final long TTL = 3600;
    /** max_age of a testing policy: a day, so that the switch to enforce reaches senders soon. */
    public static final long TESTING_MAX_AGE = 86_400;
    /** max_age of an enforce policy: two weeks (RFC 8461 3.2 suggests weeks). */
    public static final long ENFORCE_MAX_AGE = 1_209_600;

    private static final DateTimeFormatter ID =
            DateTimeFormatter.ofPattern("yyyyMMddHHmmss").withZone(ZoneOffset.UTC);

    private final String domain;
    private final List<String> mxHosts;
    private final X509Certificate current;
    private final X509Certificate next;
    private final String reportAddress;
    private final MtaStsMode mode;
    private final String id;

    private PublishedRecords(
            String domain,
            List<String> mxHosts,
            X509Certificate current,
            X509Certificate next,
            String reportAddress,
            MtaStsMode mode,
            String id) {
        this.domain = domain;
        this.mxHosts = List.copyOf(mxHosts);
        this.current = current;
        this.next = next;
        this.reportAddress = reportAddress;
        this.mode = mode;
        this.id = id;
    }

    /**
     * The records of {@code domain} (lower-case A-labels), whose MX hosts are {@code mxHosts} and present
     * {@code current}; {@code next}, if given, is the key to change to; reports go to {@code
     * reportAddress}; the policy is in {@code mode} ({@code testing} or {@code enforce}) with an {@code id}
     * made of {@code now}.
     */
    public static PublishedRecords of(
            String domain,
            List<String> mxHosts,
            X509Certificate current,
            Optional<X509Certificate> next,
            String reportAddress,
            MtaStsMode mode,
            Instant now) {
        if (mxHosts.isEmpty()) {
            throw new IllegalArgumentException("no MX host for " + domain);
        }
        if (mode == MtaStsMode.NONE) {
            throw new IllegalArgumentException("a policy to publish is testing or enforce");
        }
        return new PublishedRecords(
                domain,
                mxHosts,
                Objects.requireNonNull(current, "current"),
                next.orElse(null),
                reportAddress,
                mode,
                ID.format(now));
    }

    /**
     * The MX host names of {@code domain} as DNS has them now, by preference, for a domain whose MX
     * records are published already.
     *
     * @throws IllegalArgumentException with why, when they cannot be had or there are none
     */
    public static List<String> mxHostsOf(String domain, DnsResolver dns) {
        DnsAnswer answer = dns.lookupNow(DomainCheck.name(domain), Type.MX);
        if (answer.status() == DnsStatus.FAILED || answer.status() == DnsStatus.BOGUS) {
            throw new IllegalArgumentException("the MX records of " + domain + " cannot be had ("
                    + answer.failureReason() + "): name the MX hosts");
        }
        List<MXRecord> records = new ArrayList<>(answer.records(MXRecord.class));
        records.sort(Comparator.comparingInt(MXRecord::getPriority));
        List<String> hosts = new ArrayList<>();
        for (MXRecord record : records) {
            String host = DomainNames.normalize(record.getTarget().toString(true));
            if (host != null) {
                hosts.add(host);
            }
        }
        if (hosts.isEmpty()) {
            throw new IllegalArgumentException(domain + " has no MX records yet: name its MX hosts");
        }
        return hosts;
    }

    /** The policy's id: the time it was made, UTC, a new one at every change (RFC 8461 3.1). */
    public String id() {
        return id;
    }

    /** The TLSA records per MX host: the current key's, and the next key's during a change. */
    public Map<String, List<TlsaRecord>> tlsa() {
        Map<String, List<TlsaRecord>> records = new LinkedHashMap<>();
        for (String host : mxHosts) {
            List<TlsaRecord> host311 = new ArrayList<>(List.of(TlsaRollover.record(current)));
            if (next != null && !TlsaRollover.record(next).equals(host311.get(0))) {
                host311.add(TlsaRollover.record(next));
            }
            records.put(host, host311);
        }
        return records;
    }

    /** The policy file, served at {@code https://mta-sts.<domain>/.well-known/mta-sts.txt}. */
    public String policyText() {
        StringBuilder policy = new StringBuilder("version: STSv1\r\n");
        policy.append("mode: ")
                .append(mode == MtaStsMode.ENFORCE ? "enforce" : "testing")
                .append("\r\n");
        for (String host : mxHosts) {
            policy.append("mx: ").append(host).append("\r\n");
        }
        policy.append("max_age: ")
                .append(mode == MtaStsMode.ENFORCE ? ENFORCE_MAX_AGE : TESTING_MAX_AGE)
                .append("\r\n");
        return policy.toString();
    }

    /** The DNS records, in zone-file syntax, with a comment line before each group. */
    public String zoneFile() {
        StringBuilder zone = new StringBuilder();
        zone.append("; MTA-STS (RFC 8461): serve the policy below at ")
                .append(MtaStsFetcher.policyUrl(domain))
                .append(" (a certificate for mta-sts.")
                .append(domain)
                .append(" from a public CA), then publish its id\n");
        zone.append("_mta-sts.")
                .append(domain)
                .append(". ")
                .append(TTL)
                .append(" IN TXT \"v=STSv1; id=")
                .append(id)
                .append("\"\n");
        zone.append(
                "; TLS-RPT (RFC 8460): senders' daily reports of their TLS sessions to you (DANE ones to the MX host's name)\n");
        zone.append("_smtp._tls.")
                .append(domain)
                .append(". ")
                .append(TTL)
                .append(" IN TXT \"v=TLSRPTv1; rua=mailto:")
                .append(reportAddress)
                .append("\"\n");
        for (String host : mxHosts) {
            if (host.endsWith("." + domain)) {
                // RFC 8460 4.4: DANE reports go to the TLSA base domain, the MX host's own name.
                zone.append("_smtp._tls.")
                        .append(host)
                        .append(". ")
                        .append(TTL)
                        .append(" IN TXT \"v=TLSRPTv1; rua=mailto:")
                        .append(reportAddress)
                        .append("\"\n");
            }
        }
        zone.append("; DANE (RFC 7672): in a DNSSEC-signed zone; 3 1 1 is the SHA-256 of the server's key")
                .append(next == null ? "" : ", the current key's and the next one's")
                .append('\n');
        for (Map.Entry<String, List<TlsaRecord>> host : tlsa().entrySet()) {
            for (TlsaRecord record : host.getValue()) {
                zone.append("_25._tcp.")
                        .append(host.getKey())
                        .append(". ")
                        .append(TTL)
                        .append(" IN TLSA ")
                        .append(record.toPresentation())
                        .append('\n');
            }
        }
        return zone.toString();
    }

    /** What to do, in order: the records, the policy, the wait, and what must hold before enforce. */
    public List<String> steps() {
        List<String> steps = new ArrayList<>();
        steps.add("Publish the TLSA records (DNSSEC-signed zone) and the TLS-RPT record.");
        steps.add("Serve the policy at " + MtaStsFetcher.policyUrl(domain) + ", then publish the _mta-sts record.");
        if (next != null) {
            steps.add("Key change: wait " + TTL + " s (the TLSA TTL) after both TLSA records are seen, then put the"
                    + " next key in service; once it is, remove the current key's record (RFC 7671 8.1).");
        }
        if (mode == MtaStsMode.TESTING) {
            steps.add("Watch the TLS reports for a week (mode testing: senders report, still deliver). Before"
                    + " enforce: no failure in the reports, the self-check clean for every MX, every MX host named in"
                    + " the policy, each presenting a certificate from a public CA that names it.");
            steps.add(
                    "Then publish the policy with mode: enforce and max_age: " + ENFORCE_MAX_AGE + " under a new id.");
        }
        steps.add("Every change to the policy needs a new id (RFC 8461 3.1); every new key a TLSA record first.");
        return steps;
    }

    @Override
    public String toString() {
        return zoneFile();
    }
}
