package org.vmqsc.agent.store;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.fail;

import com.github.luben.zstd.Zstd;
import com.google.gson.Gson;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.Test;

public class ManifestCodecTest {

  private static final String HASH = "ab".repeat(32);
  private static final String FINGERPRINT = "0123456789abcdef".repeat(2);

  private static Manifest manifest(List<ChunkRef> chunks) {
    long bytes = chunks.stream().mapToLong(ChunkRef::length).sum();
    return new Manifest(Manifest.FORMAT, "vm-1", "ck-1", 1234L, bytes, "gear-8k", Map.of("mode", "test"), chunks);
  }

  private static byte[] asWrittenByReflection(Object manifest) {
    return Zstd.compress(new Gson().toJson(manifest).getBytes(StandardCharsets.UTF_8), 3);
  }

  @Test public void readsWhatItWritesWithAndWithoutFingerprints() throws IOException {
    Manifest manifest = manifest(List.of(new ChunkRef(HASH, 4096, FINGERPRINT), ChunkRef.zeros(8192),
        new ChunkRef(HASH, 100)));
    assertEquals(manifest, ManifestCodec.decode(ManifestCodec.encode(manifest), "test"));
  }

  @Test public void aManifestLargerThanTheWriteBufferAndALongAttributeReadBackAndTakeTheSizeReserved()
      throws IOException {
    java.util.Random random = new java.util.Random(5);
    java.util.List<ChunkRef> chunks = new java.util.ArrayList<>();
    for (int i = 0; i < 20_000; i++) {  // about 1 MB: many times the encoder's buffer, entries across its edges
      byte[] name = new byte[32];
      byte[] fingerprint = new byte[16];
      random.nextBytes(name);
      random.nextBytes(fingerprint);
      String hex = java.util.HexFormat.of().formatHex(name);
      chunks.add(i % 7 == 0 ? ChunkRef.zeros(4096 * (1 + i % 3))
          : i % 5 == 0 ? new ChunkRef(hex, 4096) : new ChunkRef(hex, 1 + random.nextInt(32768),
              java.util.HexFormat.of().formatHex(fingerprint)));
    }
    String longValue = "x".repeat(150_000) + "é";  // longer than the buffer, not ASCII at its end
    long bytes = chunks.stream().mapToLong(ChunkRef::length).sum();
    Manifest manifest = new Manifest(Manifest.FORMAT, "vm-1", "ck-1", 1234L, bytes, "gear-8k",
        Map.of("mode", "test", "long", longValue), chunks);

    byte[] encoded = ManifestCodec.encode(manifest);

    assertEquals(ManifestCodec.encodedSize(manifest), encoded.length);
    assertEquals(manifest, ManifestCodec.decode(encoded, "test"));
  }

  @Test public void readsWhatItWritesWithStagingKeys() throws IOException {
    String key = StagingKeys.key(StagingKeys.prefix("vm-1"), FINGERPRINT);
    Manifest manifest = manifest(List.of(ChunkRef.staged(key, 4096, FINGERPRINT), ChunkRef.zeros(8192),
        new ChunkRef(HASH, 100, FINGERPRINT)));
    Manifest read = ManifestCodec.decode(ManifestCodec.encode(manifest), "test");
    assertEquals(manifest, read);
    assertEquals(true, read.chunks().get(0).staged());
    assertEquals(false, read.chunks().get(2).staged());
  }

  @Test public void aStagingKeyOfAnotherVmOrFingerprintIsRefused() throws IOException {
    String othersKey = StagingKeys.key(StagingKeys.prefix("vm-2"), FINGERPRINT);
    String otherFingerprint = StagingKeys.key(StagingKeys.prefix("vm-1"), "fe".repeat(16));
    for (String key : List.of(othersKey, otherFingerprint, HASH)) {
      try {
        ManifestCodec.decode(ManifestCodec.encode(manifest(List.of(ChunkRef.staged(key, 4096, FINGERPRINT)))), "test");
        fail("a manifest naming " + key + " as vm-1's staging key for " + FINGERPRINT + " was read");
      } catch (IOException expected) {
        // damaged
      }
    }
  }

  @Test public void readsManifestsWrittenBeforeFingerprintsAndBeforeItsOwnAdapter() throws IOException {
    record OldChunkRef(String h, int n) {}
    record OldManifest(int format, String vmId, String checkpointId, long createdAtMillis, long imageBytes,
        String chunker, Map<String, String> attributes, List<OldChunkRef> chunks) {}
    byte[] old = asWrittenByReflection(new OldManifest(Manifest.FORMAT, "vm-1", "ck-1", 1234L, 4096 + 8192, "gear-8k",
        Map.of(), List.of(new OldChunkRef(HASH, 4096), new OldChunkRef(null, 8192))));

    Manifest read = ManifestCodec.decode(old, "test");

    assertEquals(new ChunkRef(HASH, 4096), read.chunks().get(0));
    assertNull(read.chunks().get(0).fingerprint());
    assertEquals(ChunkRef.zeros(8192), read.chunks().get(1));
  }

  @Test public void readsManifestsWrittenAsJsonWithFingerprints() throws IOException {
    Manifest manifest = manifest(List.of(new ChunkRef(HASH, 4096, FINGERPRINT), ChunkRef.zeros(8192)));
    byte[] json = Zstd.compress(new com.google.gson.GsonBuilder()
        .registerTypeAdapter(ChunkRef.class, new ChunkRefAdapter()).create()
        .toJson(manifest).getBytes(StandardCharsets.UTF_8), 1);

    assertEquals(manifest, ManifestCodec.decode(json, "test"));
  }

  @Test public void everyTruncationAndEveryFlippedByteIsRefused() throws IOException {
    byte[] encoded = ManifestCodec.encode(manifest(List.of(new ChunkRef(HASH, 4096, FINGERPRINT),
        ChunkRef.zeros(8192), new ChunkRef(HASH, 100))));
    for (int length = 0; length < encoded.length; length++) {
      assertRefused(java.util.Arrays.copyOf(encoded, length), "cut to " + length + " bytes");
    }
    for (int at = 0; at < encoded.length; at++) {
      for (int bit = 0; bit < 8; bit++) {
        byte[] damaged = encoded.clone();
        damaged[at] ^= (byte) (1 << bit);
        assertRefused(damaged, "bit " + bit + " of byte " + at + " flipped");
      }
    }
  }

  @Test public void chunkEntriesTakeTheirRawSize() {
    List<ChunkRef> chunks = new java.util.ArrayList<>();
    for (int i = 0; i < 1000; i++) {
      chunks.add(new ChunkRef(HASH, 4096, FINGERPRINT));
    }
    // 5 bytes of kind and length, 32 of SHA-256, 16 of fingerprint: no hex digits on disk
    assertEquals(true, ManifestCodec.encode(manifest(chunks)).length < 1000 * 54);
  }

  private static void assertRefused(byte[] stored, String what) {
    try {
      ManifestCodec.decode(stored, "test");
      fail("accepted a manifest with " + what);
    } catch (IOException expected) {
      assertEquals(what + ": " + expected.getMessage(), true, expected.getMessage().contains("damaged")
          || expected.getMessage().contains("empty"));
    }
  }

  @Test public void malformedFingerprintsAreRefused() {
    for (String bad : new String[] {"0123", FINGERPRINT.toUpperCase(), FINGERPRINT.replace('a', 'g')}) {
      try {
        ManifestCodec.decode(asWrittenByReflection(manifest(List.of(new ChunkRef(HASH, 10, bad)))), "test");
        fail("accepted fingerprint " + bad);
      } catch (IOException expected) {
        assertEquals(true, expected.getMessage().contains("fingerprint"));
      }
    }
  }
}
