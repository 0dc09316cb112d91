package org.vmqsc.agent.engine;

import java.util.Arrays;

/**
 * Finds runs of at least a page (4 KiB) of zero bytes. The engine stores each as a zero entry of the manifest and
 * keeps every chunker from cutting a chunk across one, so no zero page is stored, whatever the chunker and however
 * the zero pages are scattered among others. The rule looks only at the bytes from where a chunk starts, never at
 * offsets in the image: where the content moves (a migration stream) the runs and the cuts move with it.
 */
final class ZeroRuns {

  /** The shortest run of zeros kept out of chunks: a guest's zero page. */
  static final int MIN_RUN = 4096;
  /** A run of {@link #MIN_RUN} covers a whole block of this size at a multiple of it: only those are looked at. */
  private static final int BLOCK = MIN_RUN / 2;
  private static final byte[] ZEROS = new byte[MIN_RUN];

  private ZeroRuns() {}

  /**
   * Length of the run of zeros at {@code buffer[start]}, at most {@code limit} bytes, or 0 if fewer than
   * {@link #MIN_RUN} of the {@code available} bytes there are zero.
   */
  static int runAt(byte[] buffer, int start, int limit, int available) {
    if (available < MIN_RUN || buffer[start] != 0) {
      return 0;
    }
    int run = zeroBytes(buffer, start, Math.max(limit, Math.min(available, MIN_RUN)));
    return run >= MIN_RUN ? Math.min(run, limit) : 0;
  }

  /**
   * How many bytes from {@code buffer[start]} come before the first run of {@link #MIN_RUN} zeros that starts
   * within the next {@code limit} bytes, or {@code limit} if none does; a run is only seen within
   * {@code available} bytes.
   */
  static int bytesBeforeNextRun(byte[] buffer, int start, int limit, int available) {
    for (int block = BLOCK; block < limit + BLOCK && block + BLOCK <= available; block += BLOCK) {
      int at = start + block;
      if (buffer[at] != 0 || !isZero(buffer, at, BLOCK)) {
        continue;  // most blocks of memory that is not zero differ at their first byte
      }
      int runStart = block;
      while (runStart > 0 && buffer[start + runStart - 1] == 0) {
        runStart--;
      }
      if (runStart >= limit) {
        return limit;
      }
      if (zeroBytes(buffer, start + runStart, Math.min(MIN_RUN, available - runStart)) >= MIN_RUN) {
        return runStart;
      }
    }
    return limit;
  }

  /** How many of the {@code limit} bytes from {@code buffer[start]} are zero before the first that is not. */
  private static int zeroBytes(byte[] buffer, int start, int limit) {
    int n = 0;
    while (n < limit) {
      int piece = Math.min(ZEROS.length, limit - n);
      int mismatch = Arrays.mismatch(buffer, start + n, start + n + piece, ZEROS, 0, piece);
      if (mismatch >= 0) {
        return n + mismatch;
      }
      n += piece;
    }
    return n;
  }

  private static boolean isZero(byte[] buffer, int start, int length) {
    return Arrays.mismatch(buffer, start, start + length, ZEROS, 0, length) < 0;
  }
}
