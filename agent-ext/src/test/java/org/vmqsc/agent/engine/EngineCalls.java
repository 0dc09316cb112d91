package org.vmqsc.agent.engine;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Map;
import org.vmqsc.agent.store.CheckpointKey;
import org.vmqsc.agent.store.CheckpointStore;

/** The engine's calls as tests make them: an image in memory stored as a checkpoint, and restored into memory. */
public final class EngineCalls {

  private EngineCalls() {}

  /** Stores {@code image} as checkpoint {@code key}, without attributes. */
  public static CheckpointStats store(CheckpointEngine engine, CheckpointKey key, byte[] image) throws IOException {
    return engine.store(key, new ByteArrayInputStream(image), Map.of());
  }

  /** The image of checkpoint {@code key} in {@code store}, every chunk verified. */
  public static byte[] restore(CheckpointKey key, CheckpointStore store) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    CheckpointEngine.restore(key, store, out, null);
    return out.toByteArray();
  }
}
