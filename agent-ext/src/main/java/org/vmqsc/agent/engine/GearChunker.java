package org.vmqsc.agent.engine;

import java.util.SplittableRandom;

/**
 * Content-defined chunking with a gear rolling hash (the FastCDC idea): a cut falls where the hash of the last
 * bytes matches a mask, so cuts move with the content and an insertion or deletion only changes the chunks around
 * it. Normalized: a stricter mask before the average size and a looser one after keeps sizes near the average.
 */
public final class GearChunker implements Chunker {

  private static final long[] GEAR = new long[256];

  static {
    // Any fixed random table works; it must never change, or old checkpoints stop deduplicating with new ones.
    SplittableRandom random = new SplittableRandom(0x766d717363L);
    for (int i = 0; i < GEAR.length; i++) {
      GEAR[i] = random.nextLong();
    }
  }

  private final int minBytes;
  private final int averageBytes;
  private final int maxBytes;
  private final long strictMask;
  private final long looseMask;

  /** @param averageBytes a power of two between 1 KiB and 1 MiB */
  public GearChunker(int averageBytes) {
    if (Integer.bitCount(averageBytes) != 1 || averageBytes < 1024 || averageBytes > (1 << 20)) {
      throw new IllegalArgumentException("average chunk size must be a power of two in 1 KiB..1 MiB, got "
          + averageBytes);
    }
    this.averageBytes = averageBytes;
    this.minBytes = averageBytes / 4;
    this.maxBytes = averageBytes * 4;
    int bits = Integer.numberOfTrailingZeros(averageBytes);
    // Masks on the high bits: those depend on the last 64 bytes, the low bits only on the last few.
    this.strictMask = -1L << (64 - (bits + 1));
    this.looseMask = -1L << (64 - (bits - 1));
  }

  @Override public String name() {
    return "gear-" + (averageBytes / 1024) + "k";
  }

  @Override public int maxChunkBytes() {
    return maxBytes;
  }

  @Override public int nextChunk(byte[] buffer, int offset, int available, boolean endOfImage) {
    if (available <= minBytes) {
      return available;
    }
    int limit = Math.min(available, maxBytes);
    int normal = Math.min(limit, averageBytes);
    long hash = 0;
    int i = minBytes;
    for (; i < normal; i++) {
      hash = (hash << 1) + GEAR[buffer[offset + i] & 0xff];
      if ((hash & strictMask) == 0) {
        return i + 1;
      }
    }
    for (; i < limit; i++) {
      hash = (hash << 1) + GEAR[buffer[offset + i] & 0xff];
      if ((hash & looseMask) == 0) {
        return i + 1;
      }
    }
    return limit;
  }
}
