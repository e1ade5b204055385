package dev.securedelivery.dns;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import org.xbill.DNS.EDNSOption;
import org.xbill.DNS.Message;
import org.xbill.DNS.Resolver;
import org.xbill.DNS.TSIG;

/**
 * An upstream that answers every query at once with the next of the given wire messages (the last
 * again when they run out), parsed by dnsjava as a response from the network is: what dnsjava
 * cannot parse fails the query, as it does in {@code SimpleResolver}. No socket, so that millions
 * of responses can be classified.
 */
final class WireUpstream implements Resolver {
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
    public CompletionStage<Message> sendAsync(Message query) {
        byte[] wire = responses.get(Math.min(queries, responses.size() - 1));
        queries++;
        try {
            return CompletableFuture.completedFuture(new Message(wire));
        } catch (IOException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    @Override
    public CompletionStage<Message> sendAsync(Message query, Executor executor) {
        return sendAsync(query);
    }

    @Override
    public void setPort(int port) {
    }

    @Override
    public void setTCP(boolean flag) {
    }

    @Override
    public void setIgnoreTruncation(boolean flag) {
    }

    @Override
    public void setEDNS(int version, int payloadSize, int flags, List<EDNSOption> options) {
    }

    @Override
    public void setTSIGKey(TSIG key) {
    }

    @Override
    public void setTimeout(Duration timeout) {
    }
}
