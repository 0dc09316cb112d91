package org.vmqsc.agent.store;

import java.io.IOException;
import java.util.HashSet;
import java.util.Set;

/**
 * Deletes chunks that no manifest names and no checkpoint in progress holds. Safe to run while checkpoints are
 * being written: see {@link ChunkGuard}.
 */
public final class GarbageCollector {

  public record Result(int chunksDeleted, long bytesBefore, long bytesAfter) {}

  private GarbageCollector() {}

  public static Result collect(CheckpointStore store) throws IOException {
    long before = store.usedBytes();
    try {
      int deleted = store.guard().exclusively(() -> {
        Set<String> referenced = new HashSet<>();
        for (CheckpointKey key : store.checkpoints()) {
          store.manifest(key).ifPresent(m -> m.chunks().stream()
              .filter(c -> !c.isZero()).forEach(c -> referenced.add(c.hash())));
        }
        return store.retainOnly(hash -> referenced.contains(hash) || store.guard().isHeld(hash));
      });
      return new Result(deleted, before, store.usedBytes());
    } catch (IOException | RuntimeException e) {
      throw e;
    } catch (Exception e) {
      throw new IOException("garbage collection of " + store.describe() + " failed", e);
    }
  }
}
