package org.vmqsc.agent.flush;

import java.io.IOException;
import java.time.Duration;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.vmqsc.agent.log.StableMessageStore;
import org.vmqsc.agent.store.CheckpointKey;
import org.vmqsc.agent.store.CheckpointStore;
import org.vmqsc.agent.store.GarbageCollector;

/**
 * Deletes from a host's stores what lies behind the recovery line, as the manager lists it with each line move
 * (locations of checkpoints and of log records; every host gets the same list), then collects the chunks that no
 * manifest names any more.
 *
 * <ul>
 *   <li>A checkpoint staged on this host goes from both stores once its flush is done. One the flusher has still to
 *       copy waits: deleted from staging now, the flusher would have nothing to copy, or would write a stable copy
 *       after its deletion that no one deletes.</li>
 *   <li>A checkpoint not staged here: its stable manifest goes (another host may delete it too: deleting twice is
 *       no error).</li>
 *   <li>A log record goes from the stable message store.</li>
 * </ul>
 *
 * <p>The line never passes a VM's line checkpoint, so neither a restore of the line nor a VM failure on a live host
 * (which restarts from the line checkpoint as staged here) can need anything deleted. What fails to delete is tried
 * again with the next list. Work runs on the collector's own thread, never on a node's.
 */
public final class StorageCollector implements AutoCloseable {

  /** Collects the stable store's chunks, one host at a time; empty when another host is at it. */
  public interface StableSweep {
    Optional<String> run() throws IOException;
  }

  /** What else goes with a checkpoint deleted from stable storage (a real guest's disk states, kept beside it). */
  public interface AlsoDelete {
    void with(CheckpointKey key) throws IOException;
  }

  /** Told what each collection did, on the collector's thread. */
  public interface Listener {
    void collected(Result result);

    /** What a reconciliation ({@link #reconcile}) deleted; its sweep is null. */
    default void reconciled(Result result) {}

    void failed(String what, IOException error);
  }

  /**
   * What one collection did.
   *
   * @param stableManifests manifests this host found on stable storage and deleted (another host told the same may
   *     have been first)
   * @param waiting checkpoints behind the line kept until they are stable, or whose deletion failed
   * @param sweep what the stable store's chunk sweep did, or null when it did not run
   */
  public record Result(int stagedManifests, int stableManifests, int logRecords, int waiting, int stagingChunks,
                       long stagingBytesFreed, String sweep) {}

  private final CheckpointStore staging;
  private final CheckpointStore stable;
  private final StableMessageStore log;
  private final Function<String, Optional<CheckpointKey>> checkpointOf;
  private final StableSweep sweep;
  private final long sweepEveryNanos;
  private final Listener listener;
  private final AlsoDelete alsoDelete;
  private final java.util.function.Predicate<CheckpointKey> flushPending;
  private final ExecutorService worker = Executors.newSingleThreadExecutor(BackgroundPriority.threads("vmqsc-collector"));
  /** Locations not deleted yet: waiting to be stable, or failed. Touched only on the worker. */
  private final Set<String> pending = new LinkedHashSet<>();
  private long lastSweep;
  private boolean swept;

  /**
   * @param checkpointOf the checkpoint a location names, empty for anything else (each host runtime names its
   *     checkpoints its own way)
   * @param sweep the stable store's chunk collection, run at most every {@code sweepEvery}; null for none
   */
  public StorageCollector(CheckpointStore staging, LazyFlusher flusher, CheckpointStore stable,
                          StableMessageStore log, Function<String, Optional<CheckpointKey>> checkpointOf,
                          StableSweep sweep, Duration sweepEvery, Listener listener) {
    this(staging, flusher, stable, log, checkpointOf, sweep, sweepEvery, listener, key -> { });
  }

  /**
   * @param flusher the flusher from {@code staging} to {@code stable}: a staged checkpoint it still has to copy waits
   * @param alsoDelete what else goes with each checkpoint deleted from stable storage
   */
  public StorageCollector(CheckpointStore staging, LazyFlusher flusher, CheckpointStore stable,
                          StableMessageStore log, Function<String, Optional<CheckpointKey>> checkpointOf,
                          StableSweep sweep, Duration sweepEvery, Listener listener, AlsoDelete alsoDelete) {
    this.flushPending = flusher::isPending;
    this.alsoDelete = alsoDelete;
    this.staging = staging;
    this.stable = stable;
    this.log = log;
    this.checkpointOf = checkpointOf;
    this.sweep = sweep;
    this.sweepEveryNanos = sweepEvery.toNanos();
    this.listener = listener;
  }

  /** Deletes what {@code locations} name (behind the line now), in the background. */
  public void collect(Collection<String> locations) {
    if (locations == null) return;  // an order from a manager that sends none
    Collection<String> copy = java.util.List.copyOf(locations);
    worker.execute(() -> listener.collected(collectNow(copy)));
  }

  /** As {@link #collect}, on the caller's thread; only for one caller at a time (tests, the worker). */
  Result collectNow(Collection<String> locations) {
    pending.addAll(locations);
    int stagedManifests = 0;
    int stableManifests = 0;
    int logRecords = 0;
    for (String location : java.util.List.copyOf(pending)) {
      try {
        if (StableMessageStore.isRecordLocation(location)) {
          if (log.delete(location)) logRecords++;  // another host may have deleted it first
          pending.remove(location);
          continue;
        }
        Optional<CheckpointKey> key = checkpointOf.apply(location);
        if (key.isEmpty()) {
          listener.failed(location, new IOException("the manager listed " + location
              + " as collectable, which names neither a checkpoint nor a log record: left alone"));
          pending.remove(location);
          continue;
        }
        boolean stagedHere = staging.manifestWritten(key.get()).isPresent();  // a look, not a read of the manifest
        // Staged here and not stable: either its flush is still to come (wait for it), or it was flushed and another
        // host, told the same, deleted the stable copy first (then the staged one goes now).
        if (stagedHere && flushPending.test(key.get())) continue;
        if (stable.manifestWritten(key.get()).isPresent()) {
          stableManifests++;  // counted by the host that finds it
          stable.deleteManifest(key.get());
        }
        if (stagedHere) {
          staging.deleteManifest(key.get());
          stagedManifests++;
        }
        pending.remove(location);
        alsoDeleteWith(key.get());
      } catch (IOException e) {
        listener.failed(location, e);
      } catch (RuntimeException e) {
        listener.failed(location, new IOException(e.getMessage(), e));
        pending.remove(location);  // a malformed location does not get better
      }
    }
    return result(stagedManifests, stableManifests, logRecords, sweepIfDue());
  }

  /** Collects the staging store's chunks when manifests left it (it holds the writers' lease lock meanwhile). */
  private Result result(int stagedManifests, int stableManifests, int logRecords, String swept) {
    GarbageCollector.Result chunks = null;
    if (stagedManifests > 0) {
      try {
        chunks = GarbageCollector.collect(staging);
      } catch (IOException e) {
        listener.failed("chunks of " + staging.describe(), e);
      }
    }
    return new Result(stagedManifests, stableManifests, logRecords, pending.size(),
        chunks == null ? 0 : chunks.chunksDeleted(),
        chunks == null ? 0 : Math.max(0, chunks.bytesBefore() - chunks.bytesAfter()), swept);
  }

  /** What goes with a checkpoint deleted from stable storage; a failure is said, not retried (the manifest is gone). */
  private void alsoDeleteWith(CheckpointKey key) {
    try {
      alsoDelete.with(key);
    } catch (IOException | RuntimeException e) {
      listener.failed("what goes with " + key, e instanceof IOException io ? io : new IOException(e.getMessage(), e));
    }
  }

  private boolean isStable(CheckpointKey key) {
    try {
      return stable.manifest(key).isPresent();
    } catch (IOException e) {
      return false;
    }
  }

  private String sweepIfDue() {
    if (sweep == null) return null;
    long now = System.nanoTime();
    if (this.swept && now - lastSweep < sweepEveryNanos) return null;
    this.swept = true;
    lastSweep = now;
    try {
      return sweep.run().orElse("another host is sweeping");
    } catch (IOException e) {
      listener.failed("chunks of " + stable.describe(), e);
      return null;
    }
  }

  /**
   * Deletes what the stores hold besides {@code stored} (everything the catalog still counts on, in every group)
   * and was written more than {@code grace} ago: what a collection this host missed, an execution a recovery
   * discarded or a deleted group left behind. The grace covers what is written but not reported yet: a report
   * waits at most about a lease (a host whose lease runs out stops its VMs), so a grace of many leases is safe.
   * Runs in the background.
   */
  public void reconcile(Collection<String> stored, Duration grace) {
    Set<String> copy = Set.copyOf(stored);
    worker.execute(() -> listener.reconciled(reconcileNow(copy, grace)));
  }

  /** As {@link #reconcile}, on the caller's thread; only for one caller at a time (tests, the worker). */
  Result reconcileNow(Set<String> stored, Duration grace) {
    Set<CheckpointKey> live = new java.util.HashSet<>();
    for (String location : stored) {
      if (!StableMessageStore.isRecordLocation(location)) checkpointOf.apply(location).ifPresent(live::add);
    }
    // Staging first, and only what stable storage holds too: a staged checkpoint it lacks may wait for its flush
    // (stable storage unreachable for a while), which must not lose it. One never flushed goes at the next agent
    // start (the staging store begins empty) or once flushed.
    int stagedManifests = deleteLeftovers(staging, live, grace, this::isStable);
    int stableManifests = deleteLeftovers(stable, live, grace, key -> true);
    int logRecords = 0;
    try {
      java.time.Instant before = stable.clock().minus(grace);  // the log store shares the stable store's mount
      for (java.util.Map.Entry<String, java.time.Instant> r : log.records().entrySet()) {
        if (stored.contains(r.getKey()) || !r.getValue().isBefore(before)) continue;
        if (log.delete(r.getKey())) logRecords++;
      }
    } catch (IOException e) {
      listener.failed("leftover log records", e);
    }
    return result(stagedManifests, stableManifests, logRecords, null);
  }

  /**
   * Deletes the manifests in {@code store} of checkpoints not in {@code live}, written before its clock's grace, for
   * which {@code also} holds.
   */
  private int deleteLeftovers(CheckpointStore store, Set<CheckpointKey> live, Duration grace,
                              java.util.function.Predicate<CheckpointKey> also) {
    int deleted = 0;
    try {
      java.time.Instant before = store.clock().minus(grace);
      for (CheckpointKey key : store.checkpoints()) {
        if (live.contains(key)) continue;
        Optional<java.time.Instant> written = store.manifestWritten(key);
        if (written.isEmpty() || !written.get().isBefore(before) || !also.test(key)) continue;
        store.deleteManifest(key);
        if (store == stable) alsoDeleteWith(key);
        deleted++;
      }
    } catch (IOException e) {
      listener.failed("leftover checkpoints in " + store.describe(), e);
    }
    return deleted;
  }

  /** Waits for the collections asked for so far (for a clean stop and for tests). */
  public void drain(Duration timeout) throws InterruptedException {
    java.util.concurrent.CountDownLatch done = new java.util.concurrent.CountDownLatch(1);
    worker.execute(done::countDown);
    done.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  @Override public void close() throws InterruptedException {
    worker.shutdown();
    worker.awaitTermination(10, TimeUnit.SECONDS);
  }
}
