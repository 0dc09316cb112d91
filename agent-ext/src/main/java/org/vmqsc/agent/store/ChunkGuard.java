package org.vmqsc.agent.store;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;

/**
 * Keeps the garbage collector away from chunks that a checkpoint in progress relies on but that no manifest names
 * yet (a chunk just written, or an old chunk it deduplicated against).
 *
 * <p>A writer holds a hash <em>before</em> it asks the store whether the chunk exists. The collector decides and
 * deletes while holding the same lock, so either it deleted the chunk before the hold (the writer then sees it
 * missing and writes it again) or it sees the hold and keeps the chunk.
 */
public final class ChunkGuard {

  private final Object lock = new Object();
  private final Map<String, Integer> holds = new HashMap<>();

  /** Opens a lease for one writer; close it after that writer's manifest is written (or it gave up). */
  public Lease open() {
    return new Lease();
  }

  /** Runs the collector's decide-and-delete step with no hold being taken or released meanwhile. */
  <T> T exclusively(Callable<T> work) throws Exception {
    synchronized (lock) {
      return work.call();
    }
  }

  /** Must be called with the lock held. */
  boolean isHeld(String hash) {
    return holds.containsKey(hash);
  }

  public final class Lease implements AutoCloseable {
    private final Set<String> mine = new HashSet<>();

    public void hold(String hash) {
      synchronized (lock) {
        if (mine.add(hash)) {
          holds.merge(hash, 1, Integer::sum);
        }
      }
    }

    @Override public void close() {
      synchronized (lock) {
        for (String hash : mine) {
          holds.computeIfPresent(hash, (h, count) -> count == 1 ? null : count - 1);
        }
        mine.clear();
      }
    }
  }
}
