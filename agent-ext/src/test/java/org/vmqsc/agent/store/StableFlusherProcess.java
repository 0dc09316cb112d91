package org.vmqsc.agent.store;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import org.vmqsc.agent.engine.CheckpointEngine;
import org.vmqsc.agent.engine.FixedChunker;
import org.vmqsc.agent.flush.BandwidthBudget;
import org.vmqsc.agent.flush.LazyFlusher;

/**
 * A stand-in host for {@link ConcurrentSweepTest}: stages checkpoints {@code ck-1..ck-<count>} of one VM (each
 * {@link CheckpointWriterProcess#image(int)}, so most chunks are shared with earlier ones and with other hosts),
 * flushes each to the shared stable store, deletes the stable manifest two behind, and reads the one before back
 * from the stable store, as a host restoring its VM would. Exits with status 0 when all went well.
 */
public final class StableFlusherProcess {

  public static void main(String[] args) throws Exception {
    DirectoryStore staging = DirectoryStore.open("staging", Path.of(args[0]));
    DirectoryStore stable = DirectoryStore.openShared("stable", Path.of(args[1]));
    String vm = args[2];
    int count = Integer.parseInt(args[3]);
    CheckpointEngine engine = new CheckpointEngine(staging, new FixedChunker(1));
    try (LazyFlusher flusher = new LazyFlusher(staging, stable, BandwidthBudget.unlimited(), 50)) {
      for (int n = 1; n <= count; n++) {
        CheckpointKey key = new CheckpointKey(vm, "ck-" + n);
        engine.store(key, new ByteArrayInputStream(CheckpointWriterProcess.image(n)), Map.of());
        flusher.flush(key);
        if (n > 2) {
          stable.deleteManifest(new CheckpointKey(vm, "ck-" + (n - 2)));
        }
        if (n > 1) {
          CheckpointKey previous = new CheckpointKey(vm, "ck-" + (n - 1));
          ByteArrayOutputStream out = new ByteArrayOutputStream();
          CheckpointEngine.restore(previous, stable, out, null);
          if (!Arrays.equals(CheckpointWriterProcess.image(n - 1), out.toByteArray())) {
            throw new AssertionError(previous + " restored other bytes");
          }
          staging.deleteManifest(previous);
          GarbageCollector.collect(staging);
        }
      }
    }
    System.out.println("flushed " + count);
  }
}
