package dev.securedelivery.benchmarks;

import dev.securedelivery.testing.InMemoryUpstream;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.Section;

/**
 * A validating resolver's answers for tens of thousands of names, each after a fixed delay, as a
 * nearby resolver would give them: records looked up by name and type in a hash map (the test
 * fixtures' {@code InMemoryDns} scans every record for every query, which at 10,000 domains
 * measures the scan, not the engine), every answer authenticated (AD), a name with records of
 * other types answered with NODATA, any other name with NXDOMAIN. Answers are completed on the
 * common pool, where dnsjava's own resolvers complete theirs unless told otherwise.
 */
final class DelayedDns extends InMemoryUpstream {
    private static final Name ZONE = Name.fromConstantString("example.");

    private final Map<String, List<Record>> records = new ConcurrentHashMap<>();
    private final Set<String> names = ConcurrentHashMap.newKeySet();
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(runnable -> {
        Thread thread = new Thread(runnable, "delayed-dns");
        thread.setDaemon(true);
        return thread;
    });
    private final long delayMillis;

    DelayedDns(Duration delay) {
        this.delayMillis = delay.toMillis();
    }

    /** Adds a record in zone-file syntax: owner, type and rdata. */
    DelayedDns add(String owner, int type, String rdata) {
        try {
            Record record = Record.fromString(Name.fromString(owner), type, DClass.IN, 3600, rdata, Name.root);
            records.computeIfAbsent(key(record.getName(), type), k -> new ArrayList<>())
                    .add(record);
            names.add(record.getName().toString().toLowerCase(Locale.ROOT));
            return this;
        } catch (IOException e) {
            throw new IllegalArgumentException(owner + " " + rdata, e);
        }
    }

    @Override
    public CompletionStage<Message> sendAsync(Message query) {
        return sendAsync(query, ForkJoinPool.commonPool());
    }

    // Completed on the caller's executor, as dnsjava's own resolvers do.
    @Override
    public CompletionStage<Message> sendAsync(Message query, Executor executor) {
        Message response = answer(query);
        CompletableFuture<Message> answer = new CompletableFuture<>();
        timer.schedule(() -> executor.execute(() -> answer.complete(response)), delayMillis, TimeUnit.MILLISECONDS);
        return answer;
    }

    private Message answer(Message query) {
        Record question = query.getQuestion();
        Message response = new Message(query.getHeader().getID());
        response.getHeader().setFlag(Flags.QR);
        response.getHeader().setFlag(Flags.RA);
        response.getHeader().setFlag(Flags.AD);
        response.addRecord(question, Section.QUESTION);
        List<Record> found = records.get(key(question.getName(), question.getType()));
        if (found != null) {
            found.forEach(record -> response.addRecord(record, Section.ANSWER));
            return response;
        }
        if (!names.contains(question.getName().toString().toLowerCase(Locale.ROOT))) {
            response.getHeader().setRcode(Rcode.NXDOMAIN);
        }
        response.addRecord(
                new SOARecord(
                        ZONE,
                        DClass.IN,
                        300,
                        Name.fromConstantString("ns.example."),
                        Name.fromConstantString("hostmaster.example."),
                        1,
                        3600,
                        600,
                        86400,
                        300),
                Section.AUTHORITY);
        return response;
    }

    private static String key(Name name, int type) {
        return name.toString().toLowerCase(Locale.ROOT) + "/" + type;
    }

    @Override
    public String toString() {
        return "DelayedDns";
    }
}
