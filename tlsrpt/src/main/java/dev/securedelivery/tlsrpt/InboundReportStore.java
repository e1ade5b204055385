package dev.securedelivery.tlsrpt;

import dev.securedelivery.peertext.PeerText;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * The TLS reports other MTAs sent about mail to our domains (RFC 8460 5.3), kept: on this node's
 * disk, or in a store the nodes of a cluster share, where the report one node took is every node's.
 * A report is known by its organization and its {@code report-id} (RFC 8460 4.4): the same report sent
 * twice, or to two nodes, is kept once. Bounded in age, count and bytes.
 */
public interface InboundReportStore {
    /** What became of a report handed to {@link #store}. */
    enum Outcome {
        /** Kept. */
        STORED,
        /** A report with its organization and ID is kept already: not counted twice. */
        DUPLICATE,
        /** Larger alone than the store's bound: not kept. */
        TOO_LARGE
    }

    /** Keeps {@code report}, received now, unless it is kept already. */
    Outcome store(ReceivedReport report) throws IOException;

    /**
     * The reports kept whose period overlaps [{@code from}, {@code to}], oldest period first; with
     * {@code policyDomain}, only reports with a policy for it (lower-case A-label), and of those only
     * its policies.
     */
    List<InboundReport> list(Instant from, Instant to, Optional<String> policyDomain) throws IOException;

    /** As {@link #list(Instant, Instant, Optional)}, every policy domain. */
    default List<InboundReport> list(Instant from, Instant to) throws IOException {
        return list(from, to, Optional.empty());
    }

    /** The reports kept now. */
    int size() throws IOException;

    /** {@code report} with only its policies for {@code domain}. */
    static ReceivedReport only(ReceivedReport report, String domain) {
        List<ReceivedPolicy> policies = new ArrayList<>();
        for (ReceivedPolicy policy : report.policies()) {
            if (policy.policy().policyDomain().equals(domain)) {
                policies.add(policy);
            }
        }
        return report.withPolicies(policies);
    }

    /** A one-line description of {@code report} for a log: who, which ID, which domains, the counts. */
    static String describe(ReceivedReport report) {
        Set<String> domains = new TreeSet<>();
        report.policies().forEach(policy -> domains.add(policy.policy().policyDomain()));
        return PeerText.clean(
                report.organizationName() + " report " + report.reportId() + " for " + String.join(",", domains) + " ("
                        + report.start() + " to " + report.end() + "): " + report.successfulSessions()
                        + " successful, " + report.failedSessions() + " failed session(s)",
                1000);
    }
}
