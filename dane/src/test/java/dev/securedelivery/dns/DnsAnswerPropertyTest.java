package dev.securedelivery.dns;

import static org.assertj.core.api.Assertions.assertThat;

import dev.securedelivery.testing.HostileBytes;
import dev.securedelivery.testing.HostileText;
import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.CNAMERecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.ExtendedErrorCodeOption;
import org.xbill.DNS.Flags;
import org.xbill.DNS.MXRecord;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.TLSARecord;
import org.xbill.DNS.TXTRecord;
import org.xbill.DNS.Type;

/**
 * DNS responses from a broken or hostile upstream, as wire bytes, into {@link DnsResolver}'s
 * classification: valid responses built with dnsjava (answers of every type the extension asks
 * for, CNAME chains and loops, records of strangers, NXDOMAIN and SERVFAIL, extended errors with
 * hostile text) with random byte edits, and random bytes. Every one ends in a {@link DnsAnswer},
 * secure, insecure, bogus or failed, never an exception, consistent in itself and fit for a log.
 */
class DnsAnswerPropertyTest {
    static final Name QUERIED = Name.fromConstantString("_25._tcp.mx.example.test.");
    static final int[] TYPES = {Type.TLSA, Type.A, Type.AAAA, Type.MX, Type.TXT, Type.CNAME};
    private static final Name ZONE = Name.fromConstantString("example.test.");
    private static final List<Name> OWNERS = List.of(
            QUERIED,
            Name.fromConstantString("alias1.example.test."),
            Name.fromConstantString("alias2.example.test."),
            Name.fromConstantString("evil.example."));

    @Property
    void everyResponseIsClassified(
            @ForAll("responses") byte[] wire, @ForAll("types") int type, @ForAll boolean adTrusted) {
        check(List.of(wire), type, adTrusted);
    }

    @Property
    void everyChainOfResponsesIsClassified(
            @ForAll("responseChains") List<byte[]> wires, @ForAll("types") int type, @ForAll boolean adTrusted) {
        check(wires, type, adTrusted);
    }

    /** Found by everyResponseIsClassified: an extended error's text came into the reason as it was sent. */
    @Example
    void anExtendedErrorsTextLosesItsLineBreaks() {
        Message response = response(Type.TLSA, false, Rcode.SERVFAIL, List.of(), false);
        response.addRecord(
                new OPTRecord(
                        1232,
                        0,
                        0,
                        0,
                        List.of(new ExtendedErrorCodeOption(
                                ExtendedErrorCodeOption.DNSSEC_BOGUS, "forged\r\nInjected: yes\u001b[31m"))),
                Section.ADDITIONAL);

        DnsAnswer answer = check(List.of(response.toWire()), Type.TLSA, true);

        assertThat(answer.status()).isEqualTo(DnsStatus.BOGUS);
        assertThat(answer.failureReason()).isEqualTo("SERVFAIL (DNSSEC_BOGUS: forged Injected: yes [31m)");
    }

    /**
     * What the resolver promises for any response: an answer, never an exception; the AD flag
     * counts only when trusted; at most one query per CNAME link; an answered lookup has no
     * reason and only records of the asked type owned by its canonical name, with a TTL of zero or
     * more; a bogus or failed one has no records and a reason fit for a log line; bytes dnsjava
     * cannot parse are a failure.
     */
    static DnsAnswer check(List<byte[]> wires, int type, boolean adTrusted) {
        WireUpstream upstream = new WireUpstream(wires);
        DnsAnswer answer = new DnsResolver(upstream, adTrusted, Duration.ofSeconds(5)).lookupNow(QUERIED, type);

        assertThat(answer.status()).isNotNull();
        assertThat(answer.name()).isEqualTo(QUERIED);
        assertThat(answer.type()).isEqualTo(type);
        assertThat(upstream.queries()).isBetween(1, DnsResolver.MAX_CNAME_LINKS + 1);
        if (!adTrusted) {
            assertThat(answer.status()).isIn(DnsStatus.INSECURE, DnsStatus.FAILED);
        }
        if (answer.isAnswered()) {
            assertThat(answer.failureReason()).isNull();
            assertThat(answer.ttlSeconds()).isNotNegative();
            for (Record record : answer.records()) {
                assertThat(record.getType()).isEqualTo(type);
                assertThat(record.getDClass()).isEqualTo(DClass.IN);
                assertThat(record.getName()).isEqualTo(answer.canonicalName());
            }
            if (!answer.nameExists()) {
                assertThat(answer.records()).isEmpty();
            }
        } else {
            assertThat(answer.records()).isEmpty();
            assertThat(answer.failureReason()).isNotNull();
            HostileText.assertLogSafe("the reason", answer.failureReason(), true);
        }
        if (!parses(wires.get(0))) {
            assertThat(answer.status()).isEqualTo(DnsStatus.FAILED);
        }
        HostileText.assertLogSafe("the answer", answer.toString(), false);
        return answer;
    }

    private static boolean parses(byte[] wire) {
        try {
            new Message(wire);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    @Provide
    Arbitrary<Integer> types() {
        return Arbitraries.of(TYPES[0], TYPES[1], TYPES[2], TYPES[3], TYPES[4], TYPES[5]);
    }

    @Provide
    Arbitrary<byte[]> responses() {
        return HostileBytes.hostile(validResponses());
    }

    @Provide
    Arbitrary<List<byte[]>> responseChains() {
        return responses().list().ofMinSize(2).ofMaxSize(4);
    }

    /** Responses to a query for {@link #QUERIED}, built by dnsjava, as wire bytes. */
    static Arbitrary<byte[]> validResponses() {
        Arbitrary<Integer> rcode = Arbitraries.frequencyOf(
                Tuple.of(6, Arbitraries.just(Rcode.NOERROR)),
                Tuple.of(2, Arbitraries.just(Rcode.NXDOMAIN)),
                Tuple.of(1, Arbitraries.just(Rcode.SERVFAIL)),
                Tuple.of(1, Arbitraries.integers().between(0, 15)));
        Arbitrary<Integer> edeCode = Arbitraries.integers().between(0, 30);
        // An option and an RR hold at most 65,535 bytes.
        Arbitrary<String> edeText = HostileText.hostile(Arbitraries.of("", "validation failed", "signature expired"))
                .map(text -> text.substring(0, Math.min(text.length(), 2000)));
        Arbitrary<Tuple.Tuple2<Integer, String>> ede = Arbitraries.frequencyOf(
                Tuple.of(2, Combinators.combine(edeCode, edeText).as(Tuple::of)), Tuple.of(1, Arbitraries.just(null)));
        return Combinators.combine(
                        Arbitraries.of(TYPES[0], TYPES[1], TYPES[2], TYPES[3], TYPES[4], TYPES[5]),
                        Arbitraries.of(true, false),
                        rcode,
                        record().list().ofMaxSize(6),
                        Arbitraries.of(true, false),
                        ede)
                .as((type, ad, code, answers, soa, error) -> {
                    Message response = response(type, ad, code, answers, soa);
                    if (error != null) {
                        response.addRecord(
                                new OPTRecord(
                                        1232,
                                        0,
                                        0,
                                        0,
                                        List.of(new ExtendedErrorCodeOption(error.get1(), error.get2()))),
                                Section.ADDITIONAL);
                    }
                    return response.toWire();
                });
    }

    static Message response(int type, boolean ad, int rcode, List<Record> answers, boolean soa) {
        Message response = new Message(0x1234);
        response.getHeader().setFlag(Flags.QR);
        response.getHeader().setFlag(Flags.RA);
        if (ad) {
            response.getHeader().setFlag(Flags.AD);
        }
        response.getHeader().setRcode(rcode);
        response.addRecord(Record.newRecord(QUERIED, type, DClass.IN), Section.QUESTION);
        for (Record record : answers) {
            response.addRecord(record, Section.ANSWER);
        }
        if (soa) {
            response.addRecord(
                    new SOARecord(
                            ZONE,
                            DClass.IN,
                            300,
                            Name.fromConstantString("ns.example.test."),
                            Name.fromConstantString("hostmaster.example.test."),
                            1,
                            3600,
                            600,
                            86400,
                            60),
                    Section.AUTHORITY);
        }
        return response;
    }

    private static Arbitrary<Record> record() {
        Arbitrary<Name> owner = Arbitraries.of(OWNERS);
        Arbitrary<Long> ttl = Arbitraries.oneOf(
                Arbitraries.of(0L, 1L, 0x7fffffffL), Arbitraries.longs().between(0, 86400));
        Arbitrary<byte[]> bytes =
                Arbitraries.bytes().array(byte[].class).ofMinSize(4).ofMaxSize(40);
        return Combinators.combine(
                        owner,
                        ttl,
                        Arbitraries.integers().between(0, 5),
                        owner,
                        bytes,
                        HostileText.hostile(Arbitraries.of("v=STSv1; id=1", "v=TLSRPTv1; rua=mailto:a@b.example")))
                .as((name, seconds, kind, target, data, text) -> {
                    switch (kind) {
                        case 0:
                            return new CNAMERecord(name, DClass.IN, seconds, target);
                        case 1:
                            return new ARecord(name, DClass.IN, seconds, address(data, 4));
                        case 2:
                            return new AAAARecord(name, DClass.IN, seconds, address(data, 16));
                        case 3:
                            return new TLSARecord(name, DClass.IN, seconds, 3, 1, 1, data);
                        case 4:
                            return new MXRecord(name, DClass.IN, seconds, data[0] & 0xff, target);
                        default:
                            return new TXTRecord(name, DClass.IN, seconds, textStrings(text));
                    }
                });
    }

    private static InetAddress address(byte[] data, int length) {
        byte[] address = new byte[length];
        System.arraycopy(data, 0, address, 0, Math.min(length, data.length));
        try {
            return InetAddress.getByAddress(address);
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    // A TXT record's character-strings hold at most 255 bytes each (RFC 1035 3.3); dnsjava reads
    // a backslash as the start of an escape.
    private static List<String> textStrings(String text) {
        List<String> strings = new ArrayList<>();
        for (int start = 0; start < Math.min(text.length(), 4000); start += 80) {
            strings.add(
                    text.substring(start, Math.min(text.length(), start + 80)).replace("\\", "\\\\"));
        }
        return strings.isEmpty() ? List.of("") : strings;
    }
}
