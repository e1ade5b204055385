package dev.securedelivery.smtp;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;

/**
 * The message as SMTP's DATA carries it (RFC 5321 4.5.2, 2.3.8): every line ends in CRLF (a bare CR
 * or LF becomes one), a line starting with a dot gets another, and {@link #finish} writes the
 * terminating {@code CRLF.CRLF}. Closing it does not close the connection.
 */
final class DataStream extends FilterOutputStream {
    private boolean atLineStart = true;
    private boolean afterCr;

    DataStream(OutputStream out) {
        super(out);
    }

    @Override
    public void write(int b) throws IOException {
        if (b == '\n') {
            if (!afterCr) {
                out.write('\r');
            }
            out.write('\n');
            atLineStart = true;
            afterCr = false;
            return;
        }
        if (afterCr) {
            // A bare CR ends a line too.
            out.write('\n');
            atLineStart = true;
            afterCr = false;
        }
        if (b == '\r') {
            out.write('\r');
            afterCr = true;
            return;
        }
        if (atLineStart && b == '.') {
            out.write('.');
        }
        out.write(b);
        atLineStart = false;
    }

    @Override
    public void write(byte[] bytes, int offset, int length) throws IOException {
        for (int i = offset; i < offset + length; i++) {
            write(bytes[i] & 0xff);
        }
    }

    /** Ends the last line if it is open, then the data: {@code .CRLF}. */
    void finish() throws IOException {
        if (afterCr) {
            out.write('\n');
        } else if (!atLineStart) {
            out.write('\r');
            out.write('\n');
        }
        out.write(new byte[] {'.', '\r', '\n'});
        atLineStart = true;
        afterCr = false;
    }

    @Override
    public void close() {
        // The connection stays open for the reply.
    }
}
