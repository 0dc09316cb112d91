package org.vmqsc.agent.xen;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;

/**
 * A stream that must hold exactly {@code expected} bytes: one that ends early (a host gone mid-export, an export cut
 * short) fails at its end instead of passing for a smaller image, and so does one that goes on past it.
 */
final class ExactLengthStream extends FilterInputStream {

  private final long expected;
  private final String what;
  private long seen;

  ExactLengthStream(InputStream in, long expected, String what) {
    super(in);
    this.expected = expected;
    this.what = what;
  }

  @Override public int read() throws IOException {
    byte[] one = new byte[1];
    int n = read(one, 0, 1);
    return n < 0 ? -1 : one[0] & 0xff;
  }

  @Override public int read(byte[] buffer, int offset, int length) throws IOException {
    int n;
    try {
      n = super.read(buffer, offset, length);
    } catch (IOException broken) {
      throw new IOException(what + " broke off after " + seen + " of " + expected + " bytes: "
          + XapiSession.rootMessage(broken), broken);
    }
    if (n < 0) {
      if (seen != expected) {
        throw new IOException(what + " ended after " + seen + " of " + expected + " bytes");
      }
      return -1;
    }
    seen += n;
    if (seen > expected) {
      throw new IOException(what + " sent more than the " + expected + " bytes it should hold");
    }
    return n;
  }

  @Override public long skip(long n) throws IOException {
    byte[] sink = new byte[(int) Math.min(8192, Math.max(1, n))];
    long skipped = 0;
    while (skipped < n) {
      int r = read(sink, 0, (int) Math.min(sink.length, n - skipped));
      if (r < 0) {
        break;
      }
      skipped += r;
    }
    return skipped;
  }

  @Override public boolean markSupported() {
    return false;
  }
}
