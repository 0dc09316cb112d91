package org.vmqsc.plugin.host;

import java.io.IOException;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.vmqsc.agent.CheckpointAgent;
import org.vmqsc.agent.driver.DiskSnapshot;
import org.vmqsc.agent.store.CheckpointKey;

/**
 * One host's checkpoint executor: the live capture and the engine's pass of every checkpoint run here, on threads
 * of its own, so a command (a tick, a freeze, a restore) never waits for a guest's memory to be written. What a
 * checkpoint came to waits in a queue until the host agent, holding its lock, hands it to the node
 * ({@link #deliverFinished}): the node is single-threaded.
 *
 * <p>A VM's checkpoints run one after another, in the order the node took them (two captures of one guest at once
 * would compete for the same domain); different VMs' run side by side. A restore waits for the VM's checkpoints
 * still running: the driver never captures and restores one guest at once.
 */
final class CheckpointExecutor implements AutoCloseable {

  /** What one checkpoint came to: its report when stored, or why it was not. */
  record Finished(CheckpointKey key, CheckpointAgent.Report report, Exception failure) {}

  private static final Logger LOG = LogManager.getLogger(CheckpointExecutor.class);
  private static final CompletableFuture<Void> IDLE = CompletableFuture.completedFuture(null);
  /** How long {@link #close} lets checkpoints under way finish before interrupting them. */
  private static final Duration CLOSE_GRACE = Duration.ofSeconds(10);

  private final CheckpointAgent checkpoints;
  private final ThreadPoolExecutor threads;
  /** Per VM uuid, its last checkpoint submitted and not yet finished: the next one starts after it. */
  private final Map<String, CompletableFuture<Void>> lastOfVm = new HashMap<>();
  private final Queue<Runnable> finished = new ConcurrentLinkedQueue<>();
  private final AtomicLong failed = new AtomicLong();
  private final AtomicLong discarded = new AtomicLong();
  private volatile boolean closed;

  /**
   * The threads a host gets by default: half its cores, 1 to 4. Each checkpoint keeps one core busy (the engine's
   * pass over the image runs on one thread) and the host's cores are its guests' first; past four, the staging
   * disk, which every capture writes an image to and the engine its chunks, is what limits, and each capture in
   * flight holds a whole memory image in the scratch folder.
   */
  static int defaultThreads() {
    return Math.max(1, Math.min(4, Runtime.getRuntime().availableProcessors() / 2));
  }

  CheckpointExecutor(CheckpointAgent checkpoints, int threadCount) {
    if (threadCount < 1) throw new IllegalArgumentException("a checkpoint executor needs a thread, not " + threadCount);
    this.checkpoints = checkpoints;
    AtomicInteger made = new AtomicInteger();
    this.threads = new ThreadPoolExecutor(threadCount, threadCount, 60, TimeUnit.SECONDS, new LinkedBlockingQueue<>(),
        r -> {
          Thread t = new Thread(r, "vmqsc-checkpoint-" + made.incrementAndGet());
          t.setDaemon(true); // an agent stopping does not wait for a capture: the checkpoint is simply not staged
          return t;
        });
    threads.allowCoreThreadTimeOut(true); // a host with nothing to checkpoint (a Xen host's idle agent) holds none
  }

  /**
   * Captures and stores checkpoint {@code key} after the VM's checkpoints before it; returns at once.
   * {@code onNode} hears what it came to, on the host agent's lock. A failure is logged (as {@code what}) and
   * counted here, as soon as it happens.
   */
  synchronized void checkpoint(CheckpointKey key, String what, Consumer<Finished> onNode) {
    submit(key, what, () -> checkpoints.checkpoint(key), null, onNode);
  }

  /**
   * Like {@link #checkpoint}, of a guest the caller paused ({@link #pause}): the capture is of that instant, and
   * {@code running} hears when the guest runs again. A capture that never starts (the executor closed) runs the
   * guest again itself.
   */
  synchronized void checkpointPaused(CheckpointKey key, String what, Runnable running, Consumer<Finished> onNode) {
    submit(key, what, () -> checkpoints.checkpointPaused(key, running), () -> {
      resumeQuietly(key.vmId(), what);
      running.run();
    }, onNode);
  }

  /**
   * Deletes the disk states checkpoint {@code key} kept inside its VM's disk files, after the VM's checkpoints
   * submitted before (a snapshot under way holds the domain); failures are logged. The states are read from the
   * checkpoint's manifest now, before the collector deletes it; the deletion returns at once.
   */
  synchronized void forgetDiskSnapshots(CheckpointKey key) {
    List<DiskSnapshot> disks;
    try {
      disks = checkpoints.diskSnapshotsOf(key);
    } catch (IOException | RuntimeException e) {
      LOG.warn("vmqsc: the disk snapshots of checkpoint {} behind the line cannot be read: {}", key, e.toString());
      return;
    }
    if (disks.isEmpty()) return;
    String vm = key.vmId();
    CompletableFuture<Void> after = lastOfVm.getOrDefault(vm, IDLE).handle((ignored, error) -> null);
    CompletableFuture<Void> mine = after.thenRunAsync(() -> {
      try {
        checkpoints.forgetDiskSnapshots(vm, disks);
      } catch (IOException | RuntimeException e) {
        LOG.warn("vmqsc: the disk snapshots of checkpoint {} behind the line were not deleted: {}", key, e.toString());
      }
    }, threads);
    lastOfVm.put(vm, mine);
    mine.whenComplete((ignored, error) -> forget(vm, mine));
  }

  /** A checkpoint not taken: its node hears it failed, with the others' results. */
  void refuse(CheckpointKey key, String what, String why, Consumer<Finished> onNode) {
    failed.incrementAndGet();
    LOG.warn("vmqsc: checkpoint of {} not taken: {}", what, why);
    if (!closed) finished.add(() -> onNode.accept(new Finished(key, null, new IOException(why))));
  }

  /** Stops VM {@code vmUuid}'s guest now, for a {@link #checkpointPaused} (see {@code CheckpointAgent#pause}). */
  void pause(String vmUuid) throws IOException {
    checkpoints.pause(vmUuid);
  }

  /** Runs a guest paused by {@link #pause} again, no checkpoint having followed. */
  void resumeQuietly(String vmUuid, String what) {
    try {
      checkpoints.resume(vmUuid);
    } catch (IOException | RuntimeException e) {
      LOG.warn("vmqsc: {} could not be resumed after its cut: {}", what, e.toString());
    }
  }

  private interface Capturing {
    CheckpointAgent.Report capture() throws IOException;
  }

  private void submit(CheckpointKey key, String what, Capturing capturing, Runnable neverRan,
                      Consumer<Finished> onNode) {
    String vm = key.vmId();
    // After the one before, however that ended (it may have been refused a thread, or died of an Error).
    CompletableFuture<Void> after = lastOfVm.getOrDefault(vm, IDLE).handle((ignored, error) -> null);
    boolean[] ran = new boolean[1];
    CompletableFuture<Void> mine = after.thenRunAsync(() -> {
      ran[0] = true;
      Finished outcome;
      try {
        outcome = new Finished(key, capturing.capture(), null);
      } catch (IOException | RuntimeException e) {
        failed.incrementAndGet();
        LOG.warn("vmqsc: checkpoint of {} failed, not staged: {}", what, e.toString());
        outcome = new Finished(key, null, e);
      }
      Finished result = outcome;
      if (!closed) finished.add(() -> onNode.accept(result));
    }, threads);
    lastOfVm.put(vm, mine);
    mine.whenComplete((ignored, error) -> {
      forget(vm, mine);
      if (!ran[0] && neverRan != null) neverRan.run();
    });
  }

  private synchronized void forget(String vm, CompletableFuture<Void> last) {
    lastOfVm.remove(vm, last);
  }

  /**
   * Waits up to {@code bound} for the checkpoints of VM {@code vmUuid} submitted so far to finish (their results
   * may not be delivered yet). False if they did not.
   */
  boolean awaitIdle(String vmUuid, Duration bound) {
    CompletableFuture<Void> last;
    synchronized (this) {
      last = lastOfVm.get(vmUuid);
    }
    if (last == null) return true;
    try {
      last.get(bound.toMillis(), TimeUnit.MILLISECONDS);
      return true;
    } catch (TimeoutException e) {
      return false;
    } catch (ExecutionException e) {
      return true; // it ended, if only by being refused a thread (the executor closed)
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /** Waits up to {@code bound} for every checkpoint submitted so far to finish. False if they did not. */
  boolean awaitIdle(Duration bound) {
    CompletableFuture<?>[] all;
    synchronized (this) {
      all = lastOfVm.values().toArray(CompletableFuture<?>[]::new);
    }
    try {
      CompletableFuture.allOf(all).get(bound.toMillis(), TimeUnit.MILLISECONDS);
      return true;
    } catch (TimeoutException e) {
      return false;
    } catch (ExecutionException e) {
      return true; // all ended, one of them refused a thread (the executor closed)
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /**
   * Restores checkpoint {@code key} into its VM, on the caller's thread, once the VM's checkpoints under way have
   * finished (up to {@code bound}). The caller holds the host agent's lock, which every {@link #checkpoint} call
   * does too: none of the VM's starts meanwhile.
   *
   * @throws IllegalStateException when the VM's checkpoints did not finish in time; nothing was restored
   */
  void restore(CheckpointKey key, Duration bound, boolean paused) throws IOException {
    if (!awaitIdle(key.vmId(), bound)) {
      throw new IllegalStateException("a checkpoint of VM " + key.vmId() + " is still being taken after "
          + bound.toSeconds() + " s; its restore from " + key + " waits for it: ask again");
    }
    checkpoints.restore(key, paused);
  }

  /** Runs {@code toNode} with the next delivery of finished checkpoints, on the host agent's lock. */
  void deliverLater(Runnable toNode) {
    if (!closed) finished.add(toNode);
  }

  /** Hands the node what the checkpoints finished since the last call came to. Only under the host agent's lock. */
  void deliverFinished() {
    if (closed) return;
    for (Runnable r; (r = finished.poll()) != null; ) {
      try {
        r.run();
      } catch (RuntimeException e) {
        // A result the node refuses must not fail the command that happened to deliver it.
        LOG.warn("vmqsc: a finished checkpoint could not be handed to its node: {}", e.toString());
      }
    }
  }

  /** A finished checkpoint whose result was dropped: its VM changed since (see {@code DriverGuests}). */
  void discarded(String what, String why) {
    discarded.incrementAndGet();
    LOG.info("vmqsc: checkpoint of {} dropped: {}", what, why);
  }

  /** Checkpoints that failed (driver error, store full, guest gone) since the host agent opened. */
  long failed() {
    return failed.get();
  }

  /** Checkpoints taken but not reported, their VM having changed while they ran. */
  long discarded() {
    return discarded.get();
  }

  /** Lets checkpoints under way finish for a while, then interrupts them; none starts after this. */
  @Override public void close() {
    closed = true;
    threads.shutdown();
    try {
      if (!threads.awaitTermination(CLOSE_GRACE.toMillis(), TimeUnit.MILLISECONDS)) threads.shutdownNow();
    } catch (InterruptedException e) {
      threads.shutdownNow();
      Thread.currentThread().interrupt();
    }
    finished.clear();
  }
}
