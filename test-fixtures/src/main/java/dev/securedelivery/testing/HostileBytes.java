package dev.securedelivery.testing;

import java.io.ByteArrayOutputStream;
import java.util.Arrays;
import java.util.function.UnaryOperator;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Tuple;

/**
 * Hostile bytes for the property tests of wire parsers: valid encodings with one to four random
 * edits (a byte set or flipped, bytes inserted or removed, a slice repeated many times, a
 * truncation, a 16-bit field such as a length or a count set to an edge value), some unedited,
 * some random.
 */
public final class HostileBytes {
    private static final int[] EDGE_SHORTS = {0, 1, 2, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xc00c, 0xffff};

    private HostileBytes() {}

    /** Valid encodings, mostly edited a little, sometimes left alone; and some random bytes. */
    public static Arbitrary<byte[]> hostile(Arbitrary<byte[]> valid) {
        return Arbitraries.frequencyOf(
                Tuple.of(7, mutationsOf(valid)),
                Tuple.of(2, valid),
                Tuple.of(1, Arbitraries.bytes().array(byte[].class).ofMaxSize(300)));
    }

    /** {@code valid} encodings with one to four random edits each. */
    public static Arbitrary<byte[]> mutationsOf(Arbitrary<byte[]> valid) {
        return Combinators.combine(valid, edits().list().ofMinSize(1).ofMaxSize(4))
                .as((bytes, edits) -> {
                    byte[] edited = bytes;
                    for (UnaryOperator<byte[]> edit : edits) {
                        edited = edit.apply(edited);
                    }
                    return edited;
                });
    }

    private static Arbitrary<UnaryOperator<byte[]>> edits() {
        Arbitrary<Integer> where = Arbitraries.integers().between(0, Integer.MAX_VALUE);
        Arbitrary<Byte> octet = Arbitraries.oneOf(
                Arbitraries.bytes(),
                Arbitraries.of(
                        (byte) 0,
                        (byte) 0xff,
                        (byte) 0xc0,
                        (byte) 0x3f,
                        (byte) 0x40,
                        (byte) '\r',
                        (byte) '\n',
                        (byte) '.',
                        (byte) 0x80));
        Arbitrary<Integer> times = Arbitraries.frequencyOf(
                Tuple.of(6, Arbitraries.integers().between(2, 40)),
                Tuple.of(3, Arbitraries.integers().between(40, 1200)),
                Tuple.of(1, Arbitraries.integers().between(1200, 6000)));
        Arbitrary<UnaryOperator<byte[]>> set = Combinators.combine(where, octet).as((w, b) -> bytes -> {
            if (bytes.length == 0) {
                return new byte[] {b};
            }
            byte[] copy = bytes.clone();
            copy[w % copy.length] = b;
            return copy;
        });
        Arbitrary<UnaryOperator<byte[]>> flip = Combinators.combine(
                        where, Arbitraries.integers().between(0, 7))
                .as((w, bit) -> bytes -> {
                    if (bytes.length == 0) {
                        return bytes;
                    }
                    byte[] copy = bytes.clone();
                    copy[w % copy.length] ^= (byte) (1 << bit);
                    return copy;
                });
        Arbitrary<UnaryOperator<byte[]>> insert = Combinators.combine(
                        where, octet.list().ofMinSize(1).ofMaxSize(8))
                .as((w, inserted) -> bytes -> {
                    int at = w % (bytes.length + 1);
                    ByteArrayOutputStream out = new ByteArrayOutputStream();
                    out.write(bytes, 0, at);
                    inserted.forEach(out::write);
                    out.write(bytes, at, bytes.length - at);
                    return out.toByteArray();
                });
        Arbitrary<UnaryOperator<byte[]>> delete = Combinators.combine(
                        where, Arbitraries.integers().between(1, 16))
                .as((w, length) -> bytes -> {
                    int at = w % (bytes.length + 1);
                    int end = Math.min(bytes.length, at + length);
                    byte[] shorter = new byte[bytes.length - (end - at)];
                    System.arraycopy(bytes, 0, shorter, 0, at);
                    System.arraycopy(bytes, end, shorter, at, bytes.length - end);
                    return shorter;
                });
        Arbitrary<UnaryOperator<byte[]>> repeat = Combinators.combine(
                        where, Arbitraries.integers().between(1, 16), times)
                .as((w, length, count) -> bytes -> {
                    int at = w % (bytes.length + 1);
                    int end = Math.min(bytes.length, at + length);
                    ByteArrayOutputStream out = new ByteArrayOutputStream();
                    out.write(bytes, 0, at);
                    for (int i = 0; i < count; i++) {
                        out.write(bytes, at, end - at);
                    }
                    out.write(bytes, at, bytes.length - at);
                    return out.toByteArray();
                });
        Arbitrary<UnaryOperator<byte[]>> truncate =
                where.map(w -> bytes -> Arrays.copyOf(bytes, w % (bytes.length + 1)));
        Arbitrary<UnaryOperator<byte[]>> edgeShort = Combinators.combine(
                        where, Arbitraries.of(Arrays.stream(EDGE_SHORTS).boxed().toArray(Integer[]::new)))
                .as((w, value) -> bytes -> {
                    if (bytes.length < 2) {
                        return bytes;
                    }
                    byte[] copy = bytes.clone();
                    int at = w % (copy.length - 1);
                    copy[at] = (byte) (value >> 8);
                    copy[at + 1] = (byte) value.intValue();
                    return copy;
                });
        return Arbitraries.frequencyOf(
                Tuple.of(4, set),
                Tuple.of(3, flip),
                Tuple.of(3, insert),
                Tuple.of(3, delete),
                Tuple.of(1, repeat),
                Tuple.of(1, truncate),
                Tuple.of(3, edgeShort));
    }
}
