package org.vmqsc.agent.store;

import com.github.luben.zstd.Zstd;
import java.nio.ByteBuffer;
import java.util.Arrays;
import net.jpountz.lz4.LZ4Compressor;
import net.jpountz.lz4.LZ4Exception;
import net.jpountz.lz4.LZ4Factory;
import net.jpountz.lz4.LZ4SafeDecompressor;

/**
 * How a chunk's bytes are kept on disk: one tag byte, then an LZ4 block or, when compression does not pay (random or
 * encrypted memory), the raw bytes. Chunks stored as zstd frames by earlier versions still decode. Decoding checks
 * length and hash, so a stored chunk is never trusted.
 *
 * <p>Why LZ4 and not zstd: checkpoints compete with the guests for the host's CPU. On the JDK's own code and data
 * in 8 KiB chunks LZ4 stores 58 % of the bytes at 0.56 GB/s, zstd level 1 43 % at 0.18 GB/s (zstd at negative
 * levels is no faster there); on the benchmark image both store the same, LZ4 at 4 GB/s and zstd at 0.55 GB/s.
 */
public final class ChunkCodec {

  static final byte RAW = 'R';
  static final byte ZSTD = 'Z';
  static final byte LZ4 = 'L';
  private static final LZ4Factory LZ4_CODECS = LZ4Factory.fastestInstance();  // native when it loads
  private static final LZ4Compressor COMPRESSOR = LZ4_CODECS.fastCompressor();
  private static final LZ4SafeDecompressor DECOMPRESSOR = LZ4_CODECS.safeDecompressor();

  private ChunkCodec() {}

  /** Room {@link #encode(byte[], int, int, byte[])} needs for a chunk of {@code length} bytes. */
  public static int maxEncodedLength(int length) {
    return 1 + COMPRESSOR.maxCompressedLength(length);
  }

  public static byte[] encode(byte[] raw, int offset, int length) {
    byte[] out = new byte[maxEncodedLength(length)];
    return Arrays.copyOf(out, encode(raw, offset, length, out));
  }

  /**
   * Encodes into {@code out}, which has room for {@link #maxEncodedLength}, and returns the encoded length. The
   * engine reuses one such buffer: allocating and zeroing one per chunk cost as much as compressing it.
   */
  public static int encode(byte[] raw, int offset, int length, byte[] out) {
    if (!looksIncompressible(raw, offset, length)) {
      int written = COMPRESSOR.compress(raw, offset, length, out, 1, out.length - 1);
      if (written < length) {
        out[0] = LZ4;
        return 1 + written;
      }
    }
    out[0] = RAW;
    System.arraycopy(raw, offset, out, 1, length);
    return 1 + length;
  }

  /**
   * A cheap look at 256 bytes spread over the chunk: random or encrypted memory shows most byte values (about 160
   * of 256 in such a sample), text and code far fewer. The compressor would find the same, at a cost, and a guest's
   * memory holds plenty of such pages (page cache of compressed files, key material).
   */
  static boolean looksIncompressible(byte[] raw, int offset, int length) {
    if (length < 1024) {
      return false;
    }
    // A 256-bit set of byte values seen, set without branches: on random bytes a branch per sample mispredicts
    // half the time, which cost more than hashing a 4 KiB chunk.
    long[] seen = new long[4];
    int step = length / 256;
    for (int i = 0; i < 256; i++) {
      int b = raw[offset + i * step] & 0xff;
      seen[b >>> 6] |= 1L << b;  // the shift distance is taken mod 64
    }
    int distinct = Long.bitCount(seen[0]) + Long.bitCount(seen[1]) + Long.bitCount(seen[2]) + Long.bitCount(seen[3]);
    return distinct > 128;
  }

  /**
   * Returns the raw bytes of a stored chunk after checking them against the length and hash its manifest names.
   *
   * @throws CorruptChunkException if the bytes cannot be decoded or do not match
   */
  public static byte[] decode(byte[] stored, String expectedHash, int expectedLength, ChunkHasher hasher)
      throws CorruptChunkException {
    byte[] raw = decodeLength(stored, expectedHash, expectedLength);
    String actual = hasher.hash(raw, 0, raw.length);
    if (!actual.equals(expectedHash)) {
      throw new CorruptChunkException(expectedHash, "content hashes to " + actual);
    }
    return raw;
  }

  /**
   * Decodes a stored chunk into {@code out[offset, offset + expectedLength)} and checks its length and hash there: a
   * restore decodes into buffers it reuses or writes out whole instead of allocating one per chunk. Those bytes of
   * {@code out} hold nothing trustworthy if this throws.
   *
   * @throws CorruptChunkException if the bytes cannot be decoded or do not match
   */
  public static void decodeInto(byte[] stored, String expectedHash, int expectedLength, byte[] out, int offset,
      ChunkHasher hasher) throws CorruptChunkException {
    decodeLengthInto(stored, expectedHash, expectedLength, out, offset);
    String actual = hasher.hash(out, offset, expectedLength);
    if (!actual.equals(expectedHash)) {
      throw new CorruptChunkException(expectedHash, "content hashes to " + actual);
    }
  }

  /**
   * Whether a stored chunk decodes to exactly {@code bytes[offset, offset + expectedLength)}: for the engine, before
   * it reuses a stored chunk, which is cheaper than hashing. A raw chunk is compared where it lies, a compressed one
   * is decoded into {@code scratch} (room for {@code expectedLength}); nothing is allocated.
   *
   * @throws CorruptChunkException if the bytes cannot be decoded or have another length
   */
  public static boolean holds(byte[] stored, String expectedHash, int expectedLength, byte[] bytes, int offset,
      byte[] scratch) throws CorruptChunkException {
    if (stored.length > 0 && stored[0] == RAW) {
      if (stored.length - 1 != expectedLength) {
        throw new CorruptChunkException(expectedHash, "holds " + (stored.length - 1) + " bytes, expected "
            + expectedLength);
      }
      return Arrays.equals(stored, 1, stored.length, bytes, offset, offset + expectedLength);
    }
    decodeLengthInto(stored, expectedHash, expectedLength, scratch, 0);
    return Arrays.equals(scratch, 0, expectedLength, bytes, offset, offset + expectedLength);
  }

  /**
   * {@link #holds(byte[], String, int, byte[], int, byte[])} on a stored chunk in a buffer (from its position to
   * its limit, which are left as they are), such as a {@link ChunkReader#view}: compared and decoded where it lies.
   */
  public static boolean holds(ByteBuffer stored, String expectedHash, int expectedLength, byte[] bytes, int offset,
      byte[] scratch) throws CorruptChunkException {
    int at = stored.position();
    int storedLength = stored.remaining();
    if (storedLength > 0 && stored.get(at) == RAW) {
      if (storedLength - 1 != expectedLength) {
        throw new CorruptChunkException(expectedHash, "holds " + (storedLength - 1) + " bytes, expected "
            + expectedLength);
      }
      return stored.slice(at + 1, expectedLength).mismatch(ByteBuffer.wrap(bytes, offset, expectedLength)) < 0;
    }
    decodeLengthInto(stored, expectedHash, expectedLength, scratch, 0);
    return Arrays.equals(scratch, 0, expectedLength, bytes, offset, offset + expectedLength);
  }

  /**
   * {@link #decodeInto(byte[], String, int, byte[], int, ChunkHasher)} on a stored chunk in a buffer (from its
   * position to its limit, left as they are).
   */
  public static void decodeInto(ByteBuffer stored, String expectedHash, int expectedLength, byte[] out, int offset,
      ChunkHasher hasher) throws CorruptChunkException {
    decodeLengthInto(stored, expectedHash, expectedLength, out, offset);
    String actual = hasher.hash(out, offset, expectedLength);
    if (!actual.equals(expectedHash)) {
      throw new CorruptChunkException(expectedHash, "content hashes to " + actual);
    }
  }

  /** {@link #decodeLengthInto(byte[], String, int, byte[], int)} on a stored chunk in a buffer (left as it is). */
  public static void decodeLengthInto(ByteBuffer stored, String expectedHash, int expectedLength, byte[] out,
      int offset) throws CorruptChunkException {
    int at = stored.position();
    int storedLength = stored.remaining();
    byte tag = storedLength > 0 ? stored.get(at) : 0;
    if (tag == RAW) {
      if (storedLength - 1 != expectedLength) {
        throw new CorruptChunkException(expectedHash, "holds " + (storedLength - 1) + " bytes, expected "
            + expectedLength);
      }
      stored.get(at + 1, out, offset, expectedLength);
    } else if (tag == LZ4) {
      int n;
      try {
        n = DECOMPRESSOR.decompress(stored, at + 1, storedLength - 1, ByteBuffer.wrap(out), offset, expectedLength);
      } catch (LZ4Exception e) {
        throw new CorruptChunkException(expectedHash, "LZ4 block is damaged (" + e.getMessage() + ")");
      }
      if (n != expectedLength) {
        throw new CorruptChunkException(expectedHash, "decompressed to " + n + " bytes, expected " + expectedLength);
      }
    } else {
      byte[] copy = new byte[storedLength];  // zstd frames of earlier versions, and the errors
      stored.get(at, copy);
      decodeLengthInto(copy, expectedHash, expectedLength, out, offset);
    }
  }

  /**
   * Returns the raw bytes of a stored chunk after checking only their length: for a caller that compares them with
   * bytes it holds (the engine, before it reuses a stored chunk), which is cheaper than hashing them.
   *
   * @throws CorruptChunkException if the bytes cannot be decoded or have another length
   */
  public static byte[] decodeLength(byte[] stored, String expectedHash, int expectedLength)
      throws CorruptChunkException {
    byte[] raw = new byte[expectedLength];
    decodeLengthInto(stored, expectedHash, expectedLength, raw, 0);
    return raw;
  }

  /**
   * Decodes a stored chunk at whatever length it holds, checking nothing else: for a caller that found it does not
   * decode at the length it expected and must tell damage from a copy of other bytes (the engine, for a chunk named
   * by staging key).
   *
   * @throws CorruptChunkException if the bytes cannot be decoded
   */
  public static byte[] decodeAnyLength(byte[] stored, String hash) throws CorruptChunkException {
    if (stored.length < 1) {
      throw new CorruptChunkException(hash, "stored chunk is empty");
    }
    if (stored[0] == RAW) {
      return Arrays.copyOfRange(stored, 1, stored.length);
    }
    if (stored[0] == ZSTD) {
      long size = Zstd.getFrameContentSize(stored, 1, stored.length - 1);
      if (size < 0 || size > Integer.MAX_VALUE - 16) {
        throw new CorruptChunkException(hash, "zstd frame is damaged (no content size)");
      }
      return decodeLength(stored, hash, (int) size);
    }
    if (stored[0] == LZ4) {
      // An LZ4 block does not hold its length; it cannot expand more than 255-fold.
      byte[] out = new byte[(int) Math.min(Integer.MAX_VALUE - 16, 255L * (stored.length - 1) + 16)];
      int n;
      try {
        n = DECOMPRESSOR.decompress(stored, 1, stored.length - 1, out, 0, out.length);
      } catch (LZ4Exception e) {
        throw new CorruptChunkException(hash, "LZ4 block is damaged (" + e.getMessage() + ")");
      }
      return Arrays.copyOf(out, n);
    }
    throw new CorruptChunkException(hash, "unknown encoding tag " + stored[0]);
  }

  /**
   * Decodes a stored chunk into {@code out[offset, offset + expectedLength)} checking only its length: for a caller
   * that checks the bytes another way (a restore from the host's own store, against the manifest's fingerprint).
   *
   * @throws CorruptChunkException if the bytes cannot be decoded or have another length
   */
  public static void decodeLengthInto(byte[] stored, String expectedHash, int expectedLength, byte[] raw,
      int offset) throws CorruptChunkException {
    if (stored.length < 1) {
      throw new CorruptChunkException(expectedHash, "stored chunk is empty");
    }
    if (stored[0] == RAW) {
      if (stored.length - 1 != expectedLength) {
        throw new CorruptChunkException(expectedHash, "holds " + (stored.length - 1) + " bytes, expected "
            + expectedLength);
      }
      System.arraycopy(stored, 1, raw, offset, expectedLength);
    } else if (stored[0] == ZSTD) {
      long n;
      try {
        n = Zstd.decompressByteArray(raw, offset, expectedLength, stored, 1, stored.length - 1);
      } catch (RuntimeException e) {
        throw new CorruptChunkException(expectedHash, "zstd frame is damaged (" + e.getMessage() + ")");
      }
      if (Zstd.isError(n)) {
        throw new CorruptChunkException(expectedHash, "zstd frame is damaged (" + Zstd.getErrorName(n) + ")");
      }
      if (n != expectedLength) {
        throw new CorruptChunkException(expectedHash, "decompressed to " + n + " bytes, expected " + expectedLength);
      }
    } else if (stored[0] == LZ4) {
      int n;
      try {
        n = DECOMPRESSOR.decompress(stored, 1, stored.length - 1, raw, offset, expectedLength);
      } catch (LZ4Exception e) {
        throw new CorruptChunkException(expectedHash, "LZ4 block is damaged (" + e.getMessage() + ")");
      }
      if (n != expectedLength) {
        throw new CorruptChunkException(expectedHash, "decompressed to " + n + " bytes, expected " + expectedLength);
      }
    } else {
      throw new CorruptChunkException(expectedHash, "unknown encoding tag " + stored[0]);
    }
  }
}
