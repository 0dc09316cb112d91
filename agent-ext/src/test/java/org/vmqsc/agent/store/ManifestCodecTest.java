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
    // and the reflective reader the previous version used reads what this one writes
    Manifest current = manifest(List.of(new ChunkRef(HASH, 4096, FINGERPRINT)));
    byte[] json = Zstd.decompress(ManifestCodec.encode(current), 1 << 20);
    assertEquals(current, new Gson().fromJson(new String(json, StandardCharsets.UTF_8), Manifest.class));
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
