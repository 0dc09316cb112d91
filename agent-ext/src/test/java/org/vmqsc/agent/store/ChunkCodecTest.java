package org.vmqsc.agent.store;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.Test;

public class ChunkCodecTest {

  private final ChunkHasher hasher = new ChunkHasher();

  @Test public void randomBytesAreStoredRawAndTextCompressed() throws Exception {
    byte[] random = new byte[8192];
    new Random(1).nextBytes(random);
    byte[] text = "kernel: page cache holds file data; ".repeat(300).substring(0, 8192).getBytes(StandardCharsets.US_ASCII);
    assertTrue(ChunkCodec.looksIncompressible(random, 0, random.length));
    assertFalse(ChunkCodec.looksIncompressible(text, 0, text.length));
    byte[] storedRandom = ChunkCodec.encode(random, 0, random.length);
    byte[] storedText = ChunkCodec.encode(text, 0, text.length);
    assertEquals(ChunkCodec.RAW, storedRandom[0]);
    assertEquals(ChunkCodec.LZ4, storedText[0]);
    assertTrue(storedText.length < text.length / 10);
    assertArrayEquals(random, ChunkCodec.decode(storedRandom, hasher.hash(random, 0, 8192), 8192, hasher));
    assertArrayEquals(text, ChunkCodec.decode(storedText, hasher.hash(text, 0, 8192), 8192, hasher));
  }

  @Test public void everyKindOfDamageIsCaught() {
    byte[] text = "abcdefgh".repeat(1024).getBytes(StandardCharsets.US_ASCII);
    String hash = hasher.hash(text, 0, text.length);
    byte[] stored = ChunkCodec.encode(text, 0, text.length);
    byte[][] damaged = {
        new byte[0],
        java.util.Arrays.copyOf(stored, stored.length / 2),
        withByte(stored, 0, (byte) 'Q'),
        withByte(stored, stored.length - 1, (byte) (stored[stored.length - 1] ^ 1)),
        withByte(stored, 1, (byte) (stored[1] ^ 0x40)),
    };
    for (byte[] bad : damaged) {
      try {
        ChunkCodec.decode(bad, hash, text.length, hasher);
        fail("accepted damaged bytes of length " + bad.length);
      } catch (CorruptChunkException expected) {
        assertEquals(hash, expected.hash());
      }
    }
  }

  @Test public void chunksStoredAsZstdByEarlierVersionsStillDecodeAndVerify() throws Exception {
    byte[] text = "guest page cache: zstd era; ".repeat(400).substring(0, 8192).getBytes(StandardCharsets.US_ASCII);
    byte[] frame = com.github.luben.zstd.Zstd.compress(text, 1);
    byte[] stored = new byte[1 + frame.length];
    stored[0] = ChunkCodec.ZSTD;
    System.arraycopy(frame, 0, stored, 1, frame.length);
    String hash = hasher.hash(text, 0, text.length);
    assertArrayEquals(text, ChunkCodec.decode(stored, hash, text.length, hasher));
    stored[stored.length - 1] ^= 1;
    try {
      ChunkCodec.decode(stored, hash, text.length, hasher);
      fail("accepted a damaged zstd frame");
    } catch (CorruptChunkException expected) {
      assertEquals(hash, expected.hash());
    }
  }

  private static byte[] withByte(byte[] bytes, int index, byte value) {
    byte[] copy = bytes.clone();
    copy[index] = value;
    return copy;
  }
}
