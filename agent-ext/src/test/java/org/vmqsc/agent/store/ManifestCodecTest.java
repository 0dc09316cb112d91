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
        ManifestCodec.encode(manifest(List.of(ChunkRef.staged(key, 4096, FINGERPRINT))));
        fail("a manifest naming " + key + " as vm-1's staging key for " + FINGERPRINT + " was written");
      } catch (IllegalStateException expected) {
        assertEquals(true, expected.getMessage().contains("not a staging key of this VM"));
      }
    }
    // Read: a written staging key changed on disk, in its VM's part or in its fingerprint's (the checksum, or the
    // check of the key after it, refuses it).
    String key = StagingKeys.key(StagingKeys.prefix("vm-1"), FINGERPRINT);
    byte[] written = ManifestCodec.encode(manifest(List.of(ChunkRef.staged(key, 4096, FINGERPRINT))));
    byte[] name = java.util.HexFormat.of().parseHex(key);
    int at = indexOf(written, name);
    for (int flip : new int[] {at + 5, at + 20}) {
      byte[] damaged = written.clone();
      damaged[flip] ^= 1;
      try {
        ManifestCodec.decode(damaged, "test");
        fail("a staging key changed at byte " + (flip - at) + " was read");
      } catch (IOException expected) {
        assertEquals(expected.getMessage(), true, expected.getMessage().contains("damaged"));
      }
    }
  }

  private static int indexOf(byte[] haystack, byte[] needle) {
    for (int i = 0; i + needle.length <= haystack.length; i++) {
      if (java.util.Arrays.equals(haystack, i, i + needle.length, needle, 0, needle.length)) return i;
    }
    throw new AssertionError("not found");
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

  /**
   * A store checks a manifest's names as it encodes them, not before: for random manifests, each with one random
   * flaw or none, encoding refuses exactly what {@link Manifest#validate} refuses, with the same message.
   */
  @Test public void encodingRefusesTheNamesValidateRefusesWithItsMessage() {
    java.util.Random random = new java.util.Random(17);
    String prefix = StagingKeys.prefix("vm-1");
    String otherPrefix = StagingKeys.prefix("vm-2");
    java.util.HexFormat hex = java.util.HexFormat.of();
    int refused = 0;
    for (int run = 0; run < 3000; run++) {
      List<ChunkRef> chunks = new java.util.ArrayList<>();
      int n = 1 + random.nextInt(6);
      for (int i = 0; i < n; i++) {
        byte[] name = new byte[32];
        byte[] fingerprint = new byte[16];
        random.nextBytes(name);
        random.nextBytes(fingerprint);
        String fp = hex.formatHex(fingerprint);
        chunks.add(switch (random.nextInt(4)) {
          case 0 -> ChunkRef.zeros(4096);
          case 1 -> new ChunkRef(hex.formatHex(name), 100);
          case 2 -> new ChunkRef(hex.formatHex(name), 100, fp);
          default -> new ChunkRef(StagingKeys.key(prefix, fp), 100, fp, true);
        });
      }
      if (random.nextInt(4) != 0) {
        int at = random.nextInt(n);
        ChunkRef ref = chunks.get(at);
        String h = ref.hash() == null ? HASH : ref.hash();
        String f = ref.fingerprint() == null ? FINGERPRINT : ref.fingerprint();
        int c = random.nextInt(h.length());
        String badDigit = String.valueOf("gA\u00e9 Z".charAt(random.nextInt(5)));
        chunks.set(at, switch (random.nextInt(8)) {
          case 0 -> new ChunkRef(h.substring(0, c) + badDigit + h.substring(c + 1), 100, ref.fingerprint(),
              ref.staged());
          case 1 -> new ChunkRef(h.substring(1), 100, ref.fingerprint(), ref.staged());
          case 2 -> new ChunkRef(h, 100, f.substring(0, c % 32) + badDigit + f.substring(c % 32 + 1), ref.staged());
          case 3 -> new ChunkRef(StagingKeys.key(otherPrefix, f), 100, f, true);
          case 4 -> new ChunkRef(StagingKeys.key(prefix, f), 100, FINGERPRINT, true);
          case 5 -> new ChunkRef(h, 100, null, true);
          case 6 -> new ChunkRef(null, 100, f, false);
          default -> new ChunkRef(null, 100, null, true);
        });
      }
      Manifest manifest = manifest(chunks);
      String validateSays = null;
      try {
        manifest.validate();
      } catch (IllegalStateException e) {
        validateSays = e.getMessage();
        refused++;
      }
      String encodeSays = null;
      try {
        manifest.validateEntries();
        ManifestCodec.encode(manifest);
      } catch (IllegalStateException e) {
        encodeSays = e.getMessage();
      }
      assertEquals(chunks.toString(), validateSays, encodeSays);
    }
    assertEquals("most runs have a flaw that counts", true, refused > 1500);
  }
}
