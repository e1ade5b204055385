package dev.securedelivery.dns;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.xbill.DNS.CNAMERecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.EDNSOption;
import org.xbill.DNS.ExtendedErrorCodeOption;
import org.xbill.DNS.ExtendedResolver;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Resolver;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.Type;

/**
 * Looks names up through an upstream dnsjava {@link Resolver} and classifies every outcome as a
 * {@link DnsAnswer}; no lookup ends in an exception.
 *
 * <p>CNAMEs are followed here rather than trusted to the upstream, so that only records owned by
 * a name of the chain are accepted (the relevance check whose absence was CVE-2024-25638), so
 * that every link's TTL and security status count, and so that a loop or an over-long chain ends
 * as {@link DnsStatus#FAILED}.
 *
 * <p>Whether an answer is {@link DnsStatus#SECURE} depends on who set its AD flag: only when
 * {@code adBitTrusted} is set (dnsjava's validating resolver, or a validating resolver on loopback)
 * does the flag count; otherwise every answer is {@link DnsStatus#INSECURE}.
 */
public final class DnsResolver {
    /** CNAME links followed before a chain is declared broken. */
    public static final int MAX_CNAME_LINKS = 8;

    /** Negative TTL when a negative answer carries no SOA to take one from (RFC 2308 5). */
    static final long DEFAULT_NEGATIVE_TTL_SECONDS = 60;

    /**
     * Where responses are handled: DNSSEC validation, the CNAME chase and whatever callers chain on
     * an answer (a plan's next lookups). dnsjava's default is the JVM's common pool, which has a
     * single thread on two cores: thousands of domains planned at once would queue behind it.
     * Threads are made as needed and end after a minute without work.
     */
    private static final Executor ANSWERS =
            answerThreads(Math.max(4, 2 * Runtime.getRuntime().availableProcessors()));

    private final Resolver upstream;
    private final boolean adBitTrusted;
    private final Duration timeout;
    private final DnsCache cache;

    /**
     * A resolver without a cache.
     *
     * @param upstream where queries go
     * @param adBitTrusted whether the upstream's AD flag means "validated" (see the class comment)
     * @param timeout the most one lookup may take, all CNAME links included
     */
    public DnsResolver(Resolver upstream, boolean adBitTrusted, Duration timeout) {
        this(upstream, adBitTrusted, timeout, null);
    }

    /** A resolver that keeps answers in {@code cache} (null for none). */
    public DnsResolver(Resolver upstream, boolean adBitTrusted, Duration timeout, DnsCache cache) {
        this.upstream = Objects.requireNonNull(upstream, "upstream");
        this.adBitTrusted = adBitTrusted;
        this.timeout = Objects.requireNonNull(timeout, "timeout");
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("timeout must be positive: " + timeout);
        }
        this.cache = cache;
    }

    /** The same upstream and settings, answers kept in {@code cache}. */
    public DnsResolver withCache(DnsCache cache) {
        return new DnsResolver(upstream, adBitTrusted, timeout, Objects.requireNonNull(cache, "cache"));
    }

    /**
     * An upstream that sends to {@code servers} in turn, each query answered within {@code timeout}
     * or failed, and sent again when a try goes unanswered ({@link #ATTEMPTS}).
     */
    public static Resolver upstreamFor(List<InetSocketAddress> servers, Duration timeout) {
        if (servers.isEmpty()) {
            throw new IllegalArgumentException("no DNS servers given");
        }
        List<Resolver> resolvers = new ArrayList<>();
        for (InetSocketAddress server : servers) {
            resolvers.add(new SimpleResolver(server));
        }
        return retransmitting(new ExtendedResolver(resolvers), timeout);
    }

    /** An upstream that uses the system's resolvers (/etc/resolv.conf and the like). */
    public static Resolver systemUpstream(Duration timeout) {
        return retransmitting(new ExtendedResolver(), timeout);
    }

    /**
     * How many times a query is sent to each server, each try given a third of the timeout. UDP loses
     * datagrams, and a local resolver's socket buffer overflows in a burst of queries (the kernel
     * drops them; the resolver never sees them, nor counts them): a lookup must not fail, and hold
     * its mail for a retry, on one lost datagram. RFC 1035 4.2.1 and RFC 1536 1 ask a client to
     * retransmit; a resolver that is still working on the first try joins the second to it.
     */
    static final int ATTEMPTS = 3;

    private static Resolver retransmitting(ExtendedResolver resolver, Duration timeout) {
        Duration attempt = timeout.dividedBy(ATTEMPTS);
        for (Resolver server : resolver.getResolvers()) {
            server.setTimeout(attempt);
        }
        resolver.setRetries(ATTEMPTS);
        resolver.setTimeout(timeout);
        // Room for DNSSEC-sized answers over UDP before falling back to TCP (DNS flag day 2020).
        resolver.setEDNS(0, 1232, 0, List.of());
        return resolver;
    }

    public Duration timeout() {
        return timeout;
    }

    /** Looks up {@code type} records at {@code name}, following CNAMEs. */
    public CompletableFuture<DnsAnswer> lookup(Name name, int type) {
        if (cache != null) {
            DnsAnswer cached = cache.get(name, type);
            if (cached != null) {
                return CompletableFuture.completedFuture(cached);
            }
        }
        return lookupFresh(name, type);
    }

    /**
     * {@link #lookup(Name, int)} past this resolver's cache (the answer still goes into it): for
     * a check that must see a change now, such as RFC 8461 5.1's before a permanent failure.
     */
    public CompletableFuture<DnsAnswer> lookupFresh(Name name, int type) {
        CompletableFuture<DnsAnswer> result = new CompletableFuture<>();
        new Chase(name, type, result).query(name);
        CompletableFuture<DnsAnswer> bounded = result.completeOnTimeout(
                DnsAnswer.failed(name, type, "no answer within " + timeout.toMillis() + " ms"),
                timeout.toMillis(),
                TimeUnit.MILLISECONDS);
        if (cache != null) {
            bounded.thenAccept(cache::put);
        }
        return bounded;
    }

    /** {@link #lookup(Name, int)} for callers that have a thread to block; never waits past the timeout. */
    public DnsAnswer lookupNow(Name name, int type) {
        try {
            return lookup(name, type).get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return DnsAnswer.failed(name, type, "interrupted");
        } catch (ExecutionException e) {
            return DnsAnswer.failed(name, type, describe(e.getCause()));
        }
    }

    private static Executor answerThreads(int threads) {
        AtomicInteger count = new AtomicInteger();
        ThreadPoolExecutor pool =
                new ThreadPoolExecutor(threads, threads, 60, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), task -> {
                    Thread thread = new Thread(task, "dns-answer-" + count.incrementAndGet());
                    thread.setDaemon(true);
                    return thread;
                });
        pool.allowCoreThreadTimeOut(true);
        return pool;
    }

    /** One lookup: the queries it sends and the CNAME links it has followed. */
    private final class Chase {
        private final Name name;
        private final int type;
        private final CompletableFuture<DnsAnswer> result;
        private final Set<Name> visited = new HashSet<>();
        private boolean secure = true;
        private long ttl = Long.MAX_VALUE;

        Chase(Name name, int type, CompletableFuture<DnsAnswer> result) {
            this.name = name;
            this.type = type;
            this.result = result;
            visited.add(name);
        }

        void query(Name target) {
            CompletionStage<Message> response;
            try {
                response = upstream.sendAsync(Message.newQuery(Record.newRecord(target, type, DClass.IN)), ANSWERS);
            } catch (RuntimeException e) {
                result.complete(DnsAnswer.failed(name, type, describe(e)));
                return;
            }
            response.whenComplete((message, error) -> {
                if (error != null) {
                    result.complete(DnsAnswer.failed(name, type, describe(error)));
                    return;
                }
                try {
                    handle(target, message);
                } catch (RuntimeException e) {
                    // A response dnsjava parsed but that breaks an assumption: still only a failure.
                    result.complete(DnsAnswer.failed(name, type, "unusable response: " + describe(e)));
                }
            });
        }

        private void handle(Name queried, Message response) {
            int rcode = response.getRcode();
            if (rcode != Rcode.NOERROR && rcode != Rcode.NXDOMAIN) {
                result.complete(unanswered(response, rcode));
                return;
            }
            secure &= adBitTrusted && response.getHeader().getFlag(Flags.AD);

            Name current = queried;
            List<Record> answer = response.getSection(Section.ANSWER);
            while (true) {
                List<Record> found = ownedBy(answer, current, type);
                if (!found.isEmpty()) {
                    for (Record record : found) {
                        ttl = Math.min(ttl, record.getTTL());
                    }
                    result.complete(DnsAnswer.records(name, type, secure, current, found, ttl));
                    return;
                }
                CNAMERecord alias = type == Type.CNAME ? null : firstCname(answer, current);
                if (alias == null) {
                    break;
                }
                Name target = alias.getTarget();
                if (!visited.add(target)) {
                    result.complete(DnsAnswer.failed(name, type, "CNAME loop at " + target));
                    return;
                }
                if (visited.size() > MAX_CNAME_LINKS + 1) {
                    result.complete(
                            DnsAnswer.failed(name, type, "CNAME chain longer than " + MAX_CNAME_LINKS + " links"));
                    return;
                }
                ttl = Math.min(ttl, alias.getTTL());
                current = target;
            }

            if (!current.equals(queried) && rcode == Rcode.NOERROR) {
                // The chain left this response's answer: ask about its target directly rather than
                // guess whether the upstream stopped chasing or the target has no data.
                query(current);
                return;
            }
            // RFC 6604 3: the rcode describes the last name of the chain.
            long negativeTtl = Math.min(ttl, negativeTtl(response));
            if (rcode == Rcode.NXDOMAIN) {
                result.complete(DnsAnswer.nxDomain(name, type, secure, current, negativeTtl));
            } else {
                result.complete(DnsAnswer.noData(name, type, secure, current, negativeTtl));
            }
        }

        private DnsAnswer unanswered(Message response, int rcode) {
            String reason = Rcode.string(rcode);
            String extended = extendedError(response);
            if (extended != null) {
                reason += " (" + extended + ")";
            }
            if (adBitTrusted && rcode == Rcode.SERVFAIL && isValidationFailure(response)) {
                return DnsAnswer.bogus(name, type, reason);
            }
            return DnsAnswer.failed(name, type, reason);
        }
    }

    private static List<Record> ownedBy(List<Record> section, Name owner, int type) {
        List<Record> found = new ArrayList<>();
        for (Record record : section) {
            if (record.getType() == type
                    && record.getDClass() == DClass.IN
                    && record.getName().equals(owner)) {
                found.add(record);
            }
        }
        return found;
    }

    private static CNAMERecord firstCname(List<Record> section, Name owner) {
        for (Record record : section) {
            if (record instanceof CNAMERecord
                    && record.getDClass() == DClass.IN
                    && record.getName().equals(owner)) {
                return (CNAMERecord) record;
            }
        }
        return null;
    }

    // RFC 2308 5: the negative TTL is the smaller of the SOA's TTL and its MINIMUM field.
    private static long negativeTtl(Message response) {
        for (Record record : response.getSection(Section.AUTHORITY)) {
            if (record instanceof SOARecord) {
                SOARecord soa = (SOARecord) record;
                return Math.min(soa.getTTL(), soa.getMinimum());
            }
        }
        return DEFAULT_NEGATIVE_TTL_SECONDS;
    }

    private static List<ExtendedErrorCodeOption> extendedErrors(Message response) {
        OPTRecord opt = response.getOPT();
        if (opt == null) {
            return List.of();
        }
        List<ExtendedErrorCodeOption> errors = new ArrayList<>();
        for (EDNSOption option : opt.getOptions(EDNSOption.Code.EDNS_EXTENDED_ERROR)) {
            if (option instanceof ExtendedErrorCodeOption) {
                errors.add((ExtendedErrorCodeOption) option);
            }
        }
        return errors;
    }

    private static String extendedError(Message response) {
        List<String> texts = new ArrayList<>();
        for (ExtendedErrorCodeOption option : extendedErrors(response)) {
            String text = ExtendedErrorCodeOption.text(option.getErrorCode());
            if (option.getText() != null && !option.getText().isEmpty()) {
                text += ": " + option.getText();
            }
            texts.add(text);
        }
        return texts.isEmpty() ? null : String.join("; ", texts);
    }

    // RFC 8914 4.6 to 4.13 and 4.26: the extended errors a validator gives a bogus answer.
    private static boolean isValidationFailure(Message response) {
        for (ExtendedErrorCodeOption option : extendedErrors(response)) {
            int code = option.getErrorCode();
            if ((code >= ExtendedErrorCodeOption.DNSSEC_INDETERMINATE && code <= ExtendedErrorCodeOption.NSEC_MISSING)
                    || code == ExtendedErrorCodeOption.SIGNATURE_EXPIRED_BEFORE_VALID) {
                return true;
            }
        }
        return false;
    }

    static String describe(Throwable error) {
        Throwable cause = error;
        while ((cause instanceof CompletionException || cause instanceof ExecutionException)
                && cause.getCause() != null) {
            cause = cause.getCause();
        }
        if (cause instanceof SocketTimeoutException || cause instanceof TimeoutException) {
            return "timed out";
        }
        String message = cause.getMessage();
        if (cause instanceof IOException
                && cause.getCause() != null
                && cause.getCause().getMessage() != null) {
            // dnsjava wraps what it cannot parse (an out-of-range rcode, say) in an IOException.
            message = message + ": " + cause.getCause().getMessage();
        }
        return cause.getClass().getSimpleName() + (message == null ? "" : ": " + message);
    }
}
