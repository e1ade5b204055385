package dev.securedelivery.tlsrpt;

import java.io.Closeable;
import java.io.IOException;
import java.io.Reader;

/**
 * Lines of a text, one at a time, none longer than a limit: a longer line is skipped to its end
 * without being kept, and counted. Memory stays at the limit whatever the file holds (a file cut
 * or garbled on disk may have no line end for megabytes); optionally, no more than a total is read
 * at all, the rest taken as the end.
 */
public final class BoundedLineReader implements Closeable {
    private final Reader in;
    private final int maxChars;
    private final long maxTotalChars;
    private long total;
    private boolean truncated;
    private final char[] buffer = new char[8192];
    private int position;
    private int limit;
    private int overlongLines;
    private boolean endsWithLineEnd = true;

    /** Lines of at most {@code maxChars}, from the whole text. */
    public BoundedLineReader(Reader in, int maxChars) {
        this(in, maxChars, Long.MAX_VALUE);
    }

    /** Lines of at most {@code maxChars}, from the first {@code maxTotalChars} of the text. */
    public BoundedLineReader(Reader in, int maxChars, long maxTotalChars) {
        this.in = in;
        this.maxChars = maxChars;
        this.maxTotalChars = maxTotalChars;
    }

    /** The next line of at most the limit, without its {@code \n}; null at the end of the text. */
    public String next() throws IOException {
        StringBuilder line = new StringBuilder();
        boolean overlong = false;
        boolean any = false;
        while (true) {
            if (position == limit) {
                int read = total < maxTotalChars
                        ? in.read(buffer, 0, (int) Math.min(buffer.length, maxTotalChars - total))
                        : -1;
                if (read < 0 && (truncated || total >= maxTotalChars && in.read() >= 0)) {
                    // Text left beyond the total: what was read of its line is no line.
                    truncated = true;
                    return null;
                }
                if (read < 0) {
                    if (overlong) {
                        overlongLines++;
                        return null;
                    }
                    return any ? line.toString() : null;
                }
                position = 0;
                limit = read;
                total += read;
            }
            char c = buffer[position++];
            any = true;
            endsWithLineEnd = c == '\n';
            if (c == '\n') {
                if (!overlong) {
                    return line.toString();
                }
                overlongLines++;
                overlong = false;
                any = false;
                line.setLength(0);
            } else if (!overlong) {
                if (line.length() == maxChars) {
                    overlong = true;
                    line.setLength(0);
                } else {
                    line.append(c);
                }
            }
        }
    }

    /** Lines skipped for being over the limit. */
    public int overlongLines() {
        return overlongLines;
    }

    /** Whether reading stopped at the total limit with more text left. */
    public boolean truncated() {
        return truncated;
    }

    /** Whether the text read so far is empty or ends with {@code \n}: whether an append starts a new line. */
    boolean endsWithLineEnd() {
        return endsWithLineEnd;
    }

    @Override
    public void close() throws IOException {
        in.close();
    }
}
