package org.vmqsc.agent.flush;

import java.io.IOException;
import java.util.LinkedHashSet;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.List;
import org.vmqsc.agent.store.CheckpointKey;
import org.vmqsc.agent.store.CheckpointStore;
import org.vmqsc.agent.store.ChunkCodec;
import org.vmqsc.agent.store.ChunkGuard;
import org.vmqsc.agent.store.ChunkHasher;
import org.vmqsc.agent.store.ChunkRef;
import org.vmqsc.agent.store.ChunkWriter;
import org.vmqsc.agent.store.Manifest;

/**
 * Copies staged checkpoints to the stable store in the background, within a bandwidth budget. Chunks the stable
 * store already holds are not sent again; each chunk is verified on the way (a chunk that rotted on the host is not
 * spread to stable storage); the manifest goes last, and only then is the checkpoint reported STABLE.
 */
public final class LazyFlusher implements AutoCloseable {

  /** Told about every change of state, on the flusher's thread. */
  public interface Listener {
    void stateChanged(CheckpointKey key, CheckpointState state);

    default void flushFailed(CheckpointKey key, IOException error) {}
  }

  private final CheckpointStore staging;
  private final CheckpointStore stable;
  private final BandwidthBudget budget;
  private final List<Listener> listeners = new CopyOnWriteArrayList<>();
  private final Set<CheckpointKey> queue = new LinkedHashSet<>();
  private final Thread worker;
  private final long retryMillis;
  private volatile boolean closed;

  public LazyFlusher(CheckpointStore staging, CheckpointStore stable, BandwidthBudget budget, long retryMillis) {
    this.staging = staging;
    this.stable = stable;
    this.budget = budget;
    this.retryMillis = retryMillis;
    this.worker = new Thread(this::run, "vmqsc-flusher");
    this.worker.setDaemon(true);
  }

  public LazyFlusher addListener(Listener listener) {
    listeners.add(listener);
    return this;
  }

  public LazyFlusher start() {
    worker.start();
    return this;
  }

  /** Queues a staged checkpoint for flushing. */
  public void submit(CheckpointKey key) {
    synchronized (queue) {
      queue.add(key);
      queue.notifyAll();
    }
  }

  /** Where a checkpoint is, or empty if neither store has it. */
  public Optional<CheckpointState> state(CheckpointKey key) throws IOException {
    if (stable.manifest(key).isPresent()) {
      return Optional.of(CheckpointState.STABLE);
    }
    if (staging.manifest(key).isPresent()) {
      return Optional.of(CheckpointState.STAGED);
    }
    return Optional.empty();
  }

  /** Waits until a checkpoint is stable; false on timeout. */
  public boolean awaitStable(CheckpointKey key, long timeoutMillis) throws IOException, InterruptedException {
    long deadline = System.currentTimeMillis() + timeoutMillis;
    while (System.currentTimeMillis() < deadline) {
      if (state(key).orElse(null) == CheckpointState.STABLE) {
        return true;
      }
      Thread.sleep(20);
    }
    return state(key).orElse(null) == CheckpointState.STABLE;
  }

  private void run() {
    while (!closed) {
      CheckpointKey key;
      synchronized (queue) {
        while (queue.isEmpty() && !closed) {
          try {
            queue.wait();
          } catch (InterruptedException e) {
            return;
          }
        }
        if (closed) {
          return;
        }
        key = queue.iterator().next();
        queue.remove(key);
      }
      try {
        flush(key);
      } catch (InterruptedException e) {
        return;
      } catch (IOException e) {
        listeners.forEach(l -> l.flushFailed(key, e));
        retryLater(key);
      }
    }
  }

  private void retryLater(CheckpointKey key) {
    try {
      Thread.sleep(retryMillis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return;
    }
    submit(key);
  }

  /** Copies one checkpoint now, on the calling thread. */
  public void flush(CheckpointKey key) throws IOException, InterruptedException {
    if (stable.manifest(key).isPresent()) {
      listeners.forEach(l -> l.stateChanged(key, CheckpointState.STABLE));
      return;
    }
    Optional<Manifest> staged = staging.manifest(key);
    if (staged.isEmpty()) {
      throw new IOException("cannot flush " + key + ": it is not in " + staging.describe());
    }
    Manifest manifest = staged.get();
    ChunkHasher hasher = new ChunkHasher();
    try (ChunkGuard.Lease lease = stable.guard().open(); ChunkWriter writer = stable.openWriter()) {
      for (ChunkRef ref : manifest.chunks()) {
        if (ref.isZero()) {
          continue;
        }
        lease.hold(ref.hash());
        if (writer.has(ref.hash())) {
          continue;
        }
        byte[] encoded = staging.readChunk(ref.hash());
        ChunkCodec.decode(encoded, ref.hash(), ref.length(), hasher);  // throws if it rotted on the host
        budget.acquire(encoded.length);
        writer.put(ref.hash(), encoded);
      }
      writer.commit();
      stable.putManifest(manifest);
    }
    listeners.forEach(l -> l.stateChanged(key, CheckpointState.STABLE));
  }

  @Override public void close() throws InterruptedException {
    closed = true;
    synchronized (queue) {
      queue.notifyAll();
    }
    // Let a flush under way finish: an interrupt inside its file I/O would fail a checkpoint already stable.
    worker.join(5000);
    if (worker.isAlive()) {
      worker.interrupt();
      worker.join(5000);
    }
  }
}
