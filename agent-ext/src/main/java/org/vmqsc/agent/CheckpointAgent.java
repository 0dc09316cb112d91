package org.vmqsc.agent;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.vmqsc.agent.driver.Capture;
import org.vmqsc.agent.driver.DiskSnapshot;
import org.vmqsc.agent.driver.HypervisorDriver;
import org.vmqsc.agent.driver.ImageConsumer;
import org.vmqsc.agent.engine.CheckpointEngine;
import org.vmqsc.agent.engine.CheckpointStats;
import org.vmqsc.agent.engine.RestoreRefusedException;
import org.vmqsc.agent.flush.LazyFlusher;
import org.vmqsc.agent.store.CheckpointKey;
import org.vmqsc.agent.store.CheckpointStore;
import org.vmqsc.agent.store.Manifest;
import org.vmqsc.agent.store.SafeFiles;

/**
 * The host side of one checkpoint, end to end: the driver captures the VM's memory live, the engine stores it in
 * the staging store, and the flusher later copies it to stable storage. Restore goes the other way, and the
 * hypervisor only ever sees an image whose every chunk was verified.
 */
public final class CheckpointAgent {

  /** What one checkpoint took and cost. */
  public record Report(CheckpointKey key, Capture capture, CheckpointStats stats) {}

  private final HypervisorDriver driver;
  private final CheckpointEngine engine;
  private final CheckpointStore stable;
  private final LazyFlusher flusher;
  private final Path scratch;

  /** @param flusher may be null when there is no stable store */
  public CheckpointAgent(HypervisorDriver driver, CheckpointEngine engine, CheckpointStore stable,
      LazyFlusher flusher, Path scratch) throws IOException {
    this.driver = driver;
    this.engine = engine;
    this.stable = stable;
    this.flusher = flusher;
    this.scratch = SafeFiles.ownerOnlyDirectory(scratch);
  }

  public Report checkpoint(CheckpointKey key) throws IOException {
    return store(key, consumer -> driver.checkpoint(key.vmId(), consumer));
  }

  /**
   * Checkpoints a guest the caller paused ({@link #pause}) at the instant of that pause; {@code running} is called
   * once the guest runs again (see {@link HypervisorDriver#checkpointPaused}).
   */
  public Report checkpointPaused(CheckpointKey key, Runnable running) throws IOException {
    return store(key, consumer -> driver.checkpointPaused(key.vmId(), running, consumer));
  }

  /** Stops a guest's vCPUs: the instant its next {@link #checkpointPaused} captures. */
  public void pause(String vmId) throws IOException {
    driver.pause(vmId);
  }

  /** Runs a guest paused by {@link #pause} again when no checkpoint follows the pause after all. */
  public void resume(String vmId) throws IOException {
    driver.resume(vmId);
  }

  /** How a capture reaches the hypervisor: live, or of a guest the caller paused. */
  private interface Capturing {
    Capture capture(ImageConsumer consumer) throws IOException;
  }

  private Report store(CheckpointKey key, Capturing capturing) throws IOException {
    CheckpointStats[] stats = new CheckpointStats[1];
    Capture capture = capturing.capture((image, captured) -> {
      Map<String, String> attributes = new HashMap<>();
      attributes.put("driver", driver.name());
      attributes.put("mode", captured.mode().name());
      attributes.put("guestPauseMicros", Long.toString(captured.guestPause().toNanos() / 1000));
      if (captured.fallbackReason() != null) {
        attributes.put("fallbackReason", captured.fallbackReason());
      }
      attributes.putAll(DiskSnapshots.attributes(captured.diskSnapshots()));
      stats[0] = engine.store(key, image, attributes);
    });
    if (flusher != null) {
      flusher.submit(key);
    }
    return new Report(key, capture, stats[0]);
  }

  /**
   * Restores from the staging store when it has the checkpoint, else from stable storage. If the host's copy does
   * not verify (a damaged chunk, or a manifest that cannot be read) and stable storage has one, that copy is used
   * instead (it is verified just the same).
   */
  public void restore(CheckpointKey key) throws IOException {
    restore(key, false);
  }

  /** As {@link #restore(CheckpointKey)}, the guest left paused when {@code paused}. */
  public void restore(CheckpointKey key, boolean paused) throws IOException {
    Path image = scratch.resolve(key.vmId() + "-" + key.checkpointId() + ".restore");
    try {
      RestoreRefusedException hostCopyBad = null;
      boolean onHost;
      Optional<Manifest> used = Optional.empty();
      try {
        used = engine.store().manifest(key);
        onHost = used.isPresent();
      } catch (IOException damagedManifest) {
        // Truncated, emptied or garbage: the host's copy is unusable, but the stable copy may be intact.
        hostCopyBad = new RestoreRefusedException(key, null, damagedManifest.getMessage(), damagedManifest);
        onHost = false;
      }
      if (onHost) {
        try {
          CheckpointEngine.restoreToFile(key, engine.store(), image, null);
        } catch (RestoreRefusedException e) {
          hostCopyBad = e;
        }
      }
      if (!onHost || hostCopyBad != null) {
        used = stable == null ? Optional.empty() : stable.manifest(key);
        if (used.isEmpty()) {
          throw hostCopyBad != null ? hostCopyBad
              : new RestoreRefusedException(key, null, "it is not in " + engine.store().describe(), null);
        }
        try {
          CheckpointEngine.restoreToFile(key, stable, image, null);
        } catch (RestoreRefusedException stableCopyBad) {
          if (hostCopyBad != null) {
            stableCopyBad.addSuppressed(hostCopyBad);
          }
          throw stableCopyBad;
        }
      }
      driver.restore(key.vmId(), image, DiskSnapshots.of(used.get().attributes()), paused);
    } finally {
      Files.deleteIfExists(image);
    }
  }

  /**
   * The disk states checkpoint {@code key} kept inside its disks' files, from the host's copy of its manifest, else
   * the stable one; none when neither has it.
   */
  public List<DiskSnapshot> diskSnapshotsOf(CheckpointKey key) throws IOException {
    Optional<Manifest> manifest = engine.store().manifest(key);
    if (manifest.isEmpty() && stable != null) manifest = stable.manifest(key);
    return manifest.map(m -> DiskSnapshots.of(m.attributes())).orElse(List.of());
  }

  /**
   * A checkpoint behind the recovery line: the disk states it kept inside its VM's disk files go too, through the
   * hypervisor, where the VM runs on this host (see {@link HypervisorDriver#forgetDiskSnapshots}).
   */
  public void forgetDiskSnapshots(String vmId, List<DiskSnapshot> disks) throws IOException {
    if (!disks.isEmpty()) driver.forgetDiskSnapshots(vmId, disks);
  }
}
