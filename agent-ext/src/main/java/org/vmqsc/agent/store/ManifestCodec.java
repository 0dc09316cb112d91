package org.vmqsc.agent.store;

import com.github.luben.zstd.Zstd;
import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonParseException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/** Manifests are JSON, zstd-compressed: a manifest lists one 64-character hash per chunk, which compresses well. */
public final class ManifestCodec {

  private static final Gson GSON = new GsonBuilder().registerTypeAdapter(ChunkRef.class, new ChunkRefAdapter()).create();

  private ManifestCodec() {}

  public static byte[] encode(Manifest manifest) {
    return Zstd.compress(GSON.toJson(manifest).getBytes(StandardCharsets.UTF_8), 1);  // hex digits: level 3 saves nothing
  }

  public static Manifest decode(byte[] stored, String where) throws IOException {
    try {
      long size = Zstd.getFrameContentSize(stored);
      if (Zstd.isError(size) || size <= 0 || size > Integer.MAX_VALUE) {
        throw new IOException("manifest " + where + " is damaged (no valid zstd frame)");
      }
      byte[] json = Zstd.decompress(stored, (int) size);
      Manifest manifest = GSON.fromJson(new String(json, StandardCharsets.UTF_8), Manifest.class);
      if (manifest == null) {
        throw new IOException("manifest " + where + " is empty");
      }
      manifest = new Manifest(manifest.format(), manifest.vmId(), manifest.checkpointId(), manifest.createdAtMillis(),
          manifest.imageBytes(), manifest.chunker(),
          manifest.attributes() == null ? java.util.Map.of() : manifest.attributes(),
          manifest.chunks() == null ? java.util.List.of() : manifest.chunks());
      manifest.validate();
      return manifest;
    } catch (JsonParseException | IllegalStateException | IllegalArgumentException | NullPointerException e) {
      throw new IOException("manifest " + where + " is damaged: " + e.getMessage(), e);
    } catch (RuntimeException e) {  // zstd-jni reports damaged frames as ZstdException
      throw new IOException("manifest " + where + " is damaged: " + e.getMessage(), e);
    }
  }
}
