package org.vmqsc.agent.wire;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.TypeAdapter;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import com.google.gson.stream.JsonWriter;
import java.io.IOException;
import java.util.Base64;

/**
 * The JSON of manager ↔ agent traffic: the records of {@link WireMessages} and the protocol's records they carry,
 * with payload bytes as base64 and maps keyed by messages as [key, value] pairs. Both ends use this one Gson, so a field means the same on both sides.
 */
public final class Wire {

  /** The header that carries the cluster's agent token on every request, both ways. */
  public static final String TOKEN_HEADER = "X-Vmqsc-Agent-Token";

  public static final Gson GSON = new GsonBuilder()
      .disableHtmlEscaping()
      .registerTypeAdapter(byte[].class, new Base64Adapter().nullSafe())
      .enableComplexMapKeySerialization() // a migration's payloads are keyed by message
      .create();

  private Wire() {}

  private static final class Base64Adapter extends TypeAdapter<byte[]> {
    @Override public void write(JsonWriter out, byte[] value) throws IOException {
      out.value(Base64.getEncoder().encodeToString(value));
    }

    @Override public byte[] read(JsonReader in) throws IOException {
      if (in.peek() != JsonToken.STRING) throw new IOException("payload bytes must be a base64 string");
      try {
        return Base64.getDecoder().decode(in.nextString());
      } catch (IllegalArgumentException e) {
        throw new IOException("payload bytes are not valid base64", e);
      }
    }
  }
}
