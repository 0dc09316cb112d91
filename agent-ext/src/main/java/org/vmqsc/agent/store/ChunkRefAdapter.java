package org.vmqsc.agent.store;

import com.google.gson.TypeAdapter;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import com.google.gson.stream.JsonWriter;
import java.io.IOException;

/**
 * Reads and writes {@link ChunkRef} as {@code {"h":…,"n":…,"f":…}} without reflection: a manifest has one entry per
 * chunk (65 536 for 256 MiB in 4 KiB chunks), and Gson's reflective record adapter took a tenth of an incremental
 * checkpoint's CPU time. Same JSON as before; absent or null fields read as null.
 */
final class ChunkRefAdapter extends TypeAdapter<ChunkRef> {

  @Override public void write(JsonWriter out, ChunkRef ref) throws IOException {
    if (ref == null) {
      out.nullValue();
      return;
    }
    out.beginObject();
    if (ref.hash() != null) {
      out.name("h").value(ref.hash());
    }
    out.name("n").value(ref.length());
    if (ref.fingerprint() != null) {
      out.name("f").value(ref.fingerprint());
    }
    if (ref.staged()) {
      out.name("s").value(true);
    }
    out.endObject();
  }

  @Override public ChunkRef read(JsonReader in) throws IOException {
    if (in.peek() == JsonToken.NULL) {
      in.nextNull();
      return null;
    }
    String hash = null;
    String fingerprint = null;
    int length = 0;
    boolean staged = false;
    in.beginObject();
    while (in.hasNext()) {
      String name = in.nextName();
      if (in.peek() == JsonToken.NULL) {
        in.nextNull();
        continue;
      }
      switch (name) {
        case "h" -> hash = in.nextString();
        case "n" -> length = in.nextInt();
        case "f" -> fingerprint = in.nextString();
        case "s" -> staged = in.nextBoolean();
        default -> in.skipValue();  // a field a newer version added
      }
    }
    in.endObject();
    return new ChunkRef(hash, length, fingerprint, staged);
  }
}
