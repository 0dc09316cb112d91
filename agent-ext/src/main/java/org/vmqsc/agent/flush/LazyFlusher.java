package org.vmqsc.agent.flush;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
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
 * spread to stable storage); the manifest goes last, and only then is the checkpoint reported STABLE. Just before
 * the manifest, chunks a sweep of the stable store moved away meanwhile are stored again.
 */
public final class LazyFlusher implements AutoCloseable {

  /** Told about every change of state, on the flusher's thread. */
  public interface Listener {
    void stateChanged(CheckpointKey key, CheckpointState state);

    default void flushFailed(CheckpointKey key, IOException error) {}
  }

  /** How often a flush stores again chunks that vanished from the stable store before it gives up (and retries). */
  private static final int STORE_AGAIN_ROUNDS = 3;

  private final CheckpointStore staging;
  private final CheckpointStore stable;
  private final BandwidthBudget budget;
  private final List<Listener> listeners = new CopyOnWriteArrayList<>();
  private final Set<CheckpointKey> queue = new LinkedHashSet<>();
  private final Thread worker;
  /** The checkpoint being flushed now, or null; guarded by {@code queue}. */
  private CheckpointKey flushing;
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

  /**
   * Whether {@code key} waits to be flushed or is being flushed now: a checkpoint staged here and not on stable
   * storage is either this, or flushed already and deleted there since (another host collected it).
   */
  public boolean isPending(CheckpointKey key) {
    synchronized (queue) {
      return key.equals(flushing) || queue.contains(key);
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
    BackgroundPriority.lowerCurrentThread();
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
        flushing = key;
      }
      try {
        flush(key);
      } catch (InterruptedException e) {
        return;
      } catch (IOException e) {
        listeners.forEach(l -> l.flushFailed(key, e));
        if (stillStaged(key)) retryLater(key);  // one collected meanwhile is not retried forever
      } finally {
        synchronized (queue) {
          flushing = null;
        }
      }
    }
  }

  /** Whether the staging store still holds {@code key} (or cannot tell: then it is tried again). */
  private boolean stillStaged(CheckpointKey key) {
    try {
      return staging.manifest(key).isPresent();
    } catch (IOException e) {
      return true;
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
    try (ChunkGuard.Lease lease = stable.guard().open()) {
      try (ChunkWriter writer = stable.openWriter()) {
        for (ChunkRef ref : manifest.chunks()) {
          if (ref.isZero()) {
            continue;
          }
          lease.hold(ref.hash());
          if (!writer.has(ref.hash())) {
            copy(ref, writer, hasher);
          }
        }
        writer.commit();
      }
      storeAgainWhatVanished(manifest, hasher);
      stable.putManifest(manifest);
    }
    listeners.forEach(l -> l.stateChanged(key, CheckpointState.STABLE));
  }

  /**
   * Makes sure the stable store still holds every chunk the manifest names, storing again (from staging) those it
   * no longer does, just before the manifest is written.
   *
   * <p>Why: the chunks the flush skipped because the stable store had them may sit in packs no manifest named, which
   * another host's sweep (see {@code SharedStoreSweeper}) moves aside once they are older than its grace period. This
   * check sees such a pack gone, and the chunks are stored again. Between the last check and the manifest there are
   * only milliseconds, far below the grace: a pack moved aside within them is renamed back by the next sweep after
   * the grace, because this manifest, written by then, names it; and readers find its chunks among the fossils
   * meanwhile.
   */
  private void storeAgainWhatVanished(Manifest manifest, ChunkHasher hasher)
      throws IOException, InterruptedException {
    Map<String, ChunkRef> named = new LinkedHashMap<>();
    for (ChunkRef ref : manifest.chunks()) {
      if (!ref.isZero()) {
        named.putIfAbsent(ref.hash(), ref);
      }
    }
    for (int round = 0; ; round++) {
      Set<String> vanished = stable.notStored(named.keySet());
      if (vanished.isEmpty()) {
        return;
      }
      if (round == STORE_AGAIN_ROUNDS) {
        throw new IOException("cannot flush " + manifest.key() + ": " + vanished.size() + " of its chunks vanished"
            + " from " + stable.describe() + " again after being stored again " + round + " times (is something"
            + " collecting it with too short a grace period?); the flush will be retried");
      }
      try (ChunkWriter writer = stable.openWriter()) {
        for (String hash : vanished) {
          copy(named.get(hash), writer, hasher);
        }
        writer.commit();
      }
    }
  }

  /** Copies one chunk from staging, verified on the way (a chunk that rotted on the host is not spread). */
  private void copy(ChunkRef ref, ChunkWriter writer, ChunkHasher hasher) throws IOException, InterruptedException {
    byte[] encoded = staging.readChunk(ref.hash());
    ChunkCodec.decode(encoded, ref.hash(), ref.length(), hasher);  // throws if it rotted on the host
    budget.acquire(encoded.length);
    writer.put(ref.hash(), encoded);
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
