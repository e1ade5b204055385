package dev.securedelivery.dane;

import static org.assertj.core.api.Assertions.assertThat;

import dev.securedelivery.testing.HostileBytes;
import dev.securedelivery.testing.HostileText;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Arrays;
import java.util.Locale;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.TLSARecord;
import org.xbill.DNS.Type;

/**
 * TLSA records from outside (RFC 6698 2): rdata as a DNS answer carries it, through dnsjava into a
 * {@link TlsaRecord}, and the presentation format an operator or a zone file writes. Either ends
 * in a record that keeps every field and re-reads to itself from its presentation, or in
 * dnsjava's {@link IOException} or {@link TlsaRecord#parse}'s {@link IllegalArgumentException}
 * with a message fit for a log line.
 */
class TlsaRecordPropertyTest {
    private static final Name OWNER = Name.fromConstantString("_25._tcp.mx.example.test.");

    @Property
    void everyRdataIsARecordOrAWireError(@ForAll("rdata") byte[] rdata) {
        checkRdata(rdata);
    }

    @Property
    void everyTextIsARecordOrAnIllegalArgument(@ForAll("presentations") String text) {
        checkPresentation(text);
    }

    /** Found by everyTextIsARecordOrAnIllegalArgument: the message quoted the text, NUL and ESC and all, uncapped. */
    @Example
    void aSyntaxErrorQuotesTheTextEscapedAndCapped() {
        assertRefused("3 1 1 00\u0000ff", "odd number of hex digits: \"00\\u0000ff\"");
        assertRefused("3\u001b[31m 1 1 00", "not a TLSA record: \"3\\u001b[31m 1 1 00\"");
        assertRefused("3 1 1 " + "zz".repeat(500), "not hex: \"" + "zz".repeat(40) + "...\"");
    }

    private static void assertRefused(String text, String message) {
        try {
            TlsaRecord.parse(text);
            throw new AssertionError("parsed: " + HostileText.escaped(text));
        } catch (IllegalArgumentException e) {
            assertThat(e.getMessage()).isEqualTo(message);
        }
    }

    /**
     * An RR of type TLSA with {@code rdata}, as it comes in an answer section, read by dnsjava: an
     * {@link IOException} for what it refuses, else a record whose fields are the rdata's and
     * which {@link #checkRecord} accepts.
     */
    static void checkRdata(byte[] rdata) {
        Record record;
        try {
            record = Record.fromWire(rr(rdata), Section.ANSWER);
        } catch (IOException e) {
            return;
        }
        assertThat(record).isInstanceOf(TLSARecord.class);
        TlsaRecord tlsa = TlsaRecord.from((TLSARecord) record);
        assertThat(tlsa.usage()).isEqualTo(rdata[0] & 0xff);
        assertThat(tlsa.selector()).isEqualTo(rdata[1] & 0xff);
        assertThat(tlsa.matchingType()).isEqualTo(rdata[2] & 0xff);
        // RDLENGTH is 16 bits: what follows the first 65,535 bytes is not the record's.
        assertThat(tlsa.data()).isEqualTo(Arrays.copyOfRange(rdata, 3, Math.min(rdata.length, 0xffff)));
        checkRecord(tlsa);
    }

    /**
     * {@link TlsaRecord#parse}: a record {@link #checkRecord} accepts,
     * or an IllegalArgumentException fit for a log.
     */
    static void checkPresentation(String text) {
        TlsaRecord record;
        try {
            record = TlsaRecord.parse(text);
        } catch (IllegalArgumentException e) {
            HostileText.assertLogSafe("the message", e.getMessage(), true);
            return;
        }
        checkRecord(record);
    }

    /** Whether usable or not, a record says so without throwing, prints safely and re-reads to itself. */
    static void checkRecord(TlsaRecord record) {
        assertThat(record.usage()).isBetween(0, 255);
        assertThat(record.selector()).isBetween(0, 255);
        assertThat(record.matchingType()).isBetween(0, 255);
        assertThat(record.isUsable()).isEqualTo(record.unusableReason().isEmpty());
        record.unusableReason().ifPresent(reason -> HostileText.assertLogSafe("the reason", reason, true));
        HostileText.assertLogSafe("the record", record.toString(), true);
        assertThat(TlsaRecord.parse(record.toPresentation())).isEqualTo(record);
    }

    // NAME TYPE CLASS TTL RDLENGTH RDATA (RFC 1035 4.1.3); RDLENGTH is what the caller's rdata says.
    private static byte[] rr(byte[] rdata) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] owner = OWNER.toWireCanonical();
        out.write(owner, 0, owner.length);
        writeShort(out, Type.TLSA);
        writeShort(out, DClass.IN);
        writeShort(out, 0);
        writeShort(out, 300);
        writeShort(out, Math.min(rdata.length, 0xffff));
        out.write(rdata, 0, rdata.length);
        return out.toByteArray();
    }

    private static void writeShort(ByteArrayOutputStream out, int value) {
        out.write(value >> 8);
        out.write(value);
    }

    @Provide
    Arbitrary<byte[]> rdata() {
        return HostileBytes.hostile(validRecords().map(record -> {
            byte[] data = record.data();
            byte[] rdata = new byte[data.length + 3];
            rdata[0] = (byte) record.usage();
            rdata[1] = (byte) record.selector();
            rdata[2] = (byte) record.matchingType();
            System.arraycopy(data, 0, rdata, 3, data.length);
            return rdata;
        }));
    }

    @Provide
    Arbitrary<String> presentations() {
        Arbitrary<String> valid = Combinators.combine(
                        validRecords(),
                        Arbitraries.of(" ", "\t", "  "),
                        Arbitraries.integers().between(0, 40),
                        Arbitraries.of(true, false))
                .as((record, space, split, upper) -> {
                    String[] fields = record.toPresentation().split(" ");
                    String hex = upper ? fields[3].toUpperCase(Locale.ROOT) : fields[3];
                    if (split > 0 && split < hex.length()) {
                        hex = hex.substring(0, split) + space + hex.substring(split);
                    }
                    return fields[0] + space + fields[1] + space + fields[2] + space + hex;
                });
        return HostileText.hostile(valid, " ", "0", "255", "256", "-1", "+3", "ff", "g", "0x");
    }

    private static Arbitrary<TlsaRecord> validRecords() {
        Arbitrary<Integer> usage =
                Arbitraries.frequency(Tuple.of(4, 3), Tuple.of(4, 2), Tuple.of(1, 0), Tuple.of(1, 1), Tuple.of(1, 255));
        Arbitrary<Integer> selector = Arbitraries.of(0, 1, 2);
        Arbitrary<Integer> matching = Arbitraries.of(0, 1, 2, 3);
        Arbitrary<byte[]> data = Arbitraries.oneOf(
                Arbitraries.bytes().array(byte[].class).ofSize(32),
                Arbitraries.bytes().array(byte[].class).ofSize(64),
                Arbitraries.bytes().array(byte[].class).ofMinSize(1).ofMaxSize(400));
        return Combinators.combine(usage, selector, matching, data).as(TlsaRecord::of);
    }
}
