package org.vmqsc.agent.driver;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * What the agent needs from a hypervisor. Shaped so that a driver which produces a memory image as a file (KVM
 * through libvirt), as a stream (Xen's XAPI {@code VM.checkpoint}, exporting the suspend image) or in memory (the
 * simulator) all fit: the image is handed to a consumer, and the driver cleans up after it returns.
 */
public interface HypervisorDriver extends AutoCloseable {

  String name();

  /**
   * Takes a live checkpoint of a running VM: the guest keeps running except for a short pause, reported in the
   * capture. The image is passed to {@code consumer} before this returns.
   */
  Capture checkpoint(String vmId, ImageConsumer consumer) throws IOException;

  /**
   * Stops the guest's vCPUs now: this instant is the state the next {@link #checkpointPaused} captures. The caller
   * decides the instant (the agent drains the guest's network frames while it is paused), and must follow with
   * {@code checkpointPaused} (which runs the guest again, also when it fails).
   */
  default void pause(String vmId) throws IOException {
    throw new UnsupportedOperationException(name() + " cannot cut a checkpoint at the caller's instant");
  }

  /** Runs a guest paused by {@link #pause} again, when no {@link #checkpointPaused} follows after all. */
  default void resume(String vmId) throws IOException {
    throw new UnsupportedOperationException(name() + " cannot cut a checkpoint at the caller's instant");
  }

  /**
   * Checkpoints a guest paused by {@link #pause}: memory and disks as of the pause. The guest runs again as early as
   * the driver can; {@code running} is called once it does (exactly once, possibly on another thread, before the
   * image is consumed; also when the checkpoint fails after the guest ran again). The capture's pause is from
   * {@code pause()} to running again; its {@code frozenDisks} name the disk files that hold the disks as of the pause.
   * The consumer may get the image while the hypervisor still writes it, on a thread of the driver's; its stream then
   * reaches its end only once the whole checkpoint succeeded, and fails otherwise (KVM, see {@code ImageHandOff}).
   */
  default Capture checkpointPaused(String vmId, Runnable running, ImageConsumer consumer) throws IOException {
    throw new UnsupportedOperationException(name() + " cannot cut a checkpoint at the caller's instant");
  }

  /**
   * Brings a VM back, running, from a memory image that has already been verified; a running instance of the VM
   * is replaced.
   */
  void restore(String vmId, Path verifiedImage) throws IOException;

  /**
   * Brings a VM back, running, from a verified memory image and the disk states its checkpoint kept inside the
   * disks' own files ({@link Capture#diskSnapshots}); with none, as {@link #restore(String, Path)}.
   */
  default void restore(String vmId, Path verifiedImage, List<DiskSnapshot> disks) throws IOException {
    if (disks.isEmpty()) {
      restore(vmId, verifiedImage);
      return;
    }
    throw new UnsupportedOperationException(name() + " cannot restore disk snapshots");
  }

  /**
   * As {@link #restore(String, Path, List)}, the guest left <em>paused</em> when {@code paused} (its caller runs it
   * with {@link #resume} once it may: a recovery holds its group still until it ends).
   */
  default void restore(String vmId, Path verifiedImage, List<DiskSnapshot> disks, boolean paused)
      throws IOException {
    if (paused) throw new UnsupportedOperationException(name() + " cannot restore a guest paused");
    restore(vmId, verifiedImage, disks);
  }

  /** The checkpoint whose disk states are {@code disks} is behind the recovery line: they go. Nothing by default. */
  default void forgetDiskSnapshots(String vmId, List<DiskSnapshot> disks) throws IOException {}

  /**
   * Brings a VM back, running, from a verified memory image and the disk state of the same checkpoint: per disk
   * target, the frozen file of that checkpoint (with its backing chain beside it). The frozen files are never written:
   * the VM gets new overlays on top of them, which are returned per target. A running instance is replaced; when the
   * chain is incomplete, nothing is touched.
   */
  default Map<String, Path> restore(String vmId, Path verifiedImage, Map<String, Path> frozenDisks)
      throws IOException {
    if (frozenDisks.isEmpty()) {
      restore(vmId, verifiedImage);
      return Map.of();
    }
    throw new UnsupportedOperationException(name() + " cannot restore disk state");
  }

  /** How fast the guest writes its memory, in MiB per second, sampled over about {@code sample}. */
  double dirtyRateMiBPerSecond(String vmId, Duration sample) throws IOException;

  @Override void close();
}
