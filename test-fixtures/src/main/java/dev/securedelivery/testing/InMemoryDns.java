package dev.securedelivery.testing;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.xbill.DNS.CNAMERecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.ExtendedErrorCodeOption;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.TXTRecord;
import org.xbill.DNS.TextParseException;
import org.xbill.DNS.Type;

/**
 * A DNS upstream inside the JVM: answers from records the test adds, like a recursive resolver
 * (CNAME chains chased, NXDOMAIN and NODATA with an SOA for the negative TTL), and fails on
 * demand (SERVFAIL, no answer, an exception, a delay). Counts the queries it receives.
 */
public final class InMemoryDns extends InMemoryUpstream {
    private static final Name ZONE = name("test.");

    private final List<Record> records = new CopyOnWriteArrayList<>();
    private final Map<String, Failure> failures = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> queries = new ConcurrentHashMap<>();
    private volatile long negativeTtl = 300;
    private volatile Duration delay = Duration.ZERO;
    private volatile boolean chaseCnames = true;
    private volatile boolean authenticated;

    private final List<Record> extras = new CopyOnWriteArrayList<>();

    private enum Failure {
        SERVFAIL,
        BOGUS,
        SILENCE,
        EXCEPTION
    }

    public static Name name(String text) {
        try {
            return Name.fromString(text, Name.root);
        } catch (TextParseException e) {
            throw new IllegalArgumentException(text, e);
        }
    }

    /** Adds a record in zone-file syntax, e.g. {@code "_mta-sts.example.test. 300 IN TXT \"v=STSv1; id=1\""}. */
    public InMemoryDns add(String owner, int type, long ttl, String rdata) {
        try {
            records.add(Record.fromString(name(owner), type, DClass.IN, ttl, rdata, Name.root));
            return this;
        } catch (IOException e) {
            throw new IllegalArgumentException(rdata, e);
        }
    }

    public InMemoryDns add(Record record) {
        records.add(record);
        return this;
    }

    /** A TXT record of one or more character-strings, given unquoted. */
    public InMemoryDns addTxt(String owner, long ttl, String... strings) {
        records.add(new TXTRecord(name(owner), DClass.IN, ttl, List.of(strings)));
        return this;
    }

    public InMemoryDns addA(String owner, String address) {
        return add(owner, Type.A, 300, address);
    }

    /** Removes every record at {@code owner} of {@code type}. */
    public InMemoryDns remove(String owner, int type) {
        Name ownerName = name(owner);
        records.removeIf(record -> record.getName().equals(ownerName) && record.getType() == type);
        return this;
    }

    /** Queries for {@code owner} (any type) get SERVFAIL until {@link #heal(String)}. */
    public InMemoryDns servfail(String owner) {
        failures.put(key(name(owner)), Failure.SERVFAIL);
        return this;
    }

    /**
     * Queries for {@code owner} get what a validating resolver answers for a bogus RRset: SERVFAIL
     * with the extended DNS error "DNSSEC Bogus" (RFC 8914 4.7).
     */
    public InMemoryDns bogus(String owner) {
        failures.put(key(name(owner)), Failure.BOGUS);
        return this;
    }

    /** Every answer section also carries {@code record}, whatever the question (a broken or hostile server). */
    public InMemoryDns addToEveryAnswer(Record record) {
        extras.add(record);
        return this;
    }

    /** Queries for {@code owner} are never answered (the caller's timeout must end them). */
    public InMemoryDns silence(String owner) {
        failures.put(key(name(owner)), Failure.SILENCE);
        return this;
    }

    /** Queries for {@code owner} fail with the IOException dnsjava throws for an unparseable response. */
    public InMemoryDns throwOn(String owner) {
        failures.put(key(name(owner)), Failure.EXCEPTION);
        return this;
    }

    public InMemoryDns heal(String owner) {
        failures.remove(key(name(owner)));
        return this;
    }

    /** Every answer arrives after {@code delay}. */
    public InMemoryDns delay(Duration delay) {
        this.delay = delay;
        return this;
    }

    public InMemoryDns negativeTtl(long seconds) {
        this.negativeTtl = seconds;
        return this;
    }

    /** Behave like an authoritative server that does not chase CNAMEs out of the answer. */
    public InMemoryDns withoutCnameChasing() {
        this.chaseCnames = false;
        return this;
    }

    /** Set the AD flag on every answer (a validating upstream that vouches for all of them). */
    public InMemoryDns authenticated(boolean authenticated) {
        this.authenticated = authenticated;
        return this;
    }

    /** Queries received for {@code owner} and {@code type}. */
    public int queryCount(String owner, int type) {
        AtomicInteger count = queries.get(key(name(owner)) + "/" + type);
        return count == null ? 0 : count.get();
    }

    @Override
    public CompletionStage<Message> sendAsync(Message query, Executor executor) {
        Record question = query.getQuestion();
        queries.computeIfAbsent(key(question.getName()) + "/" + question.getType(), k -> new AtomicInteger())
                .incrementAndGet();
        Failure failure = failures.get(key(question.getName()));
        if (failure == Failure.SILENCE) {
            return new CompletableFuture<>();
        }
        if (failure == Failure.EXCEPTION) {
            return CompletableFuture.failedFuture(
                    new IOException(new IllegalArgumentException("DNS Rcode 51 is out of range")));
        }
        Message response;
        if (failure == Failure.SERVFAIL) {
            response = reply(query, Rcode.SERVFAIL);
        } else if (failure == Failure.BOGUS) {
            response = reply(query, Rcode.SERVFAIL);
            response.addRecord(
                    new OPTRecord(
                            1232,
                            0,
                            0,
                            0,
                            List.of(new ExtendedErrorCodeOption(
                                    ExtendedErrorCodeOption.DNSSEC_BOGUS, "signature does not verify"))),
                    Section.ADDITIONAL);
        } else {
            response = answer(query);
        }
        Duration wait = delay;
        if (wait.isZero()) {
            return CompletableFuture.completedFuture(response);
        }
        return CompletableFuture.supplyAsync(
                () -> response, CompletableFuture.delayedExecutor(wait.toMillis(), TimeUnit.MILLISECONDS, executor));
    }

    private Message answer(Message query) {
        Record question = query.getQuestion();
        Message response = reply(query, Rcode.NOERROR);
        extras.forEach(record -> response.addRecord(record, Section.ANSWER));
        Name current = question.getName();
        for (int links = 0; links < 16; links++) {
            List<Record> found = recordsAt(current, question.getType());
            if (!found.isEmpty()) {
                found.forEach(record -> response.addRecord(record, Section.ANSWER));
                return response;
            }
            List<Record> aliases = recordsAt(current, Type.CNAME);
            if (aliases.isEmpty()) {
                break;
            }
            response.addRecord(aliases.get(0), Section.ANSWER);
            current = ((CNAMERecord) aliases.get(0)).getTarget();
            if (!chaseCnames) {
                return response;
            }
        }
        if (!exists(current)) {
            response.getHeader().setRcode(Rcode.NXDOMAIN);
        }
        response.addRecord(
                new SOARecord(
                        ZONE,
                        DClass.IN,
                        negativeTtl,
                        name("ns.test."),
                        name("admin.test."),
                        1,
                        3600,
                        600,
                        86400,
                        negativeTtl),
                Section.AUTHORITY);
        return response;
    }

    private Message reply(Message query, int rcode) {
        Message response = new Message(query.getHeader().getID());
        response.getHeader().setFlag(Flags.QR);
        response.getHeader().setFlag(Flags.RA);
        if (authenticated && rcode == Rcode.NOERROR) {
            response.getHeader().setFlag(Flags.AD);
        }
        response.getHeader().setRcode(rcode);
        response.addRecord(query.getQuestion(), Section.QUESTION);
        return response;
    }

    private List<Record> recordsAt(Name owner, int type) {
        List<Record> found = new ArrayList<>();
        for (Record record : records) {
            if (record.getName().equals(owner) && record.getType() == type) {
                found.add(record);
            }
        }
        return found;
    }

    // A name exists if it owns records or has descendants that do (RFC 8020 empty non-terminals).
    private boolean exists(Name owner) {
        for (Record record : records) {
            if (record.getName().subdomain(owner)) {
                return true;
            }
        }
        return false;
    }

    private static String key(Name name) {
        return name.toString().toLowerCase(Locale.ROOT);
    }

    @Override
    public String toString() {
        return "InMemoryDns";
    }
}
