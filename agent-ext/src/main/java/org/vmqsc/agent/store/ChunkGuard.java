package org.vmqsc.agent.store;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;

/**
 * Keeps the garbage collector away from chunks that a checkpoint in progress relies on but that no manifest names
 * yet (a chunk just written, or an old chunk it deduplicated against).
 *
 * <p>A writer holds a hash <em>before</em> it asks the store whether the chunk exists. The collector decides and
 * deletes while holding the same lock, so either it deleted the chunk before the hold (the writer then sees it
 * missing and writes it again) or it sees the hold and keeps the chunk.
 *
 * <p>Each lease keeps its own holds and the collector asks every open lease: a checkpoint holds tens of thousands
 * of chunks and a host runs a few checkpoints at once, so a hold is one set insertion and a lease's end is free,
 * where a shared count per hash cost two map updates per chunk.
 */
public final class ChunkGuard {

  private final Object lock = new Object();
  private final List<Lease> open = new ArrayList<>();

  /** Opens a lease for one writer; close it after that writer's manifest is written (or it gave up). */
  public Lease open() {
    return open(16);
  }

  /** As {@link #open()}, for a writer that expects to hold about {@code expectedHolds} chunks. */
  public Lease open(int expectedHolds) {
    Lease lease = new Lease(expectedHolds);
    synchronized (lock) {
      open.add(lease);
    }
    return lease;
  }

  /** Runs the collector's decide-and-delete step with no hold being taken or released meanwhile. */
  <T> T exclusively(Callable<T> work) throws Exception {
    synchronized (lock) {
      return work.call();
    }
  }

  /** Must be called with the lock held. */
  boolean isHeld(String hash) {
    for (Lease lease : open) {
      if (lease.mine.contains(hash)) {
        return true;
      }
    }
    return false;
  }

  /**
   * Every hash an open lease holds now: for a collector that cannot keep writers waiting while it works (the
   * shared store's sweep, which the flusher's check before its manifest covers for holds taken later).
   */
  Set<String> held() {
    synchronized (lock) {
      Set<String> all = new HashSet<>();
      for (Lease lease : open) {
        lease.mine.addTo(all);
      }
      return all;
    }
  }

  public final class Lease implements AutoCloseable {
    private final NameSet mine;

    private Lease(int expectedHolds) {
      mine = new NameSet(expectedHolds);
    }

    public void hold(String hash) {
      synchronized (lock) {
        mine.add(hash);
      }
    }

    @Override public void close() {
      synchronized (lock) {
        open.remove(this);
        mine.clear();
      }
    }
  }
}
