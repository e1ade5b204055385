package dev.securedelivery.delivery;

import java.io.IOException;
import java.time.Instant;
import java.util.Collections;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The {@link DeliveryOutcomes} of every node, each as that node counted it since it started: this
 * node's alone ({@link #thisNodeOnly}), or those of every node sharing a store, so that any node's
 * WebAdmin shows the cluster's. Reading may fail ({@link IOException}) when a shared store cannot be
 * reached.
 */
public interface OutcomesByNode {
    /** Every node's outcomes, by node name; this node's as they are now. */
    SortedMap<String, NodeOutcomes> read() throws IOException;

    /** One node's outcomes, since it started. */
    final class NodeOutcomes {
        private final Instant since;
        private final SortedMap<String, DeliveryOutcomes.DomainOutcomes> domains;

        public NodeOutcomes(Instant since, Map<String, DeliveryOutcomes.DomainOutcomes> domains) {
            this.since = since;
            this.domains = Collections.unmodifiableSortedMap(new TreeMap<>(domains));
        }

        /** When the node started counting. */
        public Instant since() {
            return since;
        }

        /** Its counts, by destination domain. */
        public SortedMap<String, DeliveryOutcomes.DomainOutcomes> domains() {
            return domains;
        }
    }

    /** Where the node works alone: its own outcomes, under its name. */
    static OutcomesByNode thisNodeOnly(String node, DeliveryOutcomes outcomes) {
        return () -> new TreeMap<>(Map.of(node, new NodeOutcomes(outcomes.since(), outcomes.all())));
    }

    /** The nodes' counts added up, by destination domain. */
    static SortedMap<String, DeliveryOutcomes.DomainOutcomes> total(Map<String, NodeOutcomes> nodes) {
        SortedMap<String, DeliveryOutcomes.DomainOutcomes> total = new TreeMap<>();
        for (NodeOutcomes node : nodes.values()) {
            node.domains()
                    .forEach((domain, counts) -> total.merge(domain, counts, DeliveryOutcomes.DomainOutcomes::plus));
        }
        return total;
    }
}
