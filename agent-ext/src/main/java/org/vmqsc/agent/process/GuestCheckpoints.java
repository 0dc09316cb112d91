package org.vmqsc.agent.process;

import java.io.IOException;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.stream.Collectors;
import org.vmqsc.agent.engine.CheckpointEngine;
import org.vmqsc.agent.engine.CheckpointStats;
import org.vmqsc.agent.engine.ChunkerChoice;
import org.vmqsc.agent.flush.BandwidthBudget;
import org.vmqsc.agent.flush.CheckpointState;
import org.vmqsc.agent.flush.LazyFlusher;
import org.vmqsc.agent.flush.StorageCollector;
import org.vmqsc.agent.guest.PwdGuest;
import org.vmqsc.agent.log.StableMessageStore;
import org.vmqsc.agent.sim.SimulatedGuest;
import org.vmqsc.agent.sim.SimulatorDriver;
import org.vmqsc.agent.store.CheckpointKey;
import org.vmqsc.agent.store.ChunkGuard;
import org.vmqsc.agent.store.ChunkRef;
import org.vmqsc.agent.store.DirectoryStore;
import org.vmqsc.agent.store.Manifest;
import org.vmqsc.agent.store.SharedStoreSweeper;

/**
 * The agent's checkpoints of its simulated guests, with the real engine and stores: the guest's memory image goes
 * through the checkpoint engine into the host's staging store, the lazy flusher copies it to the stable store all
 * agents share, and the guest's execution state (a {@link PwdGuest}) travels in the manifest's attributes, so one
 * verified checkpoint holds both. Work runs on its own thread, never on the node's.
 */
final class GuestCheckpoints implements AutoCloseable {

  /** What becomes of one checkpoint; called on the checkpointer's or the flusher's thread. */
  interface Progress {
    void staged(long storedBytes);

    void stable(String location);

    void failed(Exception e);
  }

  private static final String PREFIX = "ckpt/";
  /** A host offers to sweep the stable store's chunks every quarter grace (one host at a time does), not oftener. */
  private static final java.time.Duration MIN_SWEEP_EVERY = java.time.Duration.ofSeconds(5);

  private final SimulatorDriver driver = new SimulatorDriver();
  private final DirectoryStore staging;
  private final DirectoryStore stable;
  /** Real guests' disk states, per VM and checkpoint, on stable storage. */
  private final java.nio.file.Path disksRoot;
  private final CheckpointEngine engine;
  private final LazyFlusher flusher;
  private final ExecutorService worker = Executors.newSingleThreadExecutor(r -> {
    Thread t = new Thread(r, "vmqsc-checkpointer");
    t.setDaemon(true);
    return t;
  });
  /**
   * Real guests' memory images go through the engine here, one at a time, at background priority: the snapshot
   * threads that hand them over cut the next guests at the guests' own priority.
   */
  private final ExecutorService storing = Executors.newSingleThreadExecutor(
      org.vmqsc.agent.flush.BackgroundPriority.threads("vmqsc-store"));
  /** Real guests' images handed to {@link #storeImage} and not stored yet. */
  private final java.util.concurrent.atomic.AtomicInteger imagesInHand = new java.util.concurrent.atomic.AtomicInteger();
  /** Where an image waits while the engine stores another guest's (owner-only; made when first needed). */
  private java.nio.file.Path waitingImages;
  private final Map<CheckpointKey, Progress> waitingForStable = new ConcurrentHashMap<>();
  /** Per VM, its last checkpoint and the execution state in it; touched only on the worker thread. */
  private final Map<String, Taken> lastTaken = new HashMap<>();

  private record Taken(CheckpointKey key, Map<String, String> state) {}

  GuestCheckpoints(DirectoryStore staging, DirectoryStore stable, java.nio.file.Path disksRoot) {
    this.disksRoot = disksRoot;
    this.staging = staging;
    this.stable = stable;
    this.engine = new CheckpointEngine(staging, ChunkerChoice.standard());
    this.flusher = new LazyFlusher(staging, stable, BandwidthBudget.unlimited(), 500).addListener(new LazyFlusher.Listener() {
      @Override public void stateChanged(CheckpointKey key, CheckpointState state) {
        if (state != CheckpointState.STABLE) return;
        Progress p = waitingForStable.remove(key);
        if (p != null) p.stable(location(key));
      }
    }).start();
  }

  /**
   * The collector of what the line leaves behind in these stores and in {@code log}: staged and stable checkpoints,
   * log records, and the chunks no manifest names any more.
   */
  StorageCollector collector(StableMessageStore log, java.time.Duration sweepGrace,
                             StorageCollector.Listener listener, StorageCollector.AlsoDelete alsoDelete) {
    java.time.Duration sweepEvery = sweepGrace.dividedBy(4).compareTo(MIN_SWEEP_EVERY) > 0 ? sweepGrace.dividedBy(4)
        : MIN_SWEEP_EVERY;
    return new StorageCollector(staging, flusher, stable, log, location -> {
      try {
        return Optional.of(key(location));
      } catch (IOException notACheckpoint) {
        return Optional.empty();
      }
    }, () -> SharedStoreSweeper.sweep(stable, sweepGrace).map(Object::toString), sweepEvery, listener, alsoDelete);
  }

  /** Starts (or restarts empty) the memory of a guest this host runs. */
  void startGuest(String vmUuid, int memoryMiB, int dirtyPagesPerSecond, long seed) {
    forget(vmUuid);
    SimulatedGuest g = driver.start(vmUuid, Math.max(1, memoryMiB * 256), 0.5, seed);
    g.setWriteRate(dirtyPagesPerSecond);
  }

  /** The simulated guest's memory, for tests. */
  SimulatedGuest guest(String vmUuid) throws IOException {
    return driver.guest(vmUuid);
  }

  /** A guest whose memory is replaced shares no image with its checkpoints before. */
  private void forget(String vmUuid) {
    worker.execute(() -> lastTaken.remove(vmUuid));
  }

  void stopGuest(String vmUuid) {
    forget(vmUuid);
    driver.stop(vmUuid);
  }

  /**
   * Checkpoints the guest's memory now, with {@code state} as its execution state. A guest that has not executed
   * since its previous checkpoint in this incarnation (a VM catching up with the clock after a restore takes one
   * boundary per base period it missed, all at one instant; an idle VM) gets that checkpoint's image again under
   * the new key: a new manifest naming the same chunks, without another pass of the engine over its memory.
   */
  void checkpoint(CheckpointKey key, PwdGuest state, Progress progress) {
    Map<String, String> attributes = attributes(state);
    worker.execute(() -> {
      try {
        Taken before = lastTaken.get(key.vmId());
        long storedBytes = before != null && before.state().equals(attributes)
                && incarnationOf(before.key()).equals(incarnationOf(key))
            ? again(before.key(), key, attributes)
            : -1;
        if (storedBytes < 0) {
          CheckpointStats[] stats = new CheckpointStats[1];
          driver.checkpoint(key.vmId(), (image, capture) -> stats[0] = engine.store(key, image, attributes));
          storedBytes = stats[0].storedBytes();
        }
        lastTaken.put(key.vmId(), new Taken(key, attributes));
        waitingForStable.put(key, progress);
        progress.staged(storedBytes);
        flusher.submit(key);
      } catch (Exception e) {
        progress.failed(e);
      }
    });
  }

  // ---- real guests: the image comes from their hypervisor -----------------------------------------------------

  /**
   * Stores a real guest's memory image as checkpoint {@code key}; the caller (the guest's snapshot thread: several
   * guests' snapshots run at once, so no guest waits paused behind another) waits. The engine takes one image at a
   * time, on its own thread at background priority.
   */
  CheckpointStats storeImage(CheckpointKey key, java.io.InputStream image, Map<String, String> attributes)
      throws IOException {
    java.nio.file.Path waiting = null;
    try {
      if (imagesInHand.getAndIncrement() > 0) {
        // The engine stores another guest's image: this one is read to its end into a file now. A KVM image streams
        // from QEMU while the snapshot runs, and a stream left waiting would hold this guest's QEMU, and every write
        // of the guest to a page not saved yet, behind the other guest's store.
        waiting = java.nio.file.Files.createTempFile(waitingImages(), key.vmId(), ".image");
        java.nio.file.Files.copy(image, waiting, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      }
      if (waiting == null) return storeNow(key, image, attributes);
      try (java.io.InputStream saved = org.vmqsc.agent.driver.MappedImageFile.open(waiting)) {
        return storeNow(key, saved, attributes);
      }
    } finally {
      imagesInHand.decrementAndGet();
      if (waiting != null) java.nio.file.Files.deleteIfExists(waiting);
    }
  }

  private synchronized java.nio.file.Path waitingImages() throws IOException {
    if (waitingImages == null) {
      waitingImages = org.vmqsc.agent.store.SafeFiles.ownerOnlyDirectory(
          java.nio.file.Files.createTempDirectory("vmqsc-images"));
    }
    return waitingImages;
  }

  private CheckpointStats storeNow(CheckpointKey key, java.io.InputStream image, Map<String, String> attributes)
      throws IOException {
    java.util.concurrent.Future<CheckpointStats> stored = storing.submit(() -> {
      synchronized (engine) {
        return engine.store(key, image, attributes);
      }
    });
    try {
      return stored.get();
    } catch (java.util.concurrent.ExecutionException e) {
      if (e.getCause() instanceof IOException io) throw io;
      if (e.getCause() instanceof RuntimeException re) throw re;
      throw new IOException("storing " + key + " failed: " + e.getCause(), e.getCause());
    } catch (InterruptedException e) {
      stored.cancel(true);
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while storing " + key, e);
    }
  }

  /** Checkpoint {@code key} is staged: report it, and flush it to stable storage; {@code progress} hears when. */
  void staged(CheckpointKey key, long storedBytes, Progress progress) {
    waitingForStable.put(key, progress);
    progress.staged(storedBytes);
    flusher.submit(key);
  }

  /** Where the disk state of checkpoint {@code key} is kept on stable storage, next to its memory. */
  java.nio.file.Path disksOf(CheckpointKey key) {
    return disksRoot.resolve(key.vmId()).resolve(key.checkpointId());
  }

  /** Restores the memory image of the stable checkpoint at {@code location} into {@code target}, every chunk verified. */
  CheckpointKey restoreImage(String location, java.nio.file.Path target) throws IOException {
    CheckpointKey key = key(location);
    CheckpointEngine.restoreToFile(key, stable, target, null);
    return key;
  }

  /**
   * The image of checkpoint {@code of} under {@code key}: the bytes of the new manifest, or -1 if it is gone. Its
   * chunks are held until the new manifest names them: the collector may delete {@code of} meanwhile.
   */
  private long again(CheckpointKey of, CheckpointKey key, Map<String, String> attributes) throws IOException {
    Optional<Manifest> before = staging.manifest(of);
    if (before.isEmpty()) return -1;
    Manifest m = before.get();
    try (ChunkGuard.Lease lease = staging.guard().open(m.chunks().size())) {
      for (ChunkRef c : m.chunks()) {
        if (c.isZero()) continue;
        lease.hold(c.hash());
        if (!staging.hasChunk(c.hash())) return -1;  // collected before the hold: store the image afresh
      }
      return staging.putManifest(new Manifest(Manifest.FORMAT, key.vmId(), key.checkpointId(),
          System.currentTimeMillis(), m.imageBytes(), m.chunker(), attributes, m.chunks()));
    }
  }

  /** "n3" of "i41-n3": checkpoints of one incarnation only share images. */
  private static String incarnationOf(CheckpointKey key) {
    String id = key.checkpointId();
    return id.substring(id.lastIndexOf('-') + 1);
  }

  /**
   * Restores a stable checkpoint into guest memory here (every chunk verified) and returns the execution state it
   * holds. Runs on the caller's thread: a restore is part of a recovery order.
   */
  PwdGuest restore(String location, int vm, int groupSize, int memoryMiB, int dirtyPagesPerSecond) throws IOException {
    CheckpointKey key = key(location);
    Manifest manifest = stable.manifest(key).orElseThrow(() -> new IOException("no stable checkpoint " + location));
    PwdGuest state = state(manifest.attributes(), vm, groupSize, location);
    int pages = Math.max(1, memoryMiB * 256);
    if (manifest.imageBytes() != (long) pages * SimulatedGuest.PAGE_BYTES) {
      throw new IOException("checkpoint " + location + " holds " + manifest.imageBytes() + " bytes of memory, not the "
          + (long) pages * SimulatedGuest.PAGE_BYTES + " of a guest of " + memoryMiB + " MiB");
    }
    forget(key.vmId());
    // Verified chunk by chunk straight into a new guest's memory, which replaces the running one once it is whole.
    driver.restore(key.vmId(), pages, memory -> CheckpointEngine.restore(key, stable, memory, null))
        .setWriteRate(dirtyPagesPerSecond);
    return state;
  }

  /** The execution state of a checkpoint staged on this host (a VM failure here). */
  PwdGuest stagedState(CheckpointKey key, int vm, int groupSize) throws IOException {
    Manifest manifest = staging.manifest(key).orElseThrow(() -> new IOException("no staged checkpoint " + key));
    return state(manifest.attributes(), vm, groupSize, key.toString());
  }

  static CheckpointKey key(String vmUuid, long index, int incarnation) {
    return new CheckpointKey(vmUuid, "i" + index + "-n" + incarnation);
  }

  static String location(CheckpointKey key) {
    return PREFIX + key.vmId() + "/" + key.checkpointId();
  }

  static CheckpointKey key(String location) throws IOException {
    String[] parts = location.startsWith(PREFIX) ? location.substring(PREFIX.length()).split("/") : new String[0];
    if (parts.length != 2) throw new IOException("not a checkpoint location: " + location);
    try {
      return new CheckpointKey(parts[0], parts[1]);
    } catch (IllegalArgumentException e) {
      throw new IOException("not a checkpoint location: " + location, e);
    }
  }

  private static Map<String, String> attributes(PwdGuest g) {
    Map<String, String> a = new HashMap<>();
    a.put("pwd.hash", Long.toString(g.hash));
    a.put("pwd.position", Long.toString(g.position));
    a.put("pwd.sent", join(g.sent));
    a.put("pwd.received", join(g.received));
    a.put("pwd.check", Long.toString(check(g.hash, g.position, g.sent, g.received)));
    return a;
  }

  private static PwdGuest state(Map<String, String> a, int vm, int groupSize, String where) throws IOException {
    try {
      long hash = Long.parseLong(a.get("pwd.hash"));
      long position = Long.parseLong(a.get("pwd.position"));
      long[] sent = split(a.get("pwd.sent"));
      long[] received = split(a.get("pwd.received"));
      if (sent.length != groupSize || received.length != groupSize
          || check(hash, position, sent, received) != Long.parseLong(a.get("pwd.check"))) {
        throw new IOException("the guest state in checkpoint " + where + " is damaged");
      }
      return PwdGuest.of(vm, hash, position, sent, received);
    } catch (RuntimeException e) {
      throw new IOException("checkpoint " + where + " holds no readable guest state: " + e.getMessage(), e);
    }
  }

  private static long check(long hash, long position, long[] sent, long[] received) {
    long h = PwdGuest.mix(hash, position);
    for (long s : sent) h = PwdGuest.mix(h, s);
    for (long r : received) h = PwdGuest.mix(h, r);
    return h;
  }

  private static String join(long[] values) {
    return Arrays.stream(values).mapToObj(Long::toString).collect(Collectors.joining(","));
  }

  private static long[] split(String text) {
    if (text.isEmpty()) return new long[0];
    return Arrays.stream(text.split(",")).mapToLong(Long::parseLong).toArray();
  }

  @Override public void close() throws Exception {
    worker.shutdownNow();
    storing.shutdownNow();
    flusher.close();
    driver.close();
    synchronized (this) {
      if (waitingImages != null) org.vmqsc.agent.store.SafeFiles.deleteTree(waitingImages);
    }
  }
}
