package org.vmqsc.agent.store;

import com.github.luben.zstd.Zstd;
import java.util.Arrays;

/**
 * How a chunk's bytes are kept on disk: one tag byte, then either a zstd frame or, when compression does not pay
 * (random or encrypted memory), the raw bytes. Decoding checks length and hash, so a stored chunk is never trusted.
 */
public final class ChunkCodec {

  static final byte RAW = 'R';
  static final byte ZSTD = 'Z';
  private static final int LEVEL = 1;  // the fastest level: checkpoints compete with the guest for CPU

  private ChunkCodec() {}

  public static byte[] encode(byte[] raw, int offset, int length) {
    if (looksIncompressible(raw, offset, length)) {
      return rawEncoding(raw, offset, length);
    }
    byte[] out = new byte[1 + (int) Zstd.compressBound(length)];
    long written = Zstd.compressByteArray(out, 1, out.length - 1, raw, offset, length, LEVEL);
    if (Zstd.isError(written) || written >= length) {
      return rawEncoding(raw, offset, length);
    }
    out[0] = ZSTD;
    return Arrays.copyOf(out, 1 + (int) written);
  }

  private static byte[] rawEncoding(byte[] raw, int offset, int length) {
    byte[] plain = new byte[1 + length];
    plain[0] = RAW;
    System.arraycopy(raw, offset, plain, 1, length);
    return plain;
  }

  /**
   * A cheap look at 256 bytes spread over the chunk: random or encrypted memory shows most byte values (about 160
   * of 256 in such a sample), text and code far fewer. zstd would find the same, at many times the cost of hashing
   * the chunk, and a guest's memory holds plenty of such pages (page cache of compressed files, key material).
   */
  static boolean looksIncompressible(byte[] raw, int offset, int length) {
    if (length < 1024) {
      return false;
    }
    long seen0 = 0;
    long seen1 = 0;
    long seen2 = 0;
    long seen3 = 0;
    int step = length / 256;
    for (int i = 0; i < 256; i++) {
      int b = raw[offset + i * step] & 0xff;
      long bit = 1L << (b & 63);
      switch (b >>> 6) {
        case 0 -> seen0 |= bit;
        case 1 -> seen1 |= bit;
        case 2 -> seen2 |= bit;
        default -> seen3 |= bit;
      }
    }
    int distinct = Long.bitCount(seen0) + Long.bitCount(seen1) + Long.bitCount(seen2) + Long.bitCount(seen3);
    return distinct > 128;
  }

  /**
   * Returns the raw bytes of a stored chunk after checking them against the length and hash its manifest names.
   *
   * @throws CorruptChunkException if the bytes cannot be decoded or do not match
   */
  public static byte[] decode(byte[] stored, String expectedHash, int expectedLength, ChunkHasher hasher)
      throws CorruptChunkException {
    if (stored.length < 1) {
      throw new CorruptChunkException(expectedHash, "stored chunk is empty");
    }
    byte[] raw;
    if (stored[0] == RAW) {
      raw = Arrays.copyOfRange(stored, 1, stored.length);
    } else if (stored[0] == ZSTD) {
      raw = new byte[expectedLength];
      long n;
      try {
        n = Zstd.decompressByteArray(raw, 0, expectedLength, stored, 1, stored.length - 1);
      } catch (RuntimeException e) {
        throw new CorruptChunkException(expectedHash, "zstd frame is damaged (" + e.getMessage() + ")");
      }
      if (Zstd.isError(n)) {
        throw new CorruptChunkException(expectedHash, "zstd frame is damaged (" + Zstd.getErrorName(n) + ")");
      }
      if (n != expectedLength) {
        throw new CorruptChunkException(expectedHash, "decompressed to " + n + " bytes, expected " + expectedLength);
      }
    } else {
      throw new CorruptChunkException(expectedHash, "unknown encoding tag " + stored[0]);
    }
    if (raw.length != expectedLength) {
      throw new CorruptChunkException(expectedHash, "holds " + raw.length + " bytes, expected " + expectedLength);
    }
    String actual = hasher.hash(raw, 0, raw.length);
    if (!actual.equals(expectedHash)) {
      throw new CorruptChunkException(expectedHash, "content hashes to " + actual);
    }
    return raw;
  }
}
