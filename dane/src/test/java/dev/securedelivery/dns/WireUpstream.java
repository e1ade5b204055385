package dev.securedelivery.dns;

import dev.securedelivery.testing.InMemoryUpstream;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import org.xbill.DNS.Message;

/**
 * An upstream that answers every query at once with the next of the given wire messages (the last
 * again when they run out), parsed by dnsjava as a response from the network is: what dnsjava
 * cannot parse fails the query, as it does in {@code SimpleResolver}. No socket, so that millions
 * of responses can be classified.
 */
final class WireUpstream extends InMemoryUpstream {
    private final List<byte[]> responses;
    private int queries;

    WireUpstream(List<byte[]> responses) {
        if (responses.isEmpty()) {
            throw new IllegalArgumentException("no response");
        }
        this.responses = responses;
    }

    /** How many queries were sent. */
    int queries() {
        return queries;
    }

    @Override
    public CompletionStage<Message> sendAsync(Message query, Executor executor) {
        byte[] wire = responses.get(Math.min(queries, responses.size() - 1));
        queries++;
        try {
            return CompletableFuture.completedFuture(new Message(wire));
        } catch (IOException e) {
            return CompletableFuture.failedFuture(e);
        }
    }
}
