package org.vmqsc.agent.store;

import java.io.ByteArrayInputStream;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import org.vmqsc.agent.engine.CheckpointEngine;
import org.vmqsc.agent.engine.FixedChunker;

/**
 * A stand-in agent for {@link KilledAgentTest}: writes checkpoints of a changing image into a store until it is
 * killed. Checkpoint {@code ck-<n>} always holds {@link #image(int)}, so a survivor can be checked byte for byte.
 */
public final class CheckpointWriterProcess {

  static final int PAGES = 512;

  static byte[] image(int n) {
    byte[] image = new byte[PAGES * 4096];
    new Random(42).nextBytes(image);
    Random changes = new Random(n);
    byte[] page = new byte[4096];
    for (int i = 0; i < 40; i++) {  // each checkpoint differs in about 8 % of its pages
      changes.nextBytes(page);
      System.arraycopy(page, 0, image, changes.nextInt(PAGES) * 4096, 4096);
    }
    return image;
  }

  public static void main(String[] args) throws Exception {
    DirectoryStore store = DirectoryStore.open("staging", Path.of(args[0]));
    CheckpointEngine engine = new CheckpointEngine(store, new FixedChunker(1));
    int n = Integer.parseInt(args[1]);
    while (true) {
      CheckpointKey key = new CheckpointKey("vm-1", "ck-" + n);
      engine.store(key, new ByteArrayInputStream(image(n)), Map.of());
      if (n % 3 == 0) {
        store.deleteManifest(new CheckpointKey("vm-1", "ck-" + (n - 2)));
        GarbageCollector.collect(store);
      }
      n++;
    }
  }
}
